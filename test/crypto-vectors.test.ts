import { test, expect } from '@playwright/test';
import { createCipheriv } from 'node:crypto';
import {
  sm4EcbEncrypt, sm4EcbDecrypt, sm4CbcEncrypt, sm4CbcDecrypt, sm3, hmacSm3, kcv, shortKcv,
  tdesEcbEncrypt, fromHex, hex, padIso9797M2, unpadIso9797M2, padBlocks,
  sm2PublicKeyOf, sm2IsValidPublicKey, sm2Verify, sm2Decrypt, SM2_DEFAULT_USER_ID,
} from '../crypto/index.ts';
import { refSm2Verify, refSm2Decrypt } from '../crypto/reference.ts';
import { sm2 as v2 } from 'sm-crypto-v2';

// GB/T 32907-2016 Appendix A, example 1.
const SM4_KEY = '0123456789abcdeffedcba9876543210';
const SM4_CT = '681edf34d206965e86b3e94f536e4246';
// GB/T 32907-2016 Appendix A, example 2: the same block encrypted 1,000,000 times.
const SM4_CT_1M = '595298c7c6fd271f0402f804c33d3f66';

test('SM4 ECB encrypts the GB/T 32907 example 1', () => {
  expect(hex(sm4EcbEncrypt(fromHex(SM4_KEY), fromHex(SM4_KEY)))).toBe(SM4_CT.toUpperCase());
  expect(hex(sm4EcbDecrypt(fromHex(SM4_KEY), fromHex(SM4_CT)))).toBe(SM4_KEY.toUpperCase());
});

test('SM4 ECB iterated 1,000,000 times gives the GB/T 32907 example 2', () => {
  const key = fromHex(SM4_KEY);
  // One cipher object, many blocks: the same as 1e6 separate encryptions in ECB.
  let block = fromHex(SM4_KEY);
  const c = createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  for (let i = 0; i < 1_000_000; i++) block = c.update(block);
  expect(block.toString('hex')).toBe(SM4_CT_1M);
});

test('SM4 CBC chains blocks: first block equals ECB of plaintext XOR IV', () => {
  const key = fromHex(SM4_KEY);
  const iv = Buffer.alloc(16);
  const pt = Buffer.concat([fromHex(SM4_KEY), fromHex(SM4_KEY)]);
  const ct = sm4CbcEncrypt(key, iv, pt);
  expect(ct.subarray(0, 16).toString('hex')).toBe(SM4_CT);
  expect(sm4CbcDecrypt(key, iv, ct).equals(pt)).toBe(true);
  expect(ct.subarray(16).equals(ct.subarray(0, 16))).toBe(false);
});

test('SM4 rejects wrong key and data lengths', () => {
  expect(() => sm4EcbEncrypt(Buffer.alloc(15), Buffer.alloc(16))).toThrow(/16 bytes/);
  expect(() => sm4EcbEncrypt(Buffer.alloc(16), Buffer.alloc(15))).toThrow(/multiple of 16/);
});

