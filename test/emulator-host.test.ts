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
import { softOriginalInit } from '../drivers/evsm/manager/testing.ts';

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

  test('NC, N0 and NO answer in the documented layout', async () => {
    const nc = await host.ok('NC');
    expect(nc).toMatch(/^[0-9A-F]{16}EVSM01\.00$/);
    expect(nc.slice(0, 16)).not.toBe('0'.repeat(16));
    expect(await host.ok('N0', '008')).toMatch(/^[0-9A-F]{16}$/);
    expect(await host.ok('NO', '00')).toMatch(/^[FIK]\d{4}EVSM01\.00EVSM[0-9A-F]{12}$/);
  });
});

test('a factory device refuses key commands with 13 but answers diagnostics', async () => {
  const factory = await start('factory');
  const c = await HostClient.connect(factory.port);
  try {
    expect(await c.ok('NC')).toBe('0000000000000000EVSM01.00');
    expect((await c.request('A0', '0', '001', 'P')).error).toBe('13');
    expect((await c.request('X8')).error).toBe('13');
    expect((await c.ok('NO')).slice(0, 5)).toBe('F0000');
  } finally {
    c.close();
    await factory.close();
  }
});

test.describe('keys', () => {
  test('A0 then BU: the same KCV', async () => {
    for (const scheme of ['P', 'U', 'T'] as const) {
      const t = await host.ok('A0', '0', '001', scheme);
      const len = scheme === 'P' ? 41 : scheme === 'T' ? 49 : 33;
      expect(t).toHaveLength(len + 6);
      expect(t[0]).toBe(scheme);
      const full = await host.ok('BU', '001', t.slice(0, len));
      expect(full.slice(0, 6)).toBe(t.slice(len));
    }
  });

  test('key-type separation: a ZPK cryptogram is refused as ZAK, ZMK or ZEK, and an altered one too', async () => {
    /**
     * SM4 cryptograms carry a check: refusal (10) is certain. 3DES cryptograms keep the
     * payShield length and are checked by parity only: a garbled block passes with odd parity
     * 1 time in 256 per block, and then stands for a different key. So for 3DES the property
     * is "refused, or (rarely) a key other than the ZPK", never the ZPK itself.
     */
    for (const scheme of ['P', 'U'] as const) {
      const t = await host.ok('A0', '0', '001', scheme);
      const zpk = t.slice(0, scheme === 'P' ? 41 : 33);
      const zpkKcv = await host.ok('BU', '001', zpk);
      const refused = async (a: Promise<HostAnswer>): Promise<void> => {
        const r = await a;
        if (scheme === 'P' || r.error !== '00') expect(r.error).toBe('10');
        else expect(r.text).not.toBe(zpkKcv);
      };
      for (const other of ['008', '000', '00A']) await refused(host.request('BU', other, zpk));
      const mac = await host.request('M6', '0', '1', '0', '1', '2', '008', zpk, '0004', 'ABCD');
      expect(scheme === 'P' ? ['10'] : ['10', '00']).toContain(mac.error);
      // Sent with its own type but to a command that needs another type: 04.
      expect((await host.request('M6', '0', '1', '0', '1', '2', '001', zpk, '0004', 'ABCD')).error).toBe('04');
      const altered = zpk.slice(0, 5) + (zpk[5] === '0' ? '1' : '0') + zpk.slice(6);
      await refused(host.request('BU', '001', altered));
    }
  });

  test('XA forms the XOR of clear components in any order; duplicate component → 16', async () => {
    const c1 = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const c2 = fromHex('00112233445566778899AABBCCDDEEFF');
    const a = await form('008', 'P', c1, c2);
    const b = await form('008', 'P', c2, c1);
    expect(a.kcv).toBe(kcv('SM4', xorBytes(c1, c2)));
    expect(b.kcv).toBe(a.kcv);
    expect(b.key).toBe(a.key); // deterministic ECB under the same LMK
    expect((await host.request('XA', '008', 'P', '2', hex(c1), hex(c1))).error).toBe('16');
    const d = await form('001', 'U', c1, c2);
    expect(d.kcv).toBe(kcv('3DES', oddParity(xorBytes(c1, c2))));
  });

  test('A0 mode 1, A6 and A8: keys travel under a ZMK and keep their KCV', async () => {
    for (const [zs, ks] of [
      ['P', 'P'],
      ['U', 'U'],
      ['P', 'U'],
      ['U', 'P'],
    ] as const) {
      const zmkT = await host.ok('A0', '0', '000', zs);
      const zmk = zmkT.slice(0, zs === 'P' ? 41 : 33);
      const lmkLen = ks === 'P' ? 41 : 33;
      const g = await host.ok('A0', '1', '001', ks, zmk, ks === 'U' ? 'X' : 'P');
      const underLmk = g.slice(0, lmkLen);
      const underZmk = g.slice(lmkLen, lmkLen + 33);
      const kcv6 = g.slice(lmkLen + 33);
      const imported = await host.ok('A6', '001', zmk, underZmk, ks);
      expect(imported.slice(lmkLen)).toBe(kcv6);
      const exported = await host.ok('A8', '001', zmk, underLmk, ks === 'U' ? 'X' : 'P');
      expect(exported).toBe(underZmk + kcv6);
    }
    const smZmk = (await host.ok('A0', '0', '000', 'P')).slice(0, 41);
    expect((await host.request('A0', '1', '001', 'T', smZmk, 'Y')).error).toBe('26');
  });

  test('A6 with the wrong ZMK → 11 (3DES parity)', async () => {
    const z1 = (await host.ok('A0', '0', '000', 'U')).slice(0, 33);
    const z2 = (await host.ok('A0', '0', '000', 'U')).slice(0, 33);
    const g = await host.ok('A0', '1', '001', 'U', z1, 'U');
    const refused = await host.request('A6', '001', z2, g.slice(33, 66), 'U');
    // 1 in 65536 a wrong ZMK yields odd parity by chance.
    expect(['11', '00']).toContain(refused.error);
  });
});

