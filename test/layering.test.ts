/**
 * Layers point one way (README, "Layout"): scenarios → harness → drivers → (device | emulator),
 * with crypto/ shared. A driver reaches an emulator over its wire (the host and management
 * protocols, a virtual UKEY's token file), never by importing it. What may import what, checked on
 * the import graph of the whole tree (static, type-only, re-export and dynamic imports):
 *  - emulators/ is imported only by emulators/ itself, by tests (the emulator's own tests and their
 *    support), and by the emulator's launcher harness/cli/main.ts through a dynamic import (the
 *    `emulator` verb loads it only when it runs);
 *  - emulators/ imports only emulators/, crypto/ and io/ (never harness, drivers, reports);
 *  - virtual-ukey/ (the virtual UKEY token file format, read by the UKEY driver) only crypto/ and io/;
 *  - crypto/ imports nothing outside crypto/, io/ (the non-crypto primitives every layer may use)
 *    nothing outside io/.
 */
import { test, expect } from '@playwright/test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImportGraph, type ImportEdge, type ImportGraph } from '../harness/cli/import-cycles.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Rule {
  /** Files (path prefixes) the rule is about. */
  of: string;
  /** Who may import them: a path prefix, or a file with the only import kind allowed there. */
  importedBy?: Array<string | { file: string; kind: ImportEdge['kind'] }>;
  /** What they may import (path prefixes). */
  imports?: string[];
}

const RULES: Rule[] = [
  { of: 'emulators/', importedBy: ['emulators/', 'test/', { file: 'harness/cli/main.ts', kind: 'dynamic import' }], imports: ['emulators/', 'crypto/', 'io/'] },
  { of: 'virtual-ukey/', imports: ['virtual-ukey/', 'crypto/', 'io/'] },
  { of: 'crypto/', imports: ['crypto/'] },
  { of: 'io/', imports: ['io/'] },
];

function violations(graph: ImportGraph, rules: Rule[]): string[] {
  const out: string[] = [];
  const where = (e: ImportEdge) => `${e.from}:${e.line}${e.kind === 'import' ? '' : ` (${e.kind})`} → ${e.to}`;
  for (const e of graph.edges) {
    for (const r of rules) {
      if (r.importedBy && e.to.startsWith(r.of) && !e.from.startsWith(r.of)) {
        const ok = r.importedBy.some((a) => (typeof a === 'string' ? e.from.startsWith(a) : e.from === a.file && e.kind === a.kind));
        if (!ok) out.push(`${where(e)}: only ${r.importedBy.map((a) => (typeof a === 'string' ? a : `${a.file} (${a.kind})`)).join(', ')} may import ${r.of}`);
      }
      if (r.imports && e.from.startsWith(r.of) && !r.imports.some((p) => e.to.startsWith(p))) {
        out.push(`${where(e)}: ${r.of} may import only ${r.imports.join(', ')}`);
      }
    }
  }
  return out;
}

test('nothing outside emulators/ and its launcher imports an emulator; emulators, virtual-ukey and crypto import only what they may', () => {
  const graph = readImportGraph(root);
  // The walk must see the tree, the driver that reads token files and the launcher among it.
  expect(graph.files).toEqual(expect.arrayContaining(['drivers/ukey/virtual.ts', 'drivers/ukey/locators.ts', 'harness/cli/main.ts', 'virtual-ukey/device.ts']));
  expect(graph.edges.some((e) => e.from === 'harness/cli/main.ts' && e.to.startsWith('emulators/') && e.kind === 'dynamic import')).toBe(true);
  expect(violations(graph, RULES), 'imports across layers (file:line → file); reach an emulator over its wire, or move the shared part out of emulators/').toEqual([]);
});

test('the layering check catches a driver, a harness module and a static launcher import of an emulator, and an emulator importing the harness', () => {
  const edge = (from: string, to: string, kind: ImportEdge['kind'] = 'import'): ImportEdge => ({ from, to, line: 1, kind });
  const graph: ImportGraph = {
    files: [],
    unresolved: [],
    edges: [
      edge('drivers/ukey/locators.ts', 'emulators/ukey/index.ts'),
      edge('harness/station/practice.ts', 'emulators/ukey/index.ts', 'dynamic import'),
      edge('harness/cli/main.ts', 'emulators/evsm/args.ts'),
      edge('harness/cli/main.ts', 'emulators/evsm/cli.ts', 'dynamic import'),
      edge('test/emulator-host.test.ts', 'emulators/evsm/emulator.ts'),
      edge('emulators/evsm/emulator.ts', 'harness/fixtures.ts', 'import type'),
      edge('emulators/evsm/emulator.ts', 'crypto/index.ts'),
      edge('virtual-ukey/device.ts', 'drivers/ukey/token.ts'),
      edge('crypto/sm2.ts', 'crypto/sm3.ts'),
      edge('emulators/evsm/device/persist.ts', 'io/atomic-write.ts'),
      edge('io/json-body.ts', 'harness/station/server.ts', 'import type'),
    ],
  };
  expect(violations(graph, RULES)).toEqual([
    'drivers/ukey/locators.ts:1 → emulators/ukey/index.ts: only emulators/, test/, harness/cli/main.ts (dynamic import) may import emulators/',
    'harness/station/practice.ts:1 (dynamic import) → emulators/ukey/index.ts: only emulators/, test/, harness/cli/main.ts (dynamic import) may import emulators/',
    'harness/cli/main.ts:1 → emulators/evsm/args.ts: only emulators/, test/, harness/cli/main.ts (dynamic import) may import emulators/',
    'emulators/evsm/emulator.ts:1 (import type) → harness/fixtures.ts: emulators/ may import only emulators/, crypto/, io/',
    'virtual-ukey/device.ts:1 → drivers/ukey/token.ts: virtual-ukey/ may import only virtual-ukey/, crypto/, io/',
    'io/json-body.ts:1 (import type) → harness/station/server.ts: io/ may import only io/',
  ]);
});