test('SM3 hashes the GB/T 32905 examples', () => {
  expect(sm3(Buffer.from('abc')).toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  expect(sm3(Buffer.from('abcd'.repeat(16))).toString('hex')).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test('HMAC-SM3 follows RFC 2104 (key longer than a block is hashed first)', () => {
  const key = Buffer.alloc(100, 0x0b);
  const data = Buffer.from('Hi There');
  const shortened = sm3(key);
  expect(hmacSm3(key, data).equals(hmacSm3(shortened, data))).toBe(true);
  expect(hmacSm3(Buffer.from('k1'), data).equals(hmacSm3(Buffer.from('k2'), data))).toBe(false);
});

test('KCV: SM4 and 3DES conventions', () => {
  // SM4: first 8 bytes of E(K, 0^16).
  const zero16 = sm4EcbEncrypt(fromHex(SM4_KEY), Buffer.alloc(16));
  expect(kcv('SM4', fromHex(SM4_KEY))).toBe(hex(zero16.subarray(0, 8)));
  // 3DES: the widely published check value of the double-length key 0123456789ABCDEF FEDCBA9876543210.
  expect(kcv('3DES', fromHex('0123456789abcdeffedcba9876543210'))).toBe('08D7B4FB629D0885');
  expect(shortKcv('3DES', fromHex('0123456789abcdeffedcba9876543210'))).toBe('08D7B4');
  expect(hex(tdesEcbEncrypt(fromHex('0123456789abcdeffedcba9876543210'), Buffer.alloc(8)))).toBe('08D7B4FB629D0885');
  expect(() => kcv('SM4', Buffer.alloc(24))).toThrow(/SM4 key must be 16/);
});

test('ISO 9797-1 method 2 padding round-trips and rejects bad padding', () => {
  expect(padIso9797M2(Buffer.from('abc'), 16).length).toBe(16);
  expect(padIso9797M2(Buffer.alloc(16), 16).length).toBe(32);
  expect(unpadIso9797M2(padIso9797M2(Buffer.from('abc'), 8)).toString()).toBe('abc');
  expect(() => unpadIso9797M2(Buffer.alloc(8))).toThrow(/padding/);
});

// GM/T 0003.5-2012 (= GB/T 32918.5-2017) Annex A, on the recommended curve, user ID 1234567812345678.
const GM_D = '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8';
const GM_PUB = '04' + '09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020' + 'CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13';
const GM_K = '59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21';
const GM_Z = 'B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3';
const GM_SIG = 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3' + 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA';
// The encryption example of the same annex: "encryption standard" with the same k, C1 || C3 || C2.
const GM_CT =
  '04' + '04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73' + 'E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0' +
  '59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766' + '21886CA989CA9C7D58087307CA93092D651EFA';

test('SM2: the GM/T 0003.5 example key pair, Z_A and signature (both libraries)', () => {
  const d = fromHex(GM_D);
  expect(hex(sm2PublicKeyOf(d))).toBe(GM_PUB);
  expect(sm2IsValidPublicKey(fromHex(GM_PUB))).toBe(true);
  expect(hex(v2.getZ(GM_PUB.toLowerCase(), SM2_DEFAULT_USER_ID))).toBe(GM_Z);
  const msg = Buffer.from('message digest');
  // The engine with the example's k reproduces the published r || s exactly.
  const k = BigInt(`0x${GM_K}`);
  const x1 = BigInt(`0x${sm2PublicKeyOf(fromHex(GM_K)).subarray(1, 33).toString('hex')}`);
  expect(v2.doSignature(msg, GM_D.toLowerCase(), { hash: true, publicKey: GM_PUB.toLowerCase(), pointPool: [{ k, x1 }] }).toUpperCase()).toBe(GM_SIG);
  expect(sm2Verify(fromHex(GM_PUB), msg, fromHex(GM_SIG))).toBe(true);
  expect(refSm2Verify(fromHex(GM_PUB), msg, fromHex(GM_SIG), SM2_DEFAULT_USER_ID)).toBe(true);
  expect(sm2Verify(fromHex(GM_PUB), Buffer.from('message digesT'), fromHex(GM_SIG))).toBe(false);
});

test('SM2: the GM/T 0003.5 example ciphertext decrypts to "encryption standard" (both libraries)', () => {
  expect(sm2Decrypt(fromHex(GM_D), fromHex(GM_CT)).toString()).toBe('encryption standard');
  expect(refSm2Decrypt(fromHex(GM_D), fromHex(GM_CT))?.toString()).toBe('encryption standard');
});

test('padBlocks: the SJJ1310 padding codes 0-4 on short, whole and empty data', () => {
  const abc = Buffer.from('abc');
  const whole = Buffer.alloc(8, 0x11);
  expect(padBlocks(0, abc, 8).toString('hex')).toBe('61626380' + '00000000');
  expect(padBlocks(0, whole, 8)).toEqual(whole);
  expect(padBlocks(0, Buffer.alloc(0), 8).toString('hex')).toBe('80' + '00'.repeat(7));
  expect(padBlocks(1, whole, 8).toString('hex')).toBe('11'.repeat(8) + '80' + '00'.repeat(7));
  expect(padBlocks(1, abc, 8)).toEqual(padIso9797M2(abc, 8));
  expect(padBlocks(2, abc, 8).toString('hex')).toBe('616263' + '00'.repeat(5));
  expect(padBlocks(2, whole, 8)).toEqual(whole);
  expect(padBlocks(3, abc, 8).toString('hex')).toBe('616263' + '00'.repeat(4) + '05');
  expect(padBlocks(3, whole, 8).toString('hex')).toBe('11'.repeat(8) + '00'.repeat(7) + '08');
  expect(padBlocks(4, abc, 8).toString('hex')).toBe('616263' + '05'.repeat(5));
  expect(padBlocks(4, whole, 8).toString('hex')).toBe('11'.repeat(8) + '08'.repeat(8));
});
