/**
 * The emulator image's files say what the emulator reads: the settings comment of
 * docker/Dockerfile and the environment table of docs/containers.md name every environment
 * variable the emulator program takes (test hooks aside), and the registry build (Dockerfile.node20-slim, with its .dockerignore)
 * copies every top-level folder the emulator imports, found on the import graph.
 */
import { test, expect } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImportGraph } from '../harness/cli/import-cycles.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Test hooks (docs/emulator.md, "Test hooks"): not settings of an image. */
const TEST_HOOKS = new Set(['EVSM_EMULATOR_COMMIT', 'EVSM_EMULATOR_STEP_DELAY_MS']);

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

test('docker/Dockerfile and docs/containers.md name every environment variable the emulator program reads', () => {
  const read_ = new Set(sources('emulators/evsm').flatMap((f) => read(f).match(/\bEVSM_[A-Z0-9_]+/g) ?? []));
  const settings = [...read_].filter((v) => !TEST_HOOKS.has(v)).sort();
  expect(settings).toEqual(expect.arrayContaining(['EVSM_INIT', 'EVSM_WORKERS', 'EVSM_IDLE_TIMEOUT'])); // the scan sees them
  const comment = read('docker/Dockerfile').split('\n').filter((l) => l.startsWith('#')).join('\n');
  expect(settings.filter((v) => !new RegExp(`#\\s+${v}=`).test(comment)), 'variables missing from the settings comment of docker/Dockerfile').toEqual([]);
  const table = read('docs/containers.md');
  expect(settings.filter((v) => !new RegExp(`^\\| \`${v}[=\`]`, 'm').test(table)), 'variables missing from the environment table of docs/containers.md').toEqual([]);
});

test('the registry build copies every top-level folder the emulator imports', () => {
  const graph = readImportGraph(root);
  const seen = new Set<string>(['emulators/evsm/program.ts']);
  const todo = [...seen];
  while (todo.length) {
    const from = todo.pop()!;
    for (const e of graph.edges) {
      if (e.from === from && e.kind !== 'import type' && !seen.has(e.to)) {
        seen.add(e.to);
        todo.push(e.to);
      }
    }
  }
  const folders = [...new Set([...seen].map((f) => f.split('/')[0]))].sort();
  expect(folders).toEqual(expect.arrayContaining(['crypto', 'emulators']));
  const dockerfile = read('docker/Dockerfile.node20-slim');
  const ignore = read('docker/Dockerfile.node20-slim.dockerignore').split('\n');
  for (const folder of folders) {
    expect(dockerfile, `Dockerfile.node20-slim copies ${folder}/`).toContain(`COPY ${folder}/ ${folder}/`);
    expect(ignore, `its .dockerignore lets ${folder}/ in`).toContain(`!${folder}/`);
  }
});