test.describe('PIN, MAC, data', () => {
  const account = '400000123456';
  function pinBlock(pin: string): Buffer {
    const p = Buffer.from(`0${pin.length}${pin}`.padEnd(16, 'F'), 'hex');
    return xorBytes(p, Buffer.from(`0000${account}`, 'hex'));
  }

  test('CC translates a format-0 PIN block between SM4 and 3DES ZPKs', async () => {
    const s1 = fromHex('11111111111111112222222222222222');
    const s2 = fromHex('33333333333333334444444444444444');
    const sm4Zpk = await form('001', 'P', s1, s2);
    const d1 = fromHex('0123456789ABCDEF0123456789ABCDEF');
    const d2 = fromHex('FEDCBA9876543210FEDCBA9876543210');
    const desZpk = await form('001', 'U', d1, d2);
    const sm4Clear = xorBytes(s1, s2);
    const desClear = oddParity(xorBytes(d1, d2));
    const clear = pinBlock('1234');
    const srcBlock = sm4EcbEncrypt(sm4Clear, Buffer.concat([clear, Buffer.alloc(8, 0xff)]));
    const out = await host.ok('CC', sm4Zpk.key, desZpk.key, '12', hex(srcBlock), '01', '01', account);
    expect(out.slice(0, 2)).toBe('04');
    expect(out.slice(18)).toBe('01');
    expect(hex(tdesEcbDecrypt(desClear, fromHex(out.slice(2, 18))))).toBe(hex(clear));
    // and back
    const back = await host.ok('CC', desZpk.key, sm4Zpk.key, '12', out.slice(2, 18), '01', '01', account);
    expect(hex(sm4EcbDecrypt(sm4Clear, fromHex(back.slice(2, 34))))).toBe(hex(Buffer.concat([clear, Buffer.alloc(8, 0xff)])));
    // wrong account → not a valid block; too long for max → 24; bad format → 23
    expect((await host.request('CC', sm4Zpk.key, desZpk.key, '12', hex(srcBlock), '01', '01', '999999999999')).error).toBe('20');
    const long = sm4EcbEncrypt(sm4Clear, Buffer.concat([pinBlock('123456789'), Buffer.alloc(8, 0xff)]));
    expect((await host.request('CC', sm4Zpk.key, desZpk.key, '06', hex(long), '01', '01', account)).error).toBe('24');
    expect((await host.request('CC', sm4Zpk.key, desZpk.key, '12', hex(srcBlock), '03', '01', account)).error).toBe('23');
  });

  test('M6/M8: SM4 CBC-MAC and 3DES retail MAC match an independent computation', async () => {
    const c1 = fromHex('000102030405060708090A0B0C0D0E0F');
    const c2 = fromHex('0F0E0D0C0B0A09080706050403020100');
    const zak = await form('008', 'P', c1, c2);
    const key = xorBytes(c1, c2);
    const msg = Buffer.from('The quick brown fox jumps', 'latin1');
    const padded = Buffer.concat([msg, Buffer.from([0x80]), Buffer.alloc(32 - msg.length - 1)]);
    const expected = hex(sm4CbcEncrypt(key, Buffer.alloc(16), padded).subarray(16, 32)).slice(0, 16);
    const len = msg.length.toString(16).toUpperCase().padStart(4, '0');
    expect(await host.ok('M6', '0', '0', '1', '1', '2', '008', zak.key, len, msg)).toBe(expected);
    expect((await host.request('M8', '0', '0', '1', '1', '2', '008', zak.key, len, msg, expected)).error).toBe('00');
    const wrong = (expected[0] === 'A' ? 'B' : 'A') + expected.slice(1);
    expect((await host.request('M8', '0', '0', '1', '1', '2', '008', zak.key, len, msg, wrong)).error).toBe('01');

    const d1 = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const d2 = fromHex('1111111111111111AAAAAAAAAAAAAAAA');
    const dzak = await form('008', 'U', d1, d2);
    const dkey = oddParity(xorBytes(d1, d2));
    const data = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    // retail MAC over 2 blocks: DES(K1) on block 1, then 3DES on (h xor block 2)
    const k1 = dkey.subarray(0, 8);
    const h = tdesEcbEncrypt(Buffer.concat([k1, k1]), data.subarray(0, 8));
    const retail = hex(tdesEcbEncrypt(dkey, xorBytes(h, data.subarray(8, 16)))).slice(0, 8);
    expect(await host.ok('M6', '0', '1', '0', '3', '0', '008', dzak.key, '0020', hex(data))).toBe(retail);
    expect((await host.request('M6', '0', '1', '0', '1', '0', '008', dzak.key, '0003', 'ABC')).error).toBe('80');
  });

  test('M0/M2: CBC and ECB round trips match SM4/3DES computed locally', async () => {
    const c1 = fromHex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF');
    const c2 = fromHex('0102030405060708090A0B0C0D0E0F10');
    const zek = await form('00A', 'P', c1, c2);
    const key = xorBytes(c1, c2);
    const iv = '00112233445566778899AABBCCDDEEFF';
    const plain = Buffer.from('0123456789abcdef0123456789ABCDEF', 'latin1');
    const enc = await host.ok('M0', '01', '0', '1', '00A', zek.key, iv, '0020', plain);
    const ct = sm4CbcEncrypt(key, fromHex(iv), plain);
    expect(enc).toBe(hex(ct.subarray(16)) + '0040' + hex(ct));
    const dec = await host.request('M2', '01', '1', '0', '00A', zek.key, iv, '0040', hex(ct));
    expect(dec.error).toBe('00');
    expect(dec.body.subarray(36).toString('latin1')).toBe(plain.toString('latin1'));
    const d = await form('00A', 'T', Buffer.alloc(24, 1), Buffer.alloc(24, 0x22));
    const ecb = await host.ok('M0', '00', '1', '1', '00A', d.key, '0010', '0000000000000000');
    expect(ecb).toBe('0010' + hex(tdesEcbEncrypt(oddParity(xorBytes(Buffer.alloc(24, 1), Buffer.alloc(24, 0x22))), Buffer.alloc(8))));
    expect((await host.request('M0', '00', '1', '1', '00A', zek.key, '0002', 'AB')).error).toBe('80');
    expect((await host.request('M0', '00', '1', '1', '008', zek.key, '0020', '00'.repeat(16))).error).toBe('04');
  });
});

