/**
 * Standard vectors through the SJJ1310 commands: GB/T 32907 SM4 (S3 ECB, no padding, with the
 * standard key formed by XK), the Visa CVV example, and GM/T 0003 SM2 signatures made by E5
 * verified by the crypto core's reference path (sm-crypto), and the reverse through E6.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, hex, sm2PublicKeyOf, sm2Sign, sm2Verify, xorBytes } from '../crypto/index.ts';
import { Device } from '../emulators/evsm/device/device.ts';
import { dispatch } from '../emulators/evsm/host/dispatch.ts';

let dir: string;
let d: Device;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-sjj-vec-'));
  d = new Device(join(dir, 'v'), 'v');
  d.commit((s) => ({ ...s, dmk: 'A1A2A3A4A5A6A7A8A9AAABACADAEAFB0' }));
});
test.afterAll(() => {
  d.close();
  rmSync(dir, { recursive: true, force: true });
});
const send = (...parts: Array<string | Buffer>): Buffer =>
  dispatch({ device: d }, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))), 0).answer;
const ok = (...parts: Array<string | Buffer>): Buffer => {
  const a = send(...parts);
  expect(a.subarray(2, 4).toString(), a.subarray(0, 4).toString()).toBe('00');
  return a.subarray(4);
};

test('GB/T 32907 SM4 vector: S3 ECB (pad 05) with the standard key as a P ZEK', () => {
  const key = fromHex('0123456789ABCDEFFEDCBA9876543210'); // odd parity on every byte already
  const c1 = fromHex('00112233445566778899AABBCCDDEEFF');
  const zek = ok('XK00AP2', hex(c1), hex(xorBytes(key, c1))).toString('latin1').slice(0, 33);
  const out = ok(`S30000A${zek}0000050010`, key);
  expect(out.subarray(0, 4).toString()).toBe('0010');
  expect(hex(out.subarray(4))).toBe('681EDF34D206965E86B3E94F536E4246');
});

test('Visa CVV example (CVK 0123456789ABCDEF/FEDCBA9876543210, 4123456789012345, 8701, 101) = 561', () => {
  const cvk = fromHex('0123456789ABCDEFFEDCBA9876543210');
  const c1 = fromHex('11111111111111112222222222222222');
  const k = ok('XK402X2', hex(c1), hex(xorBytes(cvk, c1))).toString('latin1').slice(0, 33);
  expect(ok(`CW${k}4123456789012345;8701101`).toString()).toBe('561');
  expect(send(`CY${k}5614123456789012345;8701101`).subarray(0, 4).toString()).toBe('CZ00');
  expect(send(`CY${k}1234123456789012345;8701101`).subarray(0, 4).toString()).toBe('CZ01');
});

test('SM2: E5 signatures verify with the reference path, reference signatures verify with E6; altered data → 01', () => {
  ok('E707K000703sm2');
  const pub = ok('E2K0007').subarray(-65);
  const data = Buffer.from('message digest');
  for (const uid of ['', 'ALICE123@YAHOO.COM']) {
    const u = Buffer.from(uid);
    const sig = ok('E52007', String(u.length).padStart(4, '0'), u, ';0014', data, ';K00070');
    expect(sig.subarray(0, 4).toString()).toBe('0064');
    expect(sm2Verify(pub, data, sig.subarray(4), uid || undefined)).toBe(true);
  }
  const d0 = fromHex('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8');
  const ref = sm2Sign(d0, data);
  const pub0 = sm2PublicKeyOf(d0);
  const spki = Buffer.concat([fromHex('3059301306072A8648CE3D020106082A811CCF5501822D034200'), pub0]);
  expect(send('E620070000;00064', ref, ';0014', data, ';K9999', spki).subarray(0, 4).toString()).toBe('E700');
  expect(send('E620070000;00064', ref, ';0014', Buffer.from('message digesT'), ';K9999', spki).subarray(0, 4).toString()).toBe('E701');
});

