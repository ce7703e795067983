/**
 * The operator driver (harness/procedures/operator-driver.ts) on its own, with a VsmManager
 * operator that answers from a script: the authorization policy a person types is parsed strictly,
 * a refusal they report is the scenario's ManagementError with VsmManager's code, every card
 * carries the parameters of the contract (docs/harness.md, "Operator path: cards and parameters"),
 * and what the operator says is never taken for what the UKEYs can show.
 */
import { test, expect } from '@playwright/test';
import { ManagementError } from '../drivers/evsm/manager/index.ts';
import { Evidence } from '../harness/evidence/evidence.ts';
import { AUTH_POLICY_QUESTION, promptingVsmManager } from '../harness/operator/vsm-manager.ts';
import type { Operator } from '../harness/operator/operator.ts';
import { OperatorDriver, parseAuthPolicy, type ManagerOutcome, type ManagerStepRequest, type VsmManagerOperator } from '../harness/procedures/operator-driver.ts';
import type { LoginTokenSource } from '../harness/procedures/driver.ts';
import { DIRECT_RUNNER } from '../harness/procedures/runner.ts';
import { virtualStore } from '../harness/tokens/pool-source.ts';
import type { Text } from '../harness/procedures/types.ts';

/** A VsmManager operator from a script: records every card, refuses the action step when told to, answers the policy card with `policy`. */
function scriptedCards(opts: { refuse?: ManagerOutcome['refused']; policy?: string } = {}): VsmManagerOperator & { cards: ManagerStepRequest[] } {
  const cards: ManagerStepRequest[] = [];
  return {
    cards,
    async perform(request) {
      cards.push(request);
      return request.action && opts.refuse ? { how: 'answered', refused: opts.refuse } : { how: 'answered' };
    },
    readDmkKcv: async () => '0123456789ABCDEF',
    readAuthPolicy: async () => opts.policy ?? '2-of-3',
  };
}

/** `n` blank virtual UKEYs for `fn`, removed afterwards. */
async function withTokens(n: number, fn: (tokens: LoginTokenSource) => Promise<void>): Promise<void> {
  const store = virtualStore(n);
  try {
    await fn(await store.source());
  } finally {
    await store.close();
  }
}

const driver = (vsm: VsmManagerOperator, tokens: LoginTokenSource) =>
  new OperatorDriver({ name: 'A', management: undefined, listKeys: async () => [] }, { evidence: new Evidence(), tokens, runner: DIRECT_RUNNER, outputPath: (n) => n }, vsm);

test('an authorization policy is m-of-n; anything else is refused, never taken as what the device holds', () => {
  expect(parseAuthPolicy('2-of-3')).toEqual({ m: 2, n: 3 });
  expect(parseAuthPolicy(' 1 of 1 ')).toEqual({ m: 1, n: 1 });
  expect(parseAuthPolicy('2/3')).toEqual({ m: 2, n: 3 });
  expect(parseAuthPolicy('2-OF-3')).toEqual({ m: 2, n: 3 });
  for (const bad of ['', '2', '3-of-2', '0-of-3', '2 out of 3', '2-of-3 ok', 'two-of-three', '2,3', '-1-of-3', '2-of-100']) {
    expect(() => parseAuthPolicy(bad), `"${bad}"`).toThrow(/is not an authorization policy: m-of-n/);
  }
});

test('the operator driver reads the policy off the operator\'s answer and refuses a malformed one', async () => {
  await withTokens(1, async (tokens) => {
    await expect(driver(scriptedCards({ policy: '1-of-1' }), tokens).authPolicy()).resolves.toEqual({ m: 1, n: 1 });
    await expect(driver(scriptedCards({ policy: '3 of 2' }), tokens).authPolicy()).rejects.toThrow(/"3 of 2" is not an authorization policy/);
    await expect(driver(scriptedCards({ policy: 'none' }), tokens).authPolicy()).rejects.toThrow(/"none" is not an authorization policy/);
  });
});

test('at the console the policy question is asked again after a typo, three times at most, and answered normalized', async () => {
  const person = (answers: string[]): Operator & { asked: Text[] } => {
    const asked: Text[] = [];
    return { mode: 'console', asked, confirm: async () => 'prompted', ask: async (q) => (asked.push(q), answers.shift() ?? '') };
  };
  const ok = person(['2 of three', ' 2 of 3 ']);
  await expect(promptingVsmManager(ok).readAuthPolicy('A')).resolves.toBe('2-of-3');
  expect(ok.asked[0]).toEqual(AUTH_POLICY_QUESTION);
  // The second time the question says why the first answer was not taken.
  expect(ok.asked[1].en).toBe(`${AUTH_POLICY_QUESTION.en}\n(not taken: "2 of three" is not an authorization policy: m-of-n as VsmManager shows it, e.g. 2-of-3 (1 <= m <= n))`);
  expect(ok.asked).toHaveLength(2);
  expect(AUTH_POLICY_QUESTION.en).toMatch(/authorization policy/);
  const never = person(['x', 'y', 'z', '2-of-3']);
  await expect(promptingVsmManager(never).readAuthPolicy('A')).rejects.toThrow(/"z" is not an authorization policy/);
  expect(never.asked).toHaveLength(3);
});

