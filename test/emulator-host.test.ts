/**
 * Host protocol of the EVSM emulator, through the wire (server in-process on port 0):
 * framing and error handling, every implemented command, key-type separation, internal store.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fromHex,
  hmacSm3,
  hex,
  kcv,
  sm4CbcEncrypt,
  sm4EcbDecrypt,
  sm4EcbEncrypt,
  tdesEcbDecrypt,
  tdesEcbEncrypt,
  xorBytes,
} from '../crypto/index.ts';
import { startEmulator, type RunningEmulator } from '../emulators/evsm/emulator.ts';
import { HostClient, frameMessage, type HostAnswer } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { softOriginalInit } from './support/soft-token.ts';

let dir: string;
let emu: RunningEmulator;
let host: HostClient;

async function start(sub: string): Promise<RunningEmulator> {
  return startEmulator({ port: 0, dataDir: join(dir, sub), name: sub, host: '127.0.0.1', headerLength: 4, debug: false });
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-host-'));
  emu = await start('A');
  const mgr = await ManagerClient.connect({ port: emu.mgmtPort });
  await softOriginalInit(mgr);
  mgr.close();
  host = await HostClient.connect(emu.port);
});

test.afterAll(async () => {
  host?.close();
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sets odd parity, as the device does for 3DES keys formed from components. */
function oddParity(k: Buffer): Buffer {
  const out = Buffer.from(k);
  for (let i = 0; i < out.length; i++) {
    let bits = 0;
    for (let x = out[i] & 0xfe; x; x >>= 1) bits += x & 1;
    out[i] = (out[i] & 0xfe) | (bits % 2 === 0 ? 1 : 0);
  }
  return out;
}

/** XA: forms a key from two clear components; returns its LMK cryptogram and KCV. */
async function form(type: string, scheme: 'U' | 'T' | 'P', c1: Buffer, c2: Buffer): Promise<{ key: string; kcv: string }> {
  const t = await host.ok('XA', type, scheme, '2', hex(c1), hex(c2));
  const keyLen = scheme === 'P' ? 41 : scheme === 'T' ? 49 : 33;
  return { key: t.slice(0, keyLen), kcv: t.slice(keyLen) };
}

