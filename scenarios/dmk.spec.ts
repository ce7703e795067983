/**
 * DMK synchronization (external storage): original init, recovery init, DMK check values.
 * Seed: 外部存储 › 步骤1 原始初始化, 步骤2 恢复初始化.
 */
import { test, expect, ManagementError } from '../harness/fixtures.ts';
import { referenceDmkKcv } from '../harness/reference.ts';

for (const components of [2, 3]) {
  test(`DMK-01 original init with ${components} components and 2-of-3 authorization`, async ({ evsmA, procedures }) => {
    const a = await procedures.originalInit(evsmA, { components, threshold: 2, authTokens: 3 });

    await test.step('verify: the device reports the DMK the component UKEYs make', async () => {
      expect(a.components).toHaveLength(components);
      const hostKcv = await evsmA.dmkKcv();
      expect(hostKcv, 'X8 over the host protocol equals the original-init result').toBe(a.dmkKcv);
      // Independent: XOR of what the tokens hold, KCV by sm-crypto.
      expect(await referenceDmkKcv(a.components), 'components on the UKEYs recombine to the device DMK').toBe(a.dmkKcv);
    });

    await test.step('verify: 2-of-3 authorization policy', async () => {
      const info = await evsmA.management!.getInfo();
      expect(info.auth).toEqual({ m: 2, n: 3 });
      expect(info.state).toBe('initialized');
      // One auth token is not enough; any two are (tokens 1+3 here).
      const one = await procedures.authorize(evsmA, 'exportDmkComponents', [a.auth.tokens[1]]);
      await expect(evsmA.management!.exportDmkComponents({ components: 2, recipientPublicKey: one.signatures[0].publicKey, authorization: one })).rejects.toMatchObject({ code: 'AUTH_INSUFFICIENT' });
      const two = await procedures.authorize(evsmA, 'exportDmkComponents', [a.auth.tokens[0], a.auth.tokens[2]]);
      const ok = await evsmA.management!.exportDmkComponents({ components: 2, recipientPublicKey: two.signatures[0].publicKey, authorization: two });
      expect(ok.dmkKcv).toBe(a.dmkKcv);
    });
  });
}

test('DMK-02 recovery init on B with the components in another order gives the DMK KCV of A', async ({ evsmA, evsmB, procedures }) => {
  const a = await procedures.originalInit(evsmA, { components: 3, threshold: 2, authTokens: 3 });
  const [c1, c2, c3] = a.components;
  const b = await procedures.recoveryInit(evsmB, { components: [c3, c1, c2], auth: { sync: a.auth.tokens[0] } });
  expect(b.dmkKcv).toBe(a.dmkKcv);
  await procedures.dmkKcvs([evsmA, evsmB]);
  await expect([evsmA, evsmB]).toShareDmk();
  await test.step('verify: a key made on A works on B (same LMKs)', async () => {
    const zak = await evsmA.client.generateKey('ZAK', 'P');
    const data = Buffer.from('DMK-02 order independence check');
    expect(await evsmB.client.generateMac(zak.keyUnderLmk, data)).toBe(await evsmA.client.generateMac(zak.keyUnderLmk, data));
  });
});

test('DMK-03 the same component imported twice is rejected, state unchanged, and the import then completes', async ({ evsmA, evsmB, procedures }) => {
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
      const info = await evsmB.management!.getInfo();
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
