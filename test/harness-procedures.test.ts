import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { startEmulator } from '../emulators/evsm/emulator.ts';
import { Evidence } from '../harness/evidence/evidence.ts';
import { scriptedVsmManager } from '../harness/operator/scripted-bench.ts';
import { PROCEDURES, backupExport, originalInit, recoveryInit, restoreImport, stepOf, type StepName } from '../harness/procedures/index.ts';
import { ManagementDriver } from '../harness/procedures/management-driver.ts';
import { OperatorDriver } from '../harness/procedures/operator-driver.ts';
import { DIRECT_RUNNER, walk, type StepHandlers } from '../harness/procedures/runner.ts';
import { virtualStore } from '../harness/tokens/pool-source.ts';

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

/** A runner that records the step ids it is asked to run, in order. */
function recordingRunner(): { ids: string[]; step: StepRunnerLike } {
  const ids: string[] = [];
  return { ids, step: (proc, short, _device, perform) => (ids.push(`${proc.id}.${short}`), perform()) };
}
type StepRunnerLike = (typeof DIRECT_RUNNER)['step'];

test('walk goes through the steps in the order of the data, repeating and leaving out only what the data allows', async () => {
  const r = recordingRunner();
  const seen: string[] = [];
  const handler = (name: string) => async (i: number) => void seen.push(`${name}#${i}`);
  const handlers = Object.fromEntries(recoveryInit.steps.map((s) => [s.short!, handler(s.short!)])) as StepHandlers<StepName<typeof recoveryInit>>;
  await walk({ step: r.step }, recoveryInit, 'B', handlers, { times: { 'import-component': 3 }, omit: ['new-auth'] });
  expect(r.ids).toEqual([
    'recovery-init.open',
    'recovery-init.confirm-wipe',
    'recovery-init.enter-component-count',
    'recovery-init.import-component',
    'recovery-init.import-component',
    'recovery-init.import-component',
    'recovery-init.combine-dmk',
    'recovery-init.sync-auth',
  ]);
  expect(seen.filter((x) => x.startsWith('import-component'))).toEqual(['import-component#0', 'import-component#1', 'import-component#2']);
  // A step that is not an alternative cannot be left out, and a step that does not repeat is done once.
  await expect(walk({ step: r.step }, recoveryInit, 'B', handlers, { omit: ['combine-dmk'] })).rejects.toThrow(/recovery-init.combine-dmk is not optional/);
  await expect(walk({ step: r.step }, recoveryInit, 'B', handlers, { times: { open: 2 } })).rejects.toThrow(/recovery-init.open does not repeat/);
  // restore-import with one KBK token: the further-KBK step is done zero times.
  const one = recordingRunner();
  const rh = Object.fromEntries(restoreImport.steps.map((s) => [s.short!, async () => undefined])) as unknown as StepHandlers<StepName<typeof restoreImport>>;
  await walk({ step: one.step }, restoreImport, 'B', rh, { times: { 'choose-second-kbk-ukey': 0 } });
  expect(one.ids).not.toContain('restore-import.choose-second-kbk-ukey');
});

test('the management driver and the operator driver walk the same steps of the same data (two emulators, virtual UKEYs)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h-proc-drivers-'));
  const emus = await Promise.all(['A', 'B', 'C'].map((name) => startEmulator({ port: 0, dataDir: join(dir, name), name, host: '127.0.0.1', headerLength: 4, debug: false })));
  const clients: ManagerClient[] = [];
  const store = virtualStore(16);
  try {
    const tokens = await store.source();
    const connect = async (port: number) => {
      const c = await ManagerClient.connect({ port });
      clients.push(c);
      return c;
    };
    const viaManagement = recordingRunner();
    const a = new ManagementDriver({ name: 'A', management: await connect(emus[0].mgmtPort) }, { evidence: new Evidence(), tokens, runner: { step: viaManagement.step }, outputPath: (n) => join(dir, n) });
    const initA = await a.originalInit({ components: 2, threshold: 2, authTokens: 3 });

    // B has no management connection: each step goes to the operator; a scripted one does VsmManager's part over B's port.
    const shown: string[] = [];
    const scripted = scriptedVsmManager({ tokens, endpoint: (device) => ({ host: '127.0.0.1', port: emus[device === 'B' ? 1 : 2].mgmtPort }) });
    const vsmManager = { perform: (req: Parameters<typeof scripted.perform>[0]) => (shown.push(req.step.id), scripted.perform(req)), readDmkKcv: scripted.readDmkKcv, readAuthPolicy: scripted.readAuthPolicy };
    const viaOperator = recordingRunner();
    const bView = await connect(emus[1].mgmtPort);
    const b = new OperatorDriver({ name: 'B', management: undefined, dmkKcv: async () => (await bView.getDmkKcv()).dmkKcv, listKeys: async () => [] }, { evidence: new Evidence(), tokens, runner: { step: viaOperator.step }, outputPath: (n) => join(dir, n) }, vsmManager);
    const initB = await b.originalInit({ components: 2, threshold: 2, authTokens: 3 });
    const order = originalInit.steps.map((s) => s.id);
    expect(viaManagement.ids).toEqual(order);
    expect(viaOperator.ids).toEqual(order);
    // The operator saw every step, and what VsmManager did is read back: B now has a DMK of its own.
    expect(shown).toEqual(order);
    expect(initB.dmkKcv).toMatch(/^[0-9A-F]{16}$/);
    expect(initB.dmkKcv).not.toBe(initA.dmkKcv);
    expect(await b.dmkKcv()).toBe(initB.dmkKcv);

    // B already has a policy: a recovery init without authorization is refused, and the refusal VsmManager showed is the scenario's error.
    await expect(b.recoveryInit({ components: initA.components, auth: { sync: initA.auth.tokens[0] } })).rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });

    // Recovery init of a factory C from A's components on the operator path: C ends with A's DMK.
    const cView = await connect(emus[2].mgmtPort);
    viaOperator.ids.length = 0;
    const c = new OperatorDriver({ name: 'C', management: undefined, dmkKcv: async () => (await cView.getDmkKcv()).dmkKcv, listKeys: async () => [] }, { evidence: new Evidence(), tokens, runner: { step: viaOperator.step }, outputPath: (n) => join(dir, n) }, vsmManager);
    const rec = await c.recoveryInit({ components: initA.components, auth: { sync: initA.auth.tokens[0] } });
    expect(rec.dmkKcv).toBe(initA.dmkKcv);
    expect(viaOperator.ids).toEqual(recoveryInit.steps.filter((s) => s.short !== 'new-auth').flatMap((s) => (s.short === 'import-component' ? [s.id, s.id] : [s.id])));
  } finally {
    for (const c of clients) c.close();
    await store.close();
    await Promise.all(emus.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
