/**
 * DMK synchronization (external storage): original init, recovery init, DMK check values.
 * Seed: 外部存储 › 步骤1 原始初始化, 步骤2 恢复初始化.
 */
import { test, expect, ManagementError, needsManagement } from '../harness/fixtures.ts';
import { componentFingerprint, referenceDmkKcv } from '../harness/reference.ts';
import { macS0 } from '../harness/devices/key-use.ts';

for (const components of [2, 3]) {
  test(`DMK-01 original init with ${components} components and 2-of-3 authorization`, async ({ evsmA, procedures }) => {
    const a = await procedures.originalInit(evsmA, { components, threshold: 2, authTokens: 3 });

    await test.step('verify: the device reports the DMK the component UKEYs make', async () => {
      expect(a.components).toHaveLength(components);
      expect(await evsmA.lmkKcv(), 'NC: the device reports LMKs (not the factory zeros)').toBeDefined();
      // X8 on emulator targets; on a bench the management port's value, when the lab gives one
      // (a real SJJ1310 has no host command for the DMK check value).
      const deviceKcv = await evsmA.dmkKcv();
      if (deviceKcv !== undefined || evsmA.verification === 'emulator') expect(deviceKcv, 'the DMK check value the device reports equals the original-init result').toBe(a.dmkKcv);
      // Independent: XOR of what the tokens hold, KCV by sm-crypto.
      expect(await referenceDmkKcv(a.components), 'components on the UKEYs recombine to the device DMK').toBe(a.dmkKcv);
    });

    await test.step('verify: 2-of-3 authorization policy', async () => {
      // The policy the device holds (a factory device holds none), then the policy at work: one auth
      // token is not enough to export the DMK components; any two are (tokens 1+3 here).
      expect(await procedures.authPolicy(evsmA)).toEqual({ m: 2, n: 3 });
      await expect(procedures.exportComponents(evsmA, { components: 2, auth: [a.auth.tokens[1]] })).rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
      const ok = await procedures.exportComponents(evsmA, { components: 2, auth: [a.auth.tokens[0], a.auth.tokens[2]] });
      expect(ok.dmkKcv).toBe(a.dmkKcv);
      expect(await referenceDmkKcv(ok.components), 'the exported component UKEYs recombine to the DMK').toBe(a.dmkKcv);
    });
  });
}

test('DMK-02 recovery init on B with the components in another order gives the DMK KCV of A', async ({ evsmA, evsmB, procedures }) => {
  const a = await procedures.originalInit(evsmA, { components: 3, threshold: 2, authTokens: 3 });
  const [c1, c2, c3] = a.components;
  const b = await procedures.recoveryInit(evsmB, { components: [c3, c1, c2], auth: { sync: a.auth.tokens[0] } });
  expect(b.dmkKcv).toBe(a.dmkKcv);
  await expect([evsmA, evsmB]).toShareDmk(await procedures.dmkKcvs([evsmA, evsmB]));
  await test.step('verify: a key made on A works on B (same LMKs)', async () => {
    const zak = { keyType: 'ZAK', key: (await evsmA.client.generateKey('ZAK', 'P')).keyUnderLmk };
    const data = Buffer.from('DMK-02 order independence check');
    expect(await macS0(evsmB.client, zak, data)).toBe(await macS0(evsmA.client, zak, data));
  });
});

test('DMK-03 the same component imported twice is rejected, state unchanged, and the import then completes', async ({ evsmA, evsmB, procedures }) => {
  const managementB = needsManagement(evsmB, 'the device state inside the recovery wizard after the duplicate is refused (still recovering, 1 of 2 imported), which VsmManager does not show until the wizard ends');
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const [c1, c2] = a.components;
  const refusals: string[] = [];
  const b = await procedures.recoveryInit(evsmB, {
    components: [c1, c1, c2],
    count: 2,
    auth: { sync: a.auth.tokens[1] },
    onImportError: async (e) => {
      if (!(e instanceof ManagementError) || e.code !== 'DUPLICATE_COMPONENT') return 'throw';
      refusals.push(e.code);
      // State unchanged: still one of two imported.
      const info = await managementB.getInfo();
      expect(info.state).toBe('recovering');
      expect(info.recovery).toEqual({ imported: 1, of: 2 });
      return 'continue';
    },
  });
  expect(refusals, 'the second import of component 1 is refused as a duplicate').toEqual(['DUPLICATE_COMPONENT']);
  expect(b.dmkKcv).toBe(a.dmkKcv);
  await expect([evsmA, evsmB]).toShareDmk();
});

test('DMK-04 recovery init wipes the existing internal keys of B, and says so', async ({ evsmA, evsmB, procedures }) => {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const own = await procedures.originalInit(evsmB, { components: 2, threshold: 2, authTokens: 3 });
  await test.step('B holds 3 internal keys of its own', async () => {
    await evsmB.client.storeKey(1, 'ZAK', 'P');
    await evsmB.client.storeKey(2, 'ZPK', 'P');
    await evsmB.client.storeKey(7, 'ZEK', 'U');
    await expect(evsmB).toHaveExactlyKeysAt([1, 2, 7]);
  });
  const b = await procedures.recoveryInit(evsmB, { components: a.components, auth: { sync: a.auth.tokens[0] }, authorizeWith: own.auth.tokens.slice(0, 2) });
  expect(b.wipedKeys, 'recovery init reports the 3 keys it wiped').toBe(3);
  await expect(evsmB).toHaveExactlyKeysAt([]);
  expect(await evsmB.keyAt(1)).toBeUndefined();
  await expect([evsmA, evsmB]).toShareDmk();
});