test('a DMK component export VsmManager refuses is a ManagementError with its code; the cards name the blanks and the authorizing UKEYs', async () => {
  await withTokens(4, async (tokens) => {
    const auth = [await tokens.acquire({ instruction: 'auth', blank: true })];
    const vsm = scriptedCards({ refuse: { code: 'AUTH_INSUFFICIENT', message: 'one signature of 2 needed' } });
    const e = await driver(vsm, tokens).exportComponents({ components: 2, auth }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ManagementError);
    expect(e).toMatchObject({ code: 'AUTH_INSUFFICIENT' });
    expect(vsm.cards.map((c) => c.step.id)).toEqual(['export-components.open', 'export-components.write-component-ukeys']);
    const act = vsm.cards[1];
    expect(act.action?.procedure).toBe('export-components');
    const blanks = act.action!.blanks.map((t) => t.identity.serial);
    expect(blanks).toHaveLength(2);
    expect(act.params).toEqual(['components: 2', `component UKEYs: ${blanks.join(', ')}`, `authorize with: ${auth[0].identity.serial}`]);
  });
});

test('the operator\'s "completed" is not enough: the driver reads back what VsmManager should have written', async () => {
  await withTokens(8, async (tokens) => {
    const auth = [await tokens.acquire({ instruction: 'auth', blank: true })];
    // Completed, says the operator, but the blanks are still blank.
    await expect(driver(scriptedCards(), tokens).exportComponents({ components: 2, auth })).rejects.toThrow(/do not hold components 1\.\.2 of one device after exporting DMK components on A/);
    const components = [await tokens.acquire({ instruction: 'c1', blank: true })];
    const vsm = scriptedCards();
    await expect(driver(vsm, tokens).recoveryInit({ components, auth: 'new', authorizeWith: auth })).rejects.toThrow(/holds no 1-of-1 authorization role record after recovery init on A \(found none\)/);
    // The wipe card and the action card carry the authorizing UKEYs; the action names the new auth UKEY.
    const byStep = new Map(vsm.cards.map((c) => [c.step.id, c]));
    expect(byStep.get('recovery-init.confirm-wipe')?.params).toEqual(['internal keys to be wiped: 0', `authorize with: ${auth[0].identity.serial}`]);
    const newAuth = byStep.get('recovery-init.new-auth')!;
    expect(newAuth.params[0]).toBe(`new authorization UKEY: ${newAuth.action!.blanks[0].identity.serial}`);
    expect(newAuth.params).toContain(`authorize with: ${auth[0].identity.serial}`);
    expect(byStep.has('recovery-init.sync-auth')).toBe(false);
  });
});

test('components VsmManager numbered in its own order: the export passes and lists the UKEYs by component number; a repeated number does not', async () => {
  /** An operator whose VsmManager writes component numbers `numbers[i]` of 2 onto the i-th blank the card named. */
  const writing = (numbers: number[]): VsmManagerOperator => ({
    ...scriptedCards(),
    async perform(request) {
      for (const [i, t] of (request.action?.blanks ?? []).entries()) await t.writeRole({ role: 'dmk-component', deviceId: 'DEV-A', number: numbers[i], total: 2 });
      return { how: 'answered' };
    },
  });
  await withTokens(8, async (tokens) => {
    const auth = [await tokens.acquire({ instruction: 'auth', blank: true })];
    const out = await driver(writing([2, 1]), tokens).exportComponents({ components: 2, auth });
    expect(await Promise.all(out.components.map(async (t) => (await t.readRole())?.number))).toEqual([1, 2]);
    await expect(driver(writing([1, 1]), tokens).exportComponents({ components: 2, auth })).rejects.toThrow(/do not hold components 1\.\.2 of one device/);
  });
});

test('a backup kept inside a UKEY: the cards say backup UKEY, not backup file, and the UKEY must hold that backup afterwards', async () => {
  await withTokens(8, async (tokens) => {
    const auth = [await tokens.acquire({ instruction: 'auth', blank: true })];
    const vsm = scriptedCards();
    await expect(driver(vsm, tokens).backupExport({ indices: 'all', auth, to: 'token' })).rejects.toThrow(/do not all hold a share of one backup/);
    const choose = vsm.cards.find((c) => c.step.id === 'backup-export.choose-file')!;
    const exp = vsm.cards.find((c) => c.step.id === 'backup-export.export')!;
    const kept = exp.action!.blanks[3].identity.serial;
    expect(exp.action!.blanks).toHaveLength(4);
    expect(choose.params).toEqual([`backup UKEY: ${kept}`]);
    expect(exp.params).toEqual(['keys: all keys', `backup UKEY: ${kept}`]);
    expect(exp.action).not.toHaveProperty('file');
    const restore = scriptedCards();
    await driver(restore, tokens).restoreImport({ kbk: exp.action!.blanks.slice(0, 2), backup: { token: exp.action!.blanks[3] }, auth });
    const last = restore.cards.find((c) => c.step.id === 'restore-import.choose-backup-file')!;
    expect(last.params).toEqual([`backup UKEY: ${kept}`, `authorize with: ${auth[0].identity.serial}`]);
    expect(last.action?.options).toMatchObject({ backup: { token: exp.action!.blanks[3] } });
  });
});

