import { test, expect } from '@playwright/test';
import { createCipheriv } from 'node:crypto';
import {
  sm4EcbEncrypt, sm4EcbDecrypt, sm4CbcEncrypt, sm4CbcDecrypt, sm3, hmacSm3, kcv, shortKcv,
  tdesEcbEncrypt, fromHex, hex, padIso9797M2, unpadIso9797M2,
} from '../crypto/index.ts';

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
