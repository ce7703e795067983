/**
 * evsm-lab command line. Verbs:
 *   run [--target embedded|containers|hardware] [--grep TEXT] [--lab FILE]   run the scenario catalog
 *   emulator --port P --data DIR [--name NAME] [--mgmt-port Q]             run one EVSM emulator
 *   report | doctor                                                        see docs/cli.md
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGETS = ['embedded', 'containers', 'hardware'] as const;

function usage(message?: string): never {
  if (message) console.error(`evsm-lab: ${message}`);
  console.error('usage: evsm-lab run [--target embedded|containers|hardware] [--grep TEXT] [--lab FILE] [--no-report]');
  console.error('       evsm-lab emulator --port P --data DIR [--name NAME] [--mgmt-port Q]');
  console.error('       evsm-lab doctor [--target embedded|containers|hardware|reports]... [--lab FILE]');
  console.error('       evsm-lab report ...   (docs/reports.md)');
  process.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) usage(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

/** Runs the catalog, then builds the Allure and certification reports from that run. */
async function run(args: string[]): Promise<number> {
  const noReport = args.includes('--no-report');
  if (noReport) args.splice(args.indexOf('--no-report'), 1);
  // allure-playwright never empties its results directory: start each run clean.
  const outputRoot = resolve(root, process.env.EVSM_LAB_OUTPUT ?? 'lab-output');
  rmSync(join(outputRoot, 'allure-results'), { recursive: true, force: true });
  const status = runPlaywright(args);
  if (!noReport) {
    const { main: reportMain } = await import('./report.ts');
    const reportStatus = await reportMain([]);
    if (reportStatus !== 0) console.error('evsm-lab run: the reports were not all built (see above); the test results stand');
  }
  return status;
}

function runPlaywright(args: string[]): number {
  const target = option(args, '--target') ?? 'embedded';
  if (!(TARGETS as readonly string[]).includes(target)) usage(`unknown target "${target}": choose one of ${TARGETS.join(', ')}`);
  const grep = option(args, '--grep');
  const lab = option(args, '--lab');
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('@playwright/test/package.json')), 'cli.js');
  // Extra arguments (file filters) go before --project: Playwright's --project takes several values.
  const pwArgs = ['test', ...args, ...(grep ? ['--grep', grep] : []), '--project', target];
  // Playwright runs from the repository root: make a relative lab path mean the caller's directory.
  const env = { ...process.env, ...(lab ? { EVSM_LAB_FILE: resolve(lab) } : {}) };
  const r = spawnSync(process.execPath, [cli, ...pwArgs], { stdio: 'inherit', cwd: root, env });
  return r.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'run':
      return await run(rest);
    case 'emulator': {
      const { main: emulatorMain } = await import('../../emulators/evsm/cli.ts');
      return emulatorMain(rest);
    }
    case 'report': {
      const { main: reportMain } = await import('./report.ts');
      return reportMain(rest);
    }
    case 'doctor': {
      const { main: doctorMain } = await import('./doctor.ts');
      return doctorMain(rest);
    }
    case undefined:
    case '--help':
    case '-h':
      return usage();
    default:
      return usage(`unknown verb "${verb}"`);
  }
}

process.exitCode = await main(process.argv.slice(2));
