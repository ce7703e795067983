/**
 * Benches as strategies (docs/harness.md): every target is a strategy the fixtures only ask; the
 * rehearsal is a target of its own (rehearsal.target.ts), picking the driver per device.
 */
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { Evidence } from '../harness/evidence/evidence.ts';
import { openBench, TARGET_STRATEGIES, TARGETS } from '../harness/targets/open.ts';

test('every target has its strategy, and fixtures.ts never branches on a target name or reaches into a target file', () => {
  expect(Object.keys(TARGET_STRATEGIES).sort()).toEqual([...TARGETS].sort());
  for (const [name, t] of Object.entries(TARGET_STRATEGIES)) expect(t.name).toBe(name);
  const code = readFileSync('harness/fixtures.ts', 'utf8');
  expect(code).not.toMatch(/\.target\s*[!=]==/);
  expect(code).not.toMatch(/HardwareBench|\bas [A-Z]\w*Bench\b/);
  const targetImports = [...code.matchAll(/from '\.\/targets\/([\w-]+)\.ts'/g)].map((m) => m[1]).sort();
  expect(targetImports).toEqual(['bench', 'open']);
});

test('the rehearsal is its own bench: SJJ1310 verification, and the driver per device follows the lab file', async () => {
  const tokens = { acquire: async () => { throw new Error('no tokens'); }, release: async () => {}, close: async () => {}, loginToken: async () => {} };
  const deps = { evidence: new Evidence(), tokens, runner: { step: <T>(_p: unknown, _s: unknown, _d: string, f: () => Promise<T>) => f() }, outputPath: (n: string) => n };
  for (const [file, how] of [['lab/rehearsal.json', 'management'], ['lab/rehearsal-operator.json', 'operator']] as const) {
    const bench = await openBench('rehearsal', { labFile: file, parallelIndex: 0 });
    try {
      expect(bench.unavailable, file).toBeUndefined();
      expect(bench.target).toBe('rehearsal');
      expect(bench.verification).toBe('sjj1310');
      expect(bench.operatorMode).toBe('pool');
      // A device as the fixtures connect it: a management connection exactly where the lab file gives a port.
      const management = file === 'lab/rehearsal.json' ? ({} as never) : undefined;
      expect(bench.procedureDriver({ name: 'A', management }, deps).how, file).toBe(how);
    } finally {
      await bench.close();
    }
  }
});