test('on emulators, through the scripted VsmManager operator: the policy read, an export refused and allowed, a new 1-of-1 auth, a backup kept in a UKEY', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startEmulator } = await import('../emulators/evsm/emulator.ts');
  const { ManagerClient } = await import('../drivers/evsm/manager/index.ts');
  const { scriptedVsmManager } = await import('../harness/operator/scripted-bench.ts');
  const { referenceDmkKcv } = await import('../harness/reference.ts');
  const { EvsmClient, EvsmCommandError } = await import('../drivers/evsm/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'op-driver-'));
  const emus = await Promise.all(['A', 'B'].map((name) => startEmulator({ port: 0, dataDir: join(dir, name), name, host: '127.0.0.1', headerLength: 0, debug: false })));
  const views: Array<Awaited<ReturnType<typeof ManagerClient.connect>>> = [];
  const hosts: Array<Awaited<ReturnType<typeof EvsmClient.open>>> = [];
  try {
    await withTokens(24, async (tokens) => {
      const vsm = scriptedVsmManager({ tokens, endpoint: (d) => ({ host: '127.0.0.1', port: emus[d === 'A' ? 0 : 1].mgmtPort }) });
      // The harness side has no management connection: the DMK check value is the device's (read through a view of its own), the keys are listed over the host protocol.
      const device = async (name: 'A' | 'B', i: number) => {
        const view = await ManagerClient.connect({ port: emus[i].mgmtPort });
        views.push(view);
        const host = await EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${emus[i].port};linkNum=-1;timeout=5;}`);
        hosts.push(host);
        // As the harness's device view: a device with no DMK (factory) holds no keys, it answers 13.
        const listed = () => host.listKeys().catch((e: unknown) => (e instanceof EvsmCommandError && e.errorCode === '13' ? [] : Promise.reject(e)));
        const listKeys = async () => (await listed()).map((k) => ({ index: k.index, type: k.keyType, flag: k.scheme, algorithm: k.scheme, kcv: k.kcv }));
        const driver = new OperatorDriver({ name, management: undefined, dmkKcv: async () => (await view.getDmkKcv()).dmkKcv, listKeys }, { evidence: new Evidence(), tokens, runner: DIRECT_RUNNER, outputPath: (n) => join(dir, n) }, vsm);
        return Object.assign(driver, { host });
      };
      const a = await device('A', 0);
      const b = await device('B', 1);
      const initA = await a.originalInit({ components: 2, threshold: 2, authTokens: 3 });
      expect(await a.authPolicy()).toEqual({ m: 2, n: 3 });
      await expect(a.exportComponents({ components: 2, auth: [initA.auth.tokens[1]] })).rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
      const exported = await a.exportComponents({ components: 2, auth: [initA.auth.tokens[0], initA.auth.tokens[2]] });
      expect(exported.dmkKcv).toBe(initA.dmkKcv);
      expect(await referenceDmkKcv(exported.components)).toBe(initA.dmkKcv);
      const recB = await b.recoveryInit({ components: exported.components, auth: 'new' });
      expect(recB.dmkKcv).toBe(initA.dmkKcv);
      expect(recB.auth).toMatchObject({ m: 1, n: 1 });
      expect(await b.authPolicy()).toEqual({ m: 1, n: 1 });
      // B's own new UKEY authorizes B; A's three do not.
      await expect(b.exportComponents({ components: 2, auth: recB.auth!.tokens })).resolves.toMatchObject({ dmkKcv: initA.dmkKcv });
      await expect(b.exportComponents({ components: 2, auth: initA.auth.tokens })).rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
      await a.host.storeKey(1, 'ZAK', 'P');
      await a.host.storeKey(7, 'ZEK', 'U');
      const backup = await a.backupExport({ indices: 'all', auth: initA.auth.tokens.slice(0, 2), to: 'token' });
      expect(backup.file).toBeUndefined();
      expect((await backup.token!.readRole())?.role).toBe('backup');
      expect(backup.indices).toEqual([1, 7]);
      // B shares A's DMK but was wiped: the restore brings both keys, with A's check values.
      const restored = await b.restoreImport({ kbk: [backup.kbk[0], backup.kbk[2]], backup: { token: backup.token }, auth: recB.auth!.tokens });
      expect(restored.imported).toBe(2);
      expect((await b.host.listKeys()).map((k) => [k.index, k.kcv])).toEqual((await a.host.listKeys()).map((k) => [k.index, k.kcv]));
    });
  } finally {
    for (const v of views) v.close();
    for (const h of hosts) await h.close();
    await Promise.all(emus.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
