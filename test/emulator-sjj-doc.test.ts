/**
 * docs/host-protocol.md, replayed: every ```wire example byte for byte against a device with the
 * documented DMK; the primitives behind some of them recomputed independently; every prefix of
 * every example request (a truncated request) answered with a code of the SDK's table; and the
 * state file of format 1 migrated (or refused with one line saying what to do).
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, hex, hmacSm3, kcv, sm4EcbEncrypt, tdesCbcEncrypt, tdesEcbEncrypt, withOddParity } from '../crypto/index.ts';
import { Device } from '../emulators/evsm/device/device.ts';
import { dispatch, SDK_ERROR_CODES } from '../emulators/evsm/host/dispatch.ts';
import { encodeWire, parseDocExamples } from './support/host-doc-examples.ts';

const DMK = '0123456789ABCDEFFEDCBA9876543210';
const doc = readFileSync(new URL('../docs/host-protocol.md', import.meta.url), 'utf8');
let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-sjj-doc-'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deviceWithDmk(sub: string): Device {
  const d = new Device(join(dir, sub), sub);
  d.commit((s) => ({ ...s, dmk: DMK }));
  return d;
}

const send = (d: Device, req: Buffer | string): Buffer => dispatch({ device: d }, Buffer.isBuffer(req) ? req : Buffer.from(req, 'latin1'), 0).answer;

test('every worked example of docs/host-protocol.md, in order, byte for byte', () => {
  const examples = parseDocExamples(doc);
  expect(examples.length).toBeGreaterThan(40);
  const d = deviceWithDmk('doc');
  try {
    for (const e of examples) {
      const got = send(d, e.request);
      const want = e.prefix ? got.subarray(0, e.answer.length) : got;
      expect(encodeWire(want), `docs/host-protocol.md line ${e.line}: ${encodeWire(e.request).slice(0, 60)}`).toBe(encodeWire(e.answer));
    }
  } finally {
    d.close();
  }
});

test('the examples agree with independent computations', () => {
  const clear = (h: string): Buffer => withOddParity(fromHex(h));
  // XK's answer: CV = ECB of a zero block; the cryptogram = ECB under the documented LMK derivation.
  const zmk = clear('0123456789ABCDEFFEDCBA9876543210');
  expect(doc).toContain(`XL00XB7225BC0216296947DEF87A3512DC9DE${kcv('3DES', zmk)}`);
  const lmk = withOddParity(hmacSm3(fromHex(DMK), Buffer.from('evsm-lab/lmk/v2/000/DES')).subarray(0, 24));
  expect(hex(tdesEcbEncrypt(lmk, zmk))).toBe('B7225BC0216296947DEF87A3512DC9DE');
  const zekP = clear('000102030405060708090A0B0C0D0E0F');
  const lmkP = hmacSm3(fromHex(DMK), Buffer.from('evsm-lab/lmk/v2/00A/SM4')).subarray(0, 16);
  expect(hex(sm4EcbEncrypt(lmkP, zekP))).toBe('7CC3AD2825D41CD1DBA65AAACFE0778D');
  // S0 algorithm 1 with padding 1 (ISO 9797-1 m2) under the ZAK: plain 3DES CBC-MAC.
  const zak = clear('0123456789ABCDEFFEDCBA9876543210');
  const padded = Buffer.concat([Buffer.from('Now is the ti'), Buffer.from([0x80, 0, 0])]);
  expect(doc).toContain(`← S100${hex(tdesCbcEncrypt(zak, Buffer.alloc(8), padded).subarray(8))}`);
  // D3 ECB with no padding under the ZEK.
  const zek = clear('89ABCDEF01234567FEDCBA9876543210');
  expect(doc).toContain(`← D4000008${hex(tdesEcbEncrypt(zek, fromHex('0011223344556677')))}`);
  // Visa's published CVV example, GB/T 32905 and FIPS 180 vectors of "abc".
  expect(doc).toContain('← CX00561');
  expect(doc).toContain(`← 3D0032${encodeWire(fromHex('66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0'))}`);
  expect(doc).toContain(`← 3D0032${encodeWire(fromHex('BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'))}`);
});

test('every truncation of every example request is answered with a code of the SDK table', () => {
  const d = deviceWithDmk('trunc');
  try {
    for (const e of parseDocExamples(doc)) {
      for (let n = 0; n < e.request.length; n++) {
        const a = send(d, e.request.subarray(0, n));
        const code = a.subarray(2, 4).toString('latin1');
        expect(SDK_ERROR_CODES.has(code), `${encodeWire(e.request.subarray(0, n)).slice(0, 50)} → ${code}`).toBe(true);
        // Prefixes that happen to be complete requests (e.g. a store part left out) may succeed.
      }
    }
  } finally {
    d.close();
  }
});

test('indices 0 and 2049 are refused with 55, non-digits with 21', () => {
  const d = deviceWithDmk('idx');
  try {
    for (const req of ['KG0000', 'KG2049', 'A0000AXK000000', 'A0000AXK204900', 'KF01K2049', 'E2K2049']) expect(send(d, req).subarray(2, 4).toString(), req).toBe('55');
    for (const req of ['KG00A1', 'A0000AXK0A0100']) expect(send(d, req).subarray(2, 4).toString(), req).toBe('21');
    expect(send(d, 'A0000AXK204800').subarray(0, 4).toString()).toBe('A100');
  } finally {
    d.close();
  }
});

/** A format-1 state file with one 3DES (U) key and, optionally, an SM4 (P) key without odd parity. */
function format1(sub: string, withSm4: boolean): string {
  const dmk = fromHex(DMK);
  const m = hmacSm3(dmk, Buffer.from('evsm-lab/lmk/v1/001/3DES'));
  const desKey = clear16();
  const keys: unknown[] = [{ index: 7, type: '001', scheme: 'U', lmkKey: 'U' + hex(tdesEcbEncrypt(m.subarray(0, 24), desKey)), kcv: kcv('3DES', desKey) }];
  if (withSm4) {
    const s = hmacSm3(dmk, Buffer.from('evsm-lab/lmk/v1/008/SM4'));
    const k = Buffer.alloc(16, 0x00); // no odd parity
    const c = sm4EcbEncrypt(s.subarray(0, 16), k);
    keys.push({ index: 8, type: '008', scheme: 'P', lmkKey: 'P' + hex(c) + hex(hmacSm3(s.subarray(16, 32), Buffer.from('P'), c).subarray(0, 4)), kcv: kcv('SM4', k) });
  }
  const d = join(dir, sub);
  const first = new Device(d, sub); // a format-2 file to take the device id and key from
  const s2 = first.state;
  first.close();
  writeFileSync(join(d, 'state.json'), JSON.stringify({ format: 1, deviceId: s2.deviceId, deviceKey: s2.deviceKey, dmk: DMK, auth: null, keys, revision: 3 }));
  return d;
}
function clear16(): Buffer {
  return withOddParity(fromHex('0123456789ABCDEFFEDCBA9876543210'));
}

test('a format-1 state file is migrated: keys re-wrapped under the v2 LMKs keep their CV; the old file is kept', () => {
  const path = format1('mig', false);
  const d = new Device(path, 'mig');
  try {
    expect(d.state.format).toBe(2);
    const kg = send(d, 'KG0007').toString('latin1');
    expect(kg).toBe(`KH00001X${kcv('3DES', clear16())}0014${d.state.keys[0].updateTime}`);
    expect(send(d, 'BU001K0007').toString('latin1')).toBe(`BV00${kcv('3DES', clear16())}`);
    expect(existsSync(join(path, 'state.format1.json'))).toBe(true);
  } finally {
    d.close();
  }
});

test('a format-1 entry that cannot be migrated refuses the file with one line saying what to do, and changes nothing', () => {
  const path = format1('refuse', true);
  const before = readFileSync(join(path, 'state.json'), 'utf8');
  let message = '';
  try {
    new Device(path, 'refuse').close();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/index 0008 cannot be migrated .*odd parity.*; delete it .* or move .* away/);
  expect(message).not.toContain('\n');
  expect(readFileSync(join(path, 'state.json'), 'utf8')).toBe(before);
});