test.describe('framing and refusals', () => {
  test('B2 echo matches the documented bytes exactly', async () => {
    const [a] = await host.sendRaw(Buffer.from('000F3030303142323030303548454C4C4F', 'hex'));
    expect(a.header).toBe('0001');
    expect(a.code).toBe('B3');
    expect(a.error).toBe('00');
    expect(a.text).toBe('HELLO');
  });

  test('unknown command → command+1 and 68; too short → ZZ 15; connection still serves', async () => {
    const [unknown, short, echo] = await host.sendRaw(
      Buffer.concat([frameMessage(Buffer.from('0001ZQ')), frameMessage(Buffer.from('01')), frameMessage(Buffer.from('0002B20002OK'))]),
      3,
    );
    expect([unknown.code, unknown.error]).toEqual(['ZR', '68']);
    expect([short.header, short.code, short.error]).toEqual(['01  ', 'ZZ', '15']);
    expect([echo.header, echo.text]).toEqual(['0002', 'OK']);
  });

  test('oversized frame → 80, skipped without breaking the stream', async () => {
    const big = Buffer.alloc(2 + 40000, 0x41);
    big.writeUInt16BE(40000, 0);
    big.write('0009B2', 2, 'latin1');
    const [over, echo] = await host.sendRaw(Buffer.concat([big, frameMessage(Buffer.from('0010B20003YES'))]), 2);
    expect([over.header, over.code, over.error]).toEqual(['0009', 'B3', '80']);
    expect([echo.header, echo.error, echo.text]).toEqual(['0010', '00', 'YES']);
  });

  test('a frame split into single bytes is reassembled', async () => {
    const bytes = frameMessage(Buffer.from('0003B20004ABCD'));
    const answer = host.sendRaw(Buffer.alloc(0));
    for (const b of bytes) {
      host.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const [a] = await answer;
    expect(a.text).toBe('ABCD');
  });

  test('malformed fields → 15, bad key type → 04, bad scheme → 26', async () => {
    expect((await host.request('A0', '0', '001')).error).toBe('15');
    expect((await host.request('A0', '0', '0ZZ', 'P')).error).toBe('04');
    expect((await host.request('A0', '0', '001', 'Q')).error).toBe('26');
    expect((await host.request('B2', '000G')).error).toBe('15');
    expect((await host.request('N0', '008', 'extra')).error).toBe('15');
  });

  test('NC, CR, N0 and NO answer in the documented layout', async () => {
    const nc = await host.ok('NC');
    // LMK check value 16H + firmware + the 12-character serial the SDK's getDeviceSerial takes
    expect(nc).toMatch(/^[0-9A-F]{16}EVSM01\.00[0-9A-F]{12}$/);
    expect(nc.slice(0, 16)).not.toBe('0'.repeat(16));
    const cr = await host.request('CR', '0016');
    expect([cr.error, cr.body.length]).toEqual(['00', 16]);
    expect((await host.request('CR', '4097')).error).toBe('15');
    expect(await host.ok('N0', '008')).toMatch(/^[0-9A-F]{16}$/);
    expect(await host.ok('NO', '00')).toMatch(/^[FIK]\d{4}EVSM01\.00EVSM[0-9A-F]{12}$/);
  });
});

test('a factory device refuses key commands with 13 but answers NC', async () => {
  const factory = await start('factory');
  const c = await HostClient.connect(factory.port);
  try {
    expect((await c.ok('NC')).slice(0, 16)).toBe('0000000000000000');
    expect((await c.request('A0', '0', '001', 'P')).error).toBe('13');
    expect((await c.request('X8')).error).toBe('13');
    expect((await c.ok('NO')).slice(0, 5)).toBe('F0000');
  } finally {
    c.close();
    await factory.close();
  }
});

/** A0 mode 0: key under the LMK (flag + 2×len hex) and the last 16 characters are the CV. */
async function gen(type: string, flag: string, store: string | Buffer = ''): Promise<{ key: string; cv: string }> {
  const t = await host.ok('A0', '0', type, flag, store);
  return { key: t.slice(0, -16), cv: t.slice(-16) };
}

test.describe('keys (SJJ1310)', () => {
  test('A0 per flag: cryptogram length, odd parity, CV = ECB of a zero block; BU agrees', async () => {
    for (const [flag, len] of [['Z', 8], ['X', 16], ['U', 16], ['Y', 24], ['T', 24], ['P', 16], ['R', 16], ['M', 24], ['N', 32]] as const) {
      const g = await gen('00A', flag);
      expect(g.key, flag).toMatch(new RegExp(`^${flag}[0-9A-F]{${2 * len}}$`));
      expect(g.cv).toMatch(/^[0-9A-F]{16}$/);
      expect(await host.ok('BU', '00A', g.key)).toBe(g.cv);
    }
    expect((await host.request('A0', '0', '00A', 'L')).error).toBe('26'); // SM1: not implementable
    expect((await host.request('A0', '0', '00A', 'Q')).error).toBe('26');
    expect((await host.request('A0', '0', '0ZZ', 'P')).error).toBe('04');
  });

  test('key-type separation: a ZPK cryptogram is refused (10) or another key as any other type, never the same key', async () => {
    const zpk = await gen('001', 'P');
    for (const other of ['000', '008', '00A']) {
      const r = await host.request('BU', other, zpk.key);
      if (r.error === '00') expect(r.text, `as ${other}`).not.toBe(zpk.cv);
      else expect(r.error).toBe('10');
    }
    const altered = zpk.key.slice(0, 5) + (zpk.key[5] === '0' ? '1' : '0') + zpk.key.slice(6);
    const r = await host.request('BU', '001', altered);
    if (r.error === '00') expect(r.text).not.toBe(zpk.cv);
    else expect(r.error).toBe('10');
  });

  test('A0 with an index stores the key: KG shows type, flag, CV, UTF-8 label and update time; KF deletes; 45 after', async () => {
    const g = await gen('008', 'P', Buffer.from('K000702中文', 'utf8'));
    const kh = await host.request('KG', '0007');
    expect(kh.error).toBe('00');
    const body = kh.body.toString('utf8');
    expect(body.slice(0, 4 + 16)).toBe(`008P${g.cv}`);
    // the request counts characters (02), the answer counts UTF-8 bytes (06), as the SDK takes them
    expect(body.slice(20)).toMatch(/^06中文14\d{14}$/);
    expect((await host.request('KG', '2049')).error).toBe('55');
    expect((await host.request('KG', '0000')).error).toBe('55');
    expect((await host.request('A0', '0', '008', 'P', 'K204900')).error).toBe('55');
    // the stored key is usable by reference and keeps its CV
    expect(await host.ok('BU', '008', 'K0007')).toBe(g.cv);
    expect((await host.request('KF', '01', 'K0007')).error).toBe('00');
    expect((await host.request('KG', '0007')).error).toBe('45');
  });

  test('XK forms the odd-parity XOR of clear components in any order; two equal components → 06', async () => {
    const c1 = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
    const c2 = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    const a = await host.ok('XK', '000', 'P', '2', hex(c1), hex(c2));
    const b = await host.ok('XK', '000', 'P', '2', hex(c2), hex(c1));
    expect(a.slice(-16)).toBe(b.slice(-16));
    expect(a.slice(-16)).toBe(kcv('SM4', oddParity(xorBytes(c1, c2))));
    expect((await host.request('XK', '000', 'P', '2', hex(c1), hex(c1))).error).toBe('06');
  });

  test('A0 mode 1, A6 and A8: a key travels under a ZMK (SDK layouts) and keeps its CV', async () => {
    const zmk = await gen('000', 'X');
    const both = await host.ok('A0', '1', '008', 'X', zmk.key, 'X');
    const cv = both.slice(-16);
    const rest = both.slice(0, -16);
    const underLmk = rest.slice(0, rest.length / 2);
    const underZmk = rest.slice(rest.length / 2);
    expect(underLmk).toMatch(/^X[0-9A-F]{32}$/);
    expect(underZmk).toMatch(/^X[0-9A-F]{32}$/);
    // A6: key type, ZMK, key under ZMK, flag → key under LMK + CV
    const imported = await host.ok('A6', '008', zmk.key, underZmk, 'X');
    expect(imported.slice(-16)).toBe(cv);
    // A8: key type, ZMK, key, flag → key under ZMK + CV
    const exported = await host.ok('A8', '008', zmk.key, underLmk, 'X');
    expect(exported).toBe(underZmk + cv);
  });

  test('CC translates an ISO format-0 PIN block from one ZPK to another and back', async () => {
    const z1 = await gen('001', 'X');
    const z2 = await gen('001', 'P');
    const account = '123456789012';
    // a PIN block under z1 made by the device itself from a clear PIN (BA under the LMK, then JG to the ZPK)
    const pinLmk = await host.ok('BA', '123456', 'F', account);
    const block = await host.ok('JG', z1.key, '01', account, pinLmk);
    const there = await host.ok('CC', z1.key, z2.key, '12', block, '01', '01', account);
    expect(there).toMatch(/^06[0-9A-F]{32}01$/);
    const back = await host.ok('CC', z2.key, z1.key, '12', there.slice(2, -2), '01', '01', account);
    expect(back).toBe(`06${block}01`);
  });

  test('S3/S4 round trips (ECB, CBC), S0 MAC = an independent SM4 CBC-MAC, verify by D1', async () => {
    const zek = await gen('00A', 'P');
    const data = Buffer.from('0123456789abcdef0123456789abcdef', 'latin1');
    const enc = await host.request('S3', '00', '00A', zek.key, '00', '00', '05', '0020', data);
    expect(enc.error).toBe('00');
    const cipher = enc.body.subarray(4);
    const dec = await host.request('S4', '00', '00A', zek.key, '00', '00', '05', '0020', cipher);
    expect(dec.body.subarray(4).toString('latin1')).toBe(data.toString('latin1'));
    const iv = '00112233445566778899AABBCCDDEEFF';
    const cbc = await host.request('S3', '01', '00A', zek.key, '00', '00', '05', '0020', data, iv);
    const cbcBack = await host.request('S4', '01', '00A', zek.key, '00', '00', '05', '0020', cbc.body.subarray(4), iv);
    expect(cbcBack.body.subarray(4).equals(data)).toBe(true);
    // a known clear ZAK (formed from components) so the MAC can be recomputed here
    const k = oddParity(Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'));
    const zak = (await host.ok('XK', '008', 'P', '2', hex(k), '0'.repeat(32).replace(/0$/, '1'))).slice(0, -16);
    const k2 = oddParity(xorBytes(k, Buffer.from('0'.repeat(31) + '1', 'hex')));
    const msg = Buffer.alloc(32, 0x5a);
    const mac = await host.ok('S0', '01', '08', '008', zak, '00', '00', '05', '0020', msg, '0'.repeat(32));
    const expected = sm4CbcEncrypt(k2, Buffer.alloc(16), msg).subarray(16, 24);
    expect(mac).toBe(hex(expected));
    expect((await host.request('D1', '01', '08', '008', zak, '00', '00', '05', '0020', hex(msg), '0'.repeat(32), mac)).error).toBe('00');
    const bad = await host.request('D1', '01', '08', '008', zak, '00', '00', '05', '0020', hex(msg), '0'.repeat(32), '0'.repeat(16));
    expect(bad.error).not.toBe('00');
  });

  test('3C SM3 of "abc" is the GB/T 32905 vector; SHA-256 likewise', async () => {
    const sm3abc = await host.request('3C', '20', '0003', 'abc', ';', '00000000');
    expect(sm3abc.body.subarray(2).toString('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    const sha = await host.request('3C', '06', '0003', 'abc', ';');
    expect(sha.body.subarray(2).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect((await host.request('3C', '99', '0003', 'abc', ';')).error).toBe('74');
  });
});

test('extensions: X4 lists the internal keys, X8 gives the DMK check value', async () => {
  await host.ok('A0', '0', '001', 'P', 'K001101a');
  const list = await host.ok('X4', '0001');
  expect(list).toMatch(/^\d{3}[01]/);
  expect(list).toContain('0011001P');
  expect(await host.ok('X8')).toMatch(/^[0-9A-F]{16}$/);
});