test('internal key store: X0 X2 X4 X6, Kdddd references, X8', async () => {
  const kcv0 = await host.ok('X0', '0007', '008', 'P', '0');
  expect(kcv0).toMatch(/^[0-9A-F]{16}$/);
  expect((await host.request('X0', '0007', '008', 'P', '0')).error).toBe('14');
  expect(await host.ok('X2', '0007')).toBe('008P' + kcv0);
  expect(await host.ok('BU', '008', 'K0007')).toBe(kcv0);
  expect((await host.request('BU', '001', 'K0007')).error).toBe('04');
  const mac = await host.ok('M6', '0', '1', '0', '1', '2', '008', 'K0007', '0004', 'ABCD');
  expect(mac).toMatch(/^[0-9A-F]{8}$/);
  await host.ok('X0', '0008', '001', 'U', '0');
  const list = await host.ok('X4');
  expect(list.slice(0, 4)).toBe('0020');
  expect(list.slice(4, 28)).toBe('0007008P' + kcv0);
  expect(list.slice(28, 36)).toBe('0008001U');
  expect((await host.ok('X4', '0008')).slice(0, 4)).toBe('0010');
  await host.ok('X6', '0008');
  expect((await host.request('X2', '0008')).error).toBe('12');
  expect((await host.request('X6', '0008')).error).toBe('12');
  expect((await host.request('X2', '0000')).error).toBe('33');
  expect(await host.ok('X8')).toBe(emu.device.dmkKcv());
  expect((await host.ok('NO')).slice(0, 5)).toBe('K0001');
});

