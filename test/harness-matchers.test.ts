import { test } from '@playwright/test';
import { expect, referenceKcv } from '../harness/matchers.ts';
import { Evidence } from '../harness/evidence/evidence.ts';
import { redact, Transcript } from '../harness/evidence/transcript.ts';
import type { Behaviour, KeyInfo, LabDevice, ProbeZmk, VerificationMode } from '../harness/devices/types.ts';
import { clearFromComponents } from '../harness/reference.ts';
import { hasOddParity } from '../crypto/index.ts';
import { kcv, fromHex } from '../crypto/index.ts';

interface FakeKey {
  kcv: string;
  out?: string;
  type?: string;
}

/**
 * A device double: keys by index, a behaviour derived from the key (and from the ZMK an export
 * runs under) so a wrong key behaves differently; `lmk` is NC's LMK check value.
 */
function fake(name: 'A' | 'B' | 'C', keys: Record<number, FakeKey>, dmk?: string, opts: { lmk?: string; mode?: VerificationMode; probes?: string[] } = {}): LabDevice {
  const info = (i: number): KeyInfo | undefined => (keys[i] ? { index: i, type: keys[i].type ?? 'ZAK', flag: 'P', algorithm: 'SM4', kcv: keys[i].kcv } : undefined);
  return {
    name,
    info: { name, model: 'SJJ1310', serial: name, host: '127.0.0.1', port: 1, managementPort: undefined, target: 'unit' },
    control: { kill: async () => {}, restart: async () => {} },
    evidence: new Evidence(),
    verification: opts.mode ?? 'emulator',
    listKeys: async () => Object.keys(keys).map((k) => info(Number(k))!),
    keyAt: async (i) => info(i),
    behaviour: async (i, o): Promise<Behaviour> => ({ operation: o?.zmk ? `export under ${o.zmk.what}` : 'MAC', output: `${keys[i].out ?? keys[i].kcv}${o?.zmk ? `/${o.zmk.ref}` : ''}` }),
    probeZmk: async (flag): Promise<ProbeZmk> => {
      opts.probes?.push(`${name}:${flag}`);
      return { ref: `probe-${flag}`, flag, what: `the probe ${flag} from ${name}` };
    },
    dmkKcv: async () => dmk,
    lmkKcv: async () => opts.lmk ?? (dmk ? `L${dmk.slice(1)}` : undefined),
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

test('toShareDmk needs NC\'s LMK check values to agree too, and on SJJ1310-only devices uses them alone', async () => {
  // Same X8 value, different LMK check values: not the same DMK.
  await expect(expect([fake('A', {}, 'ABCDABCDABCDABCD', { lmk: '1111111111111111' }), fake('B', {}, 'ABCDABCDABCDABCD', { lmk: '2222222222222222' })]).toShareDmk()).rejects.toThrow(
    /DMK check values: A=ABCDABCDABCDABCD B=ABCDABCDABCDABCD; LMK check values \(NC\): A=1111111111111111 B=2222222222222222 — MISMATCH/,
  );
  // A bench device without a management port: no DMK check value at all, the LMK check values decide.
  const hw = (n: 'A' | 'B', lmk: string) => fake(n, {}, undefined, { lmk, mode: 'sjj1310' });
  const a = hw('A', '1111111111111111');
  await expect([a, hw('B', '1111111111111111')]).toShareDmk();
  expect(a.evidence.dmkKcvs.map((r) => r.when)).toEqual(['compare (NC LMK check value)', 'compare (NC LMK check value)']);
  await expect(expect([a, hw('B', '3333333333333333')]).toShareDmk()).rejects.toThrow(/^(?!.*DMK check values:).*LMK check values \(NC\): A=1111111111111111 B=3333333333333333 — MISMATCH/s);
});

test('toShareDmk compares DMK check values read elsewhere (VsmManager\'s screen) where the device view has none, and a read value must agree with the device\'s', async () => {
  const hw = (n: 'A' | 'B', lmk: string) => fake(n, {}, undefined, { lmk, mode: 'sjj1310' });
  await expect([hw('A', '1111111111111111'), hw('B', '1111111111111111')]).toShareDmk({ A: 'ABCDABCDABCDABCD', B: 'ABCDABCDABCDABCD' });
  // Same LMK check values but the read DMK check values differ: a mismatch, both listed.
  await expect(expect([hw('A', '1111111111111111'), hw('B', '1111111111111111')]).toShareDmk({ A: 'ABCDABCDABCDABCD', B: '0000000000000000' })).rejects.toThrow(/DMK check values: A=ABCDABCDABCDABCD B=0000000000000000; .* — MISMATCH/);
  // A device that reports its own value: a read value that differs is a mismatch even when the devices agree.
  await expect(expect([fake('A', {}, 'ABCDABCDABCDABCD'), fake('B', {}, 'ABCDABCDABCDABCD')]).toShareDmk({ B: '0000000000000000' })).rejects.toThrow(/B=ABCDABCDABCDABCD \(read: 0000000000000000\).* — MISMATCH/);
  await expect([fake('A', {}, 'ABCDABCDABCDABCD'), fake('B', {}, 'ABCDABCDABCDABCD')]).toShareDmk({ A: 'ABCDABCDABCDABCD' });
});

test('export checks run under one A0 probe ZMK from the first device when the DMK is shared, else under a ZMK both hold', async () => {
  const keys = { 1: { kcv: '1111111111111111', type: 'ZPK' }, 2: { kcv: '2222222222222222', type: 'ZPK' } };
  const probes: string[] = [];
  const a = fake('A', keys, 'ABCDABCDABCDABCD', { probes });
  await expect([a, fake('B', keys, 'ABCDABCDABCDABCD', { probes })]).toHaveIdenticalKeys('all');
  expect(probes, 'one probe per flag, made on the first device').toEqual(['A:P']);
  // Different DMKs: no probe from A is usable on B; the ZMK at index 7 (same KCV on both) is.
  const moved = { ...keys, 7: { kcv: '7777777777777777', type: 'ZMK' } };
  const other: string[] = [];
  await expect([fake('A', moved, 'ABCDABCDABCDABCD', { probes: other }), fake('B', moved, 'DCBADCBADCBADCBA', { probes: other })]).toHaveIdenticalKeys('all');
  expect(other).toEqual([]);
  // Neither: the export is reported as not checked (a fact), the KCV comparison still decides.
  const lone = fake('A', keys, 'ABCDABCDABCDABCD');
  await expect([lone, fake('B', keys, 'DCBADCBADCBADCBA')]).toHaveIdenticalKeys('all');
  expect(lone.evidence.facts['key use not checked (no ZMK shared by A, B)']).toEqual([1, 2]);
  // A different export under the probe is reported by fingerprint, never as the cryptogram.
  const changed = fake('B', { ...keys, 2: { kcv: '2222222222222222', type: 'ZPK', out: 'P0123456789ABCDEF0123456789ABCDEF' } }, 'ABCDABCDABCDABCD');
  const e = await expect([fake('A', keys, 'ABCDABCDABCDABCD'), changed]).toHaveIdenticalKeys('all').then(() => undefined, (x: Error) => x);
  expect(e?.message).toMatch(/index 2: behaviour differs \(export under the probe P from A\): A=sm3:[0-9A-F]{8} B=sm3:[0-9A-F]{8}/);
  expect(e?.message).not.toContain('P0123456789ABCDEF');
});

test('reference keys formed from components have odd parity (XK adjusts the XOR), so their KCVs match the device', () => {
  const k = clearFromComponents(['00000000000000000000000000000000', '0102030405060708090A0B0C0D0E0F10']);
  expect(hasOddParity(k)).toBe(true);
  // The XOR is 01 02 … 10; each even-parity byte gets its low bit flipped (03 → 02, 06 → 07, …).
  expect(k.toString('hex').toUpperCase()).toBe('0102020404070708080B0B0D0D0E0E10');
  expect(referenceKcv('3DES-2', fromHex('0123456789abcdeffedcba9876543210'))).toBe('08D7B4FB629D0885');
});

test('transcripts keep KCVs and drop key material and PINs', () => {
  expect(redact('KCV 08D7B4FB629D0885 ok')).toBe('KCV 08D7B4FB629D0885 ok');
  expect(redact('key 0123456789ABCDEFFEDCBA9876543210')).toBe('key [REDACTED 32 hex]');
  expect(redact('login pin=12345678 refused')).toBe('login pin=[REDACTED] refused');
  // SJJ1310 cryptograms (flag + hex), the 16H single-DES one too; an index reference stays.
  expect(redact('key X39B8E50F38C518C3D6D9F1EC064B9D4F at K0001')).toBe('key [REDACTED cryptogram X] at K0001');
  expect(redact('refused Z0123456789ABCDEF, KCV 0123456789ABCDEF')).toBe('refused [REDACTED cryptogram Z], KCV 0123456789ABCDEF');
  const t = new Transcript(2);
  t.record('A', 'BU kcv', 'ok', { index: 1 }, { kcv: '08D7B4FB629D0885', note: 'x'.repeat(0) + '00112233445566778899AABBCCDDEEFF' });
  t.record('A', 'BU kcv', 'ok');
  t.record('A', 'BU kcv', 'ok');
  expect(t.entries[0].answer).toEqual({ kcv: '08D7B4FB629D0885', note: '[REDACTED 32 hex]' });
  expect(t.dropped).toBe(1);
});
