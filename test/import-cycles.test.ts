import { test, expect } from '@playwright/test';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCycles, formatCycle, readImportGraph } from '../harness/cli/import-cycles.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('the repository has no import cycle (type-only and dynamic imports included)', () => {
  const graph = readImportGraph(root);
  // The walk must see the source tree, not only a corner of it.
  expect(graph.files).toContain('harness/fixtures.ts');
  expect(graph.files.some((f) => f.startsWith('node_modules/') || f.startsWith('lab-output'))).toBe(false);
  const report = findCycles(graph);
  expect(report.cycles.map(formatCycle), 'import cycles (file:line → …); break them by moving the shared part into its own module').toEqual([]);
  expect(report.components).toEqual([]);
});

test('the checker finds every kind of cycle and ignores what only looks like an import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  try {
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    // a ↔ b: a value import one way, a type-only import the other (the perform ↔ operator-path shape).
    write('a.ts', "import { b } from './b.ts';\nexport const a = b;\nexport interface A { x: number }\n");
    write('b.ts', "import type { A } from './a.ts';\nexport const b = 1;\nexport type B = A;\n");
    // c → d → e → c through a re-export, a dynamic import and a directory index.
    write('c.ts', "export * from './d';\n");
    write('d.ts', "export async function load() { return import('./e/index.ts'); }\n");
    write('e/index.ts', "// import { nothing } from '../a.ts' (a comment is not an import)\nconst s = \"import x from '../b.ts'\";\nimport '../c.ts';\nexport { s };\n");
    // A self-import, a leaf, a package import and a missing file.
    write('f.mjs', "import './f.mjs';\nimport 'node:fs';\nimport './gone.mjs';\n");
    write('g.ts', "import { a } from './a.ts';\nexport const g = a;\n");
    write('node_modules/x/index.ts', "import '../../a.ts';\nimport './index.ts';\n");
    write('lab-output/run.ts', "import './run.ts';\n");

    const graph = readImportGraph(dir);
    expect(graph.files).toEqual(['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e/index.ts', 'f.mjs', 'g.ts']);
    expect(graph.unresolved).toEqual(['f.mjs:3 ./gone.mjs']);
    const report = findCycles(graph);
    expect(report.cycles.map(formatCycle).sort()).toEqual([
      'a.ts:1 → b.ts:1 (import type) → a.ts',
      'c.ts:1 (export from) → d.ts:1 (dynamic import) → e/index.ts:3 → c.ts',
      'f.mjs:1 → f.mjs',
    ]);
    expect(report.components.sort()).toEqual([['a.ts', 'b.ts'], ['c.ts', 'd.ts', 'e/index.ts'], ['f.mjs']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two cycles through one file are listed separately', () => {
  const graph = {
    files: ['a.ts', 'b.ts', 'c.ts'],
    edges: [
      { from: 'a.ts', to: 'b.ts', line: 1, kind: 'import' as const },
      { from: 'b.ts', to: 'a.ts', line: 1, kind: 'import' as const },
      { from: 'a.ts', to: 'c.ts', line: 2, kind: 'import' as const },
      { from: 'c.ts', to: 'a.ts', line: 1, kind: 'import' as const },
    ],
    unresolved: [],
  };
  expect(findCycles(graph).cycles.map(formatCycle)).toEqual(['a.ts:1 → b.ts:1 → a.ts', 'a.ts:2 → c.ts:1 → a.ts']);
});
