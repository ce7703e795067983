/**
 * External storage: keys live outside the device as cryptograms under the LMK; syncing the DMK
 * (original init on A, recovery init on B) is all it takes for B to use them.
 * Seed: 外部存储 (ZMK, ZPK, ZAK are stored outside the EVSM).
 */
import { test, expect, EvsmCommandError } from '../harness/fixtures.ts';
import { referenceKcv } from '../harness/matchers.ts';
import { clearFromComponents, sm4PinBlock } from '../harness/reference.ts';

// Public test components (not secrets): the scenario knows these keys in the clear, so their
// KCVs can be checked against the independent implementation (sm-crypto).
const ZPK1_PARTS = ['11112222333344445555666677778888', '0123456789ABCDEF0123456789ABCDEF'];
const ZMK_PARTS = ['A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8', '0F1E2D3C4B5A69788796A5B4C3D2E1F0'];
const ACCOUNT = '400000123456';
const DATA = Buffer.from('EXT-01 external storage MAC input of 48 bytes..!');

test('EXT-01 ZMK, ZPK and ZAK made on A as cryptograms under the LMK work on B after DMK sync', async ({ evsmA, evsmB, procedures, evidence }) => {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  await procedures.recoveryInit(evsmB, { components: a.components, auth: { sync: a.auth.tokens[0] } });
  await expect([evsmA, evsmB]).toShareDmk();

  const keys = await test.step('make keys on A (external storage)', async () => {
    const zmk = await evsmA.client.formKey('ZMK', 'P', ZMK_PARTS);
    const zpk1 = await evsmA.client.formKey('ZPK', 'P', ZPK1_PARTS);
    const zpk2 = await evsmA.client.generateKey('ZPK', 'P');
    const zak = await evsmA.client.generateKey('ZAK', 'P');
    const zak3des = await evsmA.client.generateKey('ZAK', 'U');
    return { zmk: zmk.keyUnderLmk, zpk1: zpk1.keyUnderLmk, zpk2: zpk2.keyUnderLmk, zak: zak.keyUnderLmk, zak3des: zak3des.keyUnderLmk };
  });

  await test.step('verify: same KCVs on A and B, and the reference KCVs (sm-crypto) for the known keys', async () => {
    const list: Array<[string, 'ZMK' | 'ZPK' | 'ZAK', string]> = [
      ['ZMK', 'ZMK', keys.zmk],
      ['ZPK 1', 'ZPK', keys.zpk1],
      ['ZPK 2', 'ZPK', keys.zpk2],
      ['ZAK', 'ZAK', keys.zak],
      ['ZAK 3DES', 'ZAK', keys.zak3des],
    ];
    for (const [label, type, key] of list) {
      const [kA, kB] = await Promise.all([evsmA.client.keyCheckValue(type, key), evsmB.client.keyCheckValue(type, key)]);
      evidence.kcv({ device: 'A', index: 0, type: label, kcv: kA });
      evidence.kcv({ device: 'B', index: 0, type: label, kcv: kB });
      expect(kB, `${label}: KCV on B equals A`).toBe(kA);
    }
    expect(await evsmB.client.keyCheckValue('ZMK', keys.zmk)).toBe(referenceKcv('SM4', clearFromComponents(ZMK_PARTS)));
    expect(await evsmB.client.keyCheckValue('ZPK', keys.zpk1)).toBe(referenceKcv('SM4', clearFromComponents(ZPK1_PARTS)));
  });

  await test.step('verify: same MAC on A and B (SM4 and 3DES ZAK), and B verifies A\'s MAC', async () => {
    for (const zak of [keys.zak, keys.zak3des]) {
      const macA = await evsmA.client.generateMac(zak, DATA, { size: 16 });
      expect(await evsmB.client.generateMac(zak, DATA, { size: 16 })).toBe(macA);
      expect(await evsmB.client.verifyMac(zak, DATA, macA, { size: 16 })).toBe(true);
    }
  });

  await test.step('verify: same PIN translation ZPK 1 → ZPK 2 on A and B', async () => {
    const pinBlock = sm4PinBlock(clearFromComponents(ZPK1_PARTS), '123456', ACCOUNT);
    const args = { sourceZpk: keys.zpk1, destinationZpk: keys.zpk2, pinBlock, account: ACCOUNT };
    const [tA, tB] = await Promise.all([evsmA.client.translatePin(args), evsmB.client.translatePin(args)]);
    expect(tA.pinLength).toBe(6);
    expect(tB).toEqual(tA);
  });

  await test.step('verify: same key export under the ZMK on A and B', async () => {
    const [eA, eB] = await Promise.all([evsmA.client.exportKey('ZAK', keys.zmk, keys.zak, 'P'), evsmB.client.exportKey('ZAK', keys.zmk, keys.zak, 'P')]);
    expect(eB.keyUnderZmk).toBe(eA.keyUnderZmk);
    // And the partner side: B imports it back under its LMK and gets the same key (same KCV).
    const back = await evsmB.client.importKey('ZAK', keys.zmk, eA.keyUnderZmk, 'P');
    expect(await evsmB.client.keyCheckValue('ZAK', back.keyUnderLmk)).toBe(await evsmA.client.keyCheckValue('ZAK', keys.zak));
  });
});

test('EXT-02 a device with another DMK cannot use those cryptograms, and says so', async ({ evsmA, evsmC, procedures }) => {
  await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  await procedures.originalInit(evsmC, { components: 2, threshold: 2, authTokens: 3 });
  await expect(expect([evsmA, evsmC]).toShareDmk(), 'A and C hold different DMKs').rejects.toThrow(/MISMATCH/);
  const zak = await evsmA.client.generateKey('ZAK', 'P');
  const zpk = await evsmA.client.generateKey('ZPK', 'P');
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e, 'C refuses the cryptogram').toBeInstanceOf(EvsmCommandError);
    return (e as EvsmCommandError).errorCode;
  };
  // Error 10: "key under LMK fails its check (wrong key type, other DMK, altered, …)".
  expect(await refusal(evsmC.client.keyCheckValue('ZAK', zak.keyUnderLmk))).toBe('10');
  expect(await refusal(evsmC.client.generateMac(zak.keyUnderLmk, DATA))).toBe('10');
  expect(await refusal(evsmC.client.keyCheckValue('ZPK', zpk.keyUnderLmk))).toBe('10');
  // Control: A still uses them, so the refusal is about C's DMK, not a broken cryptogram.
  await expect(evsmA.client.generateMac(zak.keyUnderLmk, DATA)).resolves.toMatch(/^[0-9A-F]{8}$/);
});
