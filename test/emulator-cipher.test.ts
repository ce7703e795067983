/**
 * The emulator's fast paths give the same bytes as the plain ones: ECB under an LMK through
 * long-lived OpenSSL contexts (host/cipher.ts FixedKeyEcb, used by device/lmk.ts) against a fresh
 * context per call (wrapEcb), for every family and for lengths that need ciphertext stealing;
 * and the key randomness pool (host/key-random.ts) hands out every byte once.
 */
import { test, expect } from '@playwright/test';
import { createCipheriv, randomBytes } from 'node:crypto';
import { FixedKeyEcb, wrapEcb } from '../emulators/evsm/host/cipher.ts';
import { keyRandom, POOL_BYTES } from '../emulators/evsm/host/key-random.ts';
import { LmkSet } from '../emulators/evsm/device/lmk.ts';
import type { Family } from '../emulators/evsm/device/keytypes.ts';

const CASES: Array<{ family: Family; keyLength: number }> = [
  { family: 'SM4', keyLength: 16 },
  { family: 'AES', keyLength: 32 },
  { family: 'AES', keyLength: 16 },
  { family: 'DES', keyLength: 24 },
  { family: 'DES', keyLength: 16 },
];

test('FixedKeyEcb: every call equals a fresh context, in any order of directions and lengths', () => {
  for (const { family, keyLength } of CASES) {
    const key = randomBytes(keyLength);
    const fixed = new FixedKeyEcb(family, key);
    const b = family === 'DES' ? 8 : 16;
    // Lengths of keys that are wrapped: whole blocks, and 24 bytes under 16-byte blocks (stealing).
    const lengths = b === 16 ? [16, 32, 24, 16, 48] : [8, 16, 24, 16, 32];
    for (let round = 0; round < 3; round++) {
      for (const n of lengths) {
        const clear = randomBytes(n);
        const c = fixed.wrap(true, clear);
        expect(c.equals(wrapEcb(family, key, true, clear)), `${family}-${keyLength * 8} encrypt ${n}`).toBe(true);
        expect(fixed.wrap(false, c).equals(clear), `${family}-${keyLength * 8} decrypt ${n}`).toBe(true);
        expect(fixed.wrap(false, c).equals(wrapEcb(family, key, false, c))).toBe(true);
      }
    }
    // A partial block would stay in the context and shift every later answer: refused up front.
    expect(() => fixed.ecb(true, Buffer.alloc(b + 1))).toThrow(RangeError);
    const after = randomBytes(b);
    expect(fixed.ecb(true, after).equals(wrapEcb(family, key, true, after))).toBe(true);
  }
});

test('LmkSet: wrap and unwrap through the kept contexts match a fresh OpenSSL context', () => {
  const dmk = Buffer.from('0F1E2D3C4B5A69788796A5B4C3D2E1F0', 'hex');
  const lmks = new LmkSet(Buffer.from(dmk));
  const key = Buffer.from('01010101010101010101010101010101', 'hex');
  const field = lmks.wrap('00A', 'P', key);
  const c = createCipheriv('sm4-ecb', lmks.lmk('00A', 'SM4'), null).setAutoPadding(false);
  expect(field).toBe('P' + Buffer.concat([c.update(key), c.final()]).toString('hex').toUpperCase());
  for (let i = 0; i < 3; i++) expect(lmks.unwrap('00A', field).key.equals(key)).toBe(true);
  // Another type's LMK: parity fails (10), and the contexts of 00A are not disturbed by it.
  expect(() => lmks.unwrap('001', field)).toThrow(/parity/);
  expect(lmks.wrap('00A', 'P', key)).toBe(field);
  lmks.wipe();
});

test('keyRandom: fresh bytes, never the same twice, across pool refills', () => {
  const seen = new Set<string>();
  // More than two pools' worth, in sizes that do not divide the pool (a refill inside one key).
  let total = 0;
  while (total < 3 * POOL_BYTES) {
    for (const n of [16, 24, 8, 32, 17]) {
      const b = keyRandom(n);
      expect(b.length).toBe(n);
      const h = b.toString('hex');
      expect(seen.has(h), 'a key repeated').toBe(false);
      seen.add(h);
      total += n;
    }
  }
  // Not all zero (the pool handed out wiped bytes) nor constant.
  const big = keyRandom(POOL_BYTES);
  expect(new Set(big).size).toBeGreaterThan(200);
  expect(() => keyRandom(POOL_BYTES + 1)).toThrow(RangeError);
  expect(() => keyRandom(-1)).toThrow(RangeError);
});