test('the worked example of docs/host-protocol.md section 7, byte for byte', async () => {
  const dmk = '0123456789ABCDEFFEDCBA9876543210';
  const M = hmacSm3(fromHex(dmk), Buffer.from('evsm-lab/lmk/v1/008/SM4'));
  expect(hex(M)).toBe('3C1D64AF20B85CFF17B10D11C56D588C008F00A073A66CF1483692B0AA876F81');
  const K = fromHex('01326754CDFEAB9876451023BA89DCEF');
  expect(hex(sm4EcbEncrypt(M.subarray(0, 16), K))).toBe('257BE44ED7701C73537480C8EEF75E2C');
  expect(kcv('SM4', K)).toBe('20BE261DC6D55095');
  expect(hex(sm4EcbEncrypt(K, Buffer.from('3132333480000000000000000000000000', 'hex').subarray(0, 16))).slice(0, 8)).toBe('879D1B89');

  // A device whose state file (docs/emulator.md) holds this DMK.
  const data = join(dir, 'example');
  const first = await start('example');
  await first.close();
  const state = JSON.parse(readFileSync(join(data, 'state.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(data, 'state.json'), JSON.stringify({ ...state, dmk }));
  const e = await start('example');
  const c = await HostClient.connect(e.port);
  try {
    expect(await c.ok('X8')).toBe('2677F46B09C122CC');
    const xa = Buffer.from('004B303030315841303038503230313233343536373839414243444546464544434241393837363534333231303030313132323333343435353636373738383939414142424343444445454646', 'hex');
    const [a] = await c.sendRaw(xa);
    expect(Buffer.concat([Buffer.from([0, 0x41]), Buffer.from(a.header + a.code + a.error), a.body]).toString('latin1')).toBe(
      '\u0000\u00410001XB00P257BE44ED7701C73537480C8EEF75E2CF37B3C0520BE261DC6D55095',
    );
    const [m] = await c.sendRaw(frameMessage(Buffer.from('0002M601012008P257BE44ED7701C73537480C8EEF75E2CF37B3C05000831323334')));
    expect(m.header + m.code + m.error + m.text).toBe('0002M700879D1B89');
    expect((await c.request('BU', '001', 'P257BE44ED7701C73537480C8EEF75E2CF37B3C05')).error).toBe('10');
  } finally {
    c.close();
    await e.close();
  }
});

test('header length is configurable (0 and 8) and echoed unchanged', async () => {
  for (const headerLength of [0, 8]) {
    const e = await startEmulator({ port: 0, dataDir: join(dir, `h${headerLength}`), name: 'H', host: '127.0.0.1', headerLength, debug: false });
    const c = await HostClient.connect(e.port, headerLength);
    try {
      const [a] = await c.sendRaw(frameMessage(Buffer.from(`${'ABCDEFGH'.slice(0, headerLength)}B20002ok`)));
      expect([a.header, a.code, a.error, a.text]).toEqual(['ABCDEFGH'.slice(0, headerLength), 'B3', '00', 'ok']);
    } finally {
      c.close();
      await e.close();
    }
  }
});
