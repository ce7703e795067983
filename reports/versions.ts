/** Versions of the software that made a run and its reports, for the reports' environment sections. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function versionOf(packageJson: string): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Directory of an installed package; found from its entry point because some packages do not export package.json. */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name) return dir;
    } catch {
      // no package.json here: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`package ${name} not found`);
    dir = up;
  }
}

function packageVersion(name: string): string {
  try {
    return versionOf(join(packageDir(name), 'package.json'));
  } catch {
    return 'not installed';
  }
}

export function softwareVersions(): { [name: string]: string } {
  return {
    'evsm-lab': versionOf(join(projectRoot, 'package.json')),
    node: process.version,
    playwright: packageVersion('@playwright/test'),
    'allure-playwright': packageVersion('allure-playwright'),
  };
}
