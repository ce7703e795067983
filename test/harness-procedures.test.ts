import { test, expect } from '@playwright/test';
import { PROCEDURES, backupExport, stepOf } from '../harness/procedures/index.ts';

test('every seed procedure is data with stable, unique, prefixed step ids', () => {
  expect(PROCEDURES.map((p) => p.id)).toEqual(['backup-export', 'restore-import', 'original-init', 'recovery-init', 'dmk-kcv', 'export-components']);
  const ids = PROCEDURES.flatMap((p) => p.steps.map((s) => s.id));
  expect(new Set(ids).size).toBe(ids.length);
  for (const p of PROCEDURES) {
    expect(p.steps.length).toBeGreaterThan(0);
    for (const s of p.steps) {
      expect(s.id).toMatch(new RegExp(`^${p.id}\\.[a-z0-9-]+$`));
      // Both languages present; the Chinese text is the seed's, so it carries CJK characters.
      expect(s.text.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(s.text.en.length).toBeGreaterThan(10);
      expect(['device', 'token', 'operator']).toContain(s.kind);
    }
  }
});

test('the step ids the issue names exist', () => {
  expect(stepOf(backupExport, 'choose-keys').id).toBe('backup-export.choose-keys');
  expect(() => stepOf(backupExport, 'no-such-step')).toThrow(/backup-export has no step backup-export.no-such-step/);
});

test('no procedure text carries a PIN', () => {
  for (const p of PROCEDURES) for (const s of p.steps) expect(`${s.text.zh} ${s.text.en}`).not.toMatch(/\d{6,}/);
});

test('docs/procedures.md is generated from the data and up to date', async () => {
  const { readFileSync } = await import('node:fs');
  const { renderProcedures } = await import('../harness/procedures/render.ts');
  expect(readFileSync('docs/procedures.md', 'utf8'), 'run: node --import tsx harness/procedures/render.ts > docs/procedures.md').toBe(renderProcedures());
});

test('every step of the data is performed by harness/procedures/perform.ts (data and code stay in step)', async () => {
  const { readFileSync } = await import('node:fs');
  const code = readFileSync('harness/procedures/perform.ts', 'utf8');
  const names: Record<string, string> = { 'backup-export': 'backupExport', 'restore-import': 'restoreImport', 'original-init': 'originalInit', 'recovery-init': 'recoveryInit', 'dmk-kcv': 'getDmkKcv', 'export-components': 'exportDmkComponents' };
  for (const p of PROCEDURES) {
    for (const s of p.steps) {
      const short = s.id.slice(p.id.length + 1);
      // Either `r.step(p, 'short'` inside the procedure's method, or `step(<const>, 'short'`.
      expect(code.includes(`'${short}'`) && (code.includes(`= ${names[p.id]};`) || code.includes(`(${names[p.id]}, '${short}'`)), s.id).toBe(true);
    }
  }
});
