import { test, expect } from '@playwright/test';
import {
  splitXor, combineXor, DuplicateComponentError, splitSecret, combineShares, inspectShare, ShareError, randomBytes,
} from '../crypto/index.ts';

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}

test('XOR components: any order combines to the same key, for 2 and 3 components', () => {
  for (const n of [2, 3]) {
    const key = randomBytes(16);
    const parts = splitXor(key, n);
    expect(parts).toHaveLength(n);
    for (const p of parts) expect(p.equals(key)).toBe(false);
    for (const order of permutations(parts)) expect(combineXor(order).equals(key)).toBe(true);
  }
});

test('XOR components: a repeated component is detected, not XORed to zero', () => {
  const parts = splitXor(randomBytes(16), 3);
  expect(() => combineXor([parts[0], parts[1], parts[0]])).toThrow(DuplicateComponentError);
  expect(() => combineXor([parts[1], parts[1]])).toThrow(/component 2 is the same as component 1/);
  expect(() => combineXor([parts[0]])).toThrow(/at least 2/);
  expect(() => splitXor(randomBytes(16), 1)).toThrow(/at least 2/);
});

test('2-of-3 sharing: every pair rebuilds the secret, in either order', async () => {
  const secret = randomBytes(16);
  const shares = await splitSecret(secret, 3, 2);
  for (const [a, b] of [[0, 1], [0, 2], [1, 2], [1, 0], [2, 0], [2, 1]]) {
    expect((await combineShares([shares[a], shares[b]])).equals(secret)).toBe(true);
  }
  expect((await combineShares(shares)).equals(secret)).toBe(true);
  expect(inspectShare(shares[1])).toMatchObject({ threshold: 2, count: 3, number: 2 });
});

test('2-of-3 sharing: one share alone, a share twice, or shares of two splits are refused', async () => {
  const shares = await splitSecret(randomBytes(16), 3, 2);
  const others = await splitSecret(randomBytes(16), 3, 2);
  await expect(combineShares([shares[0]])).rejects.toThrow(/1 of 2 required shares/);
  await expect(combineShares([shares[0], shares[0]])).rejects.toThrow(/given twice/);
  await expect(combineShares([shares[0], others[1]])).rejects.toThrow(/different splits/);
});

test('2-of-3 sharing: a corrupted share fails loudly, at any byte', async () => {
  const shares = await splitSecret(randomBytes(16), 3, 2);
  for (let i = 0; i < shares[0].length; i++) {
    const bad = Buffer.from(shares[0]);
    bad[i] ^= 0x40;
    const err = await combineShares([bad, shares[1]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShareError);
  }
});

test('m-of-n sharing in general: 3-of-5', async () => {
  const secret = randomBytes(32);
  const shares = await splitSecret(secret, 5, 3);
  expect((await combineShares([shares[4], shares[0], shares[2]])).equals(secret)).toBe(true);
  await expect(combineShares([shares[4], shares[0]])).rejects.toThrow(/2 of 3 required/);
});