test('DMK-05 sync auth info from A\'s auth token: any 2 of A\'s 3 tokens authorize B; an auth token of another DMK is refused', async ({ evsmA, evsmB, evsmC, procedures }) => {
  const managementB = needsManagement(evsmB, 'the device state inside the recovery wizard after a foreign auth UKEY is refused (awaiting authorization), which VsmManager does not show until the wizard ends');
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const c = await procedures.originalInit(evsmC, { components: 2, threshold: 2, authTokens: 3 });
  await procedures.recoveryInit(evsmB, {
    components: a.components,
    auth: { sync: a.auth.tokens[2] },
    beforeAuth: async () => {
      const foreign = (await c.auth.tokens[0].readAuthInfo()).toString('hex');
      await expect(managementB.syncAuth({ authInfo: foreign }), 'C\'s auth info (another DMK) is refused').rejects.toMatchObject({ code: 'AUTH_INFO_MAC' });
      expect((await managementB.getInfo()).state, 'B still waits for its authorization').toBe('awaiting-auth');
    },
  });
  const info = await managementB.getInfo();
  expect(info.auth).toEqual({ m: 2, n: 3 });
  const t = a.auth.tokens;
  for (const pair of [[t[0], t[1]], [t[0], t[2]], [t[1], t[2]]]) {
    const auth = await procedures.authorize(evsmB, 'exportDmkComponents', pair);
    await expect(managementB.exportDmkComponents({ components: 2, recipientPublicKey: auth.signatures[0].publicKey, authorization: auth })).resolves.toMatchObject({ dmkKcv: a.dmkKcv });
  }
  const one = await procedures.authorize(evsmB, 'exportDmkComponents', [t[1]]);
  await expect(managementB.exportDmkComponents({ components: 2, recipientPublicKey: one.signatures[0].publicKey, authorization: one }), 'one token is not 2 of 3').rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
  const foreignPair = await procedures.authorize(evsmB, 'exportDmkComponents', c.auth.tokens.slice(0, 2));
  await expect(managementB.exportDmkComponents({ components: 2, recipientPublicKey: foreignPair.signatures[0].publicKey, authorization: foreignPair }), 'C\'s tokens do not authorize B').rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
});

test('DMK-06 new 1-of-1 auth token for B: A\'s auth tokens no longer authorize B', async ({ evsmA, evsmB, procedures }) => {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const b = await procedures.recoveryInit(evsmB, { components: a.components, auth: 'new' });
  expect(b.auth?.tokens).toHaveLength(1);
  expect(b.auth).toMatchObject({ m: 1, n: 1 });
  expect(await procedures.authPolicy(evsmB), 'B holds a 1-of-1 policy').toEqual({ m: 1, n: 1 });
  await expect([evsmA, evsmB]).toShareDmk();
  await expect(procedures.exportComponents(evsmB, { components: 2, auth: b.auth!.tokens }), 'B\'s own token alone authorizes B').resolves.toMatchObject({ dmkKcv: a.dmkKcv });
  await expect(procedures.exportComponents(evsmB, { components: 2, auth: a.auth.tokens }), 'all 3 of A\'s tokens do not authorize B').rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
  // And A is untouched: its own 2-of-3 still works there.
  await expect(procedures.exportComponents(evsmA, { components: 2, auth: a.auth.tokens.slice(0, 2) })).resolves.toMatchObject({ dmkKcv: a.dmkKcv });
});

test('DMK-07 export DMK components to new tokens, recovery init of C from them: same DMK KCV, component contents differ', async ({ evsmA, evsmC, procedures }) => {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const exported = await procedures.exportComponents(evsmA, { components: 2, auth: a.auth.tokens.slice(1) });
  expect(exported.dmkKcv).toBe(a.dmkKcv);
  expect(await referenceDmkKcv(exported.components), 'the new tokens recombine to A\'s DMK (sm-crypto)').toBe(a.dmkKcv);
  const originals = await Promise.all(a.components.map(componentFingerprint));
  const fresh = await Promise.all(exported.components.map(componentFingerprint));
  for (const f of fresh) expect(originals, 'an exported component is not a copy of an original one').not.toContain(f);
  await procedures.recoveryInit(evsmC, { components: exported.components, auth: { sync: a.auth.tokens[0] } });
  await expect([evsmA, evsmC]).toShareDmk(await procedures.dmkKcvs([evsmA, evsmC]));
});

for (const variant of ['missing', 'wrong'] as const) {
  test(`DMK-08 recovery with a component ${variant}: DMK KCV differs from A's and the mismatch is reported`, async ({ evsmA, evsmB, evsmC, procedures, evidence }) => {
    const a = await procedures.originalInit(evsmA, { components: 3, threshold: 2, authTokens: 3 });
    let parts = a.components.slice(0, 2);
    if (variant === 'wrong') {
      const other = await procedures.originalInit(evsmC, { components: 3, threshold: 2, authTokens: 3 });
      parts = [a.components[0], a.components[1], other.components[2]];
    }
    const b = await procedures.recoveryInit(evsmB, { components: parts, auth: 'new' });
    expect(b.dmkKcv).not.toBe(a.dmkKcv);
    const kcvs = await procedures.dmkKcvs([evsmA, evsmB]);
    // The check values as read (X8, or VsmManager's screen on the operator path) go into the comparison.
    const failure = await expect([evsmA, evsmB]).toShareDmk(kcvs).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure, 'the comparison must fail').toBeDefined();
    // Clearly: both check values and the word MISMATCH, in the report's error text.
    expect(failure!.message).toContain(`A=${kcvs.A} B=${kcvs.B}`);
    expect(failure!.message).toContain('MISMATCH: the devices do not hold the same DMK');
    evidence.fact('DMK-08 mismatch', { variant, A: kcvs.A, B: kcvs.B });
  });
}
