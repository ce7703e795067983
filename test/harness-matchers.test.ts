import { test } from '@playwright/test';
import { expect, referenceKcv } from '../harness/matchers.ts';
import { Evidence } from '../harness/evidence/evidence.ts';
import { redact, Transcript } from '../harness/evidence/transcript.ts';
import type { Behaviour, KeyInfo, LabDevice } from '../harness/devices/types.ts';
import { kcv, fromHex } from '../crypto/index.ts';

/** A device double: keys by index, a behaviour derived from the key so a wrong key behaves differently. */
function fake(name: 'A' | 'B' | 'C', keys: Record<number, { kcv: string; out?: string }>, dmk?: string): LabDevice {
  const info = (i: number): KeyInfo | undefined => (keys[i] ? { index: i, type: 'ZAK', algorithm: 'SM4', kcv: keys[i].kcv } : undefined);
  return {
    name,
    info: { name, model: 'SJJ1310', serial: name, host: '127.0.0.1', port: 1, mgmtPort: undefined, target: 'unit' },
    control: { kill: async () => {}, restart: async () => {} },
    evidence: new Evidence(),
    listKeys: async () => Object.keys(keys).map((k) => info(Number(k))!),
    keyAt: async (i) => info(i),
    behaviour: async (i): Promise<Behaviour> => ({ operation: 'MAC', output: keys[i].out ?? keys[i].kcv }),
    dmkKcv: async () => dmk,
  };
}

test('toHaveIdenticalKeys passes on equal keys and records KCV evidence', async () => {
  const a = fake('A', { 1: { kcv: '1111111111111111' }, 2: { kcv: '2222222222222222' } });
  const b = fake('B', { 1: { kcv: '1111111111111111' }, 2: { kcv: '2222222222222222' } });
  await expect([a, b]).toHaveIdenticalKeys('all');
  expect(a.evidence.kcvs).toHaveLength(4);
});

test('toHaveIdenticalKeys fails on a missing key, a different KCV, or a different behaviour', async () => {
  const a = fake('A', { 1: { kcv: '1111111111111111' }, 2: { kcv: '2222222222222222' } });
  await expect(expect([a, fake('B', { 1: { kcv: '1111111111111111' } })]).toHaveIdenticalKeys('all')).rejects.toThrow(/index 2: no key on B/);
  await expect(expect([a, fake('B', { 1: { kcv: '1111111111111111' }, 2: { kcv: '2222222222222223' } })]).toHaveIdenticalKeys([2])).rejects.toThrow(/KCVs differ/);
  // Same KCV reported, different key behind it: caught by behaviour.
  const liar = fake('B', { 1: { kcv: '1111111111111111', out: 'FFFF' }, 2: { kcv: '2222222222222222' } });
  await expect(expect([a, liar]).toHaveIdenticalKeys('all')).rejects.toThrow(/behaviour differs/);
  await expect(expect([fake('A', {}), fake('B', {})]).toHaveIdenticalKeys('all')).rejects.toThrow(/No keys to compare/);
});

test('reference KCVs come from the independent implementation and catch a wrong KCV', async () => {
  const key = fromHex('0123456789ABCDEFFEDCBA9876543210');
  const ref = referenceKcv('SM4', key);
  expect(ref).toBe(kcv('SM4', key)); // sm-crypto agrees with OpenSSL
  const a = fake('A', { 1: { kcv: ref } });
  await expect([a, fake('B', { 1: { kcv: ref } })]).toHaveIdenticalKeys([1], { reference: { 1: { algorithm: 'SM4', clearKey: key } } });
  const wrong = { 1: { kcv: '0000000000000000' } };
  await expect(expect([fake('A', wrong), fake('B', wrong)]).toHaveIdenticalKeys([1], { reference: { 1: { algorithm: 'SM4', clearKey: key } } })).rejects.toThrow(/not the reference/);
  expect(referenceKcv('3DES', fromHex('0123456789abcdeffedcba9876543210'))).toBe('08D7B4FB629D0885');
});

test('toShareDmk and toHaveExactlyKeysAt', async () => {
  await expect([fake('A', {}, 'ABCDABCDABCDABCD'), fake('B', {}, 'ABCDABCDABCDABCD')]).toShareDmk();
  await expect(expect([fake('A', {}, 'ABCDABCDABCDABCD'), fake('B', {}, '0000000000000000')]).toShareDmk()).rejects.toThrow(/MISMATCH/);
  await expect(expect([fake('A', {}, 'ABCDABCDABCDABCD'), fake('B', {})]).toShareDmk()).rejects.toThrow(/no DMK/);
  await expect(fake('B', { 3: { kcv: '1' }, 5: { kcv: '2' } })).toHaveExactlyKeysAt([5, 3]);
  await expect(expect(fake('B', { 3: { kcv: '1' } })).toHaveExactlyKeysAt([3, 4])).rejects.toThrow(/holds keys at \[3\], expected exactly \[3, 4\]/);
});

test('transcripts keep KCVs and drop key material and PINs', () => {
  expect(redact('KCV 08D7B4FB629D0885 ok')).toBe('KCV 08D7B4FB629D0885 ok');
  expect(redact('key 0123456789ABCDEFFEDCBA9876543210')).toBe('key [REDACTED 32 hex]');
  expect(redact('login pin=12345678 refused')).toBe('login pin=[REDACTED] refused');
  const t = new Transcript(2);
  t.record('A', 'BU kcv', 'ok', { index: 1 }, { kcv: '08D7B4FB629D0885', note: 'x'.repeat(0) + '00112233445566778899AABBCCDDEEFF' });
  t.record('A', 'BU kcv', 'ok');
  t.record('A', 'BU kcv', 'ok');
  expect(t.entries[0].answer).toEqual({ kcv: '08D7B4FB629D0885', note: '[REDACTED 32 hex]' });
  expect(t.dropped).toBe(1);
});
