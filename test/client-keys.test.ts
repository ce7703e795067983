/**
 * The typed key calls against real emulators with the same DMK (original init on A, recovery
 * init on B through the management client), each answer checked against the crypto core:
 * KCVs, MACs, encryption and PIN translation computed independently from the clear keys. Then
 * failover with keys: SIGKILL the primary mid-stream of KCV/MAC/encrypt commands on external
 * keys; every answer must still equal the expected value (the standby holds the same LMKs).
 */
import { test, expect } from '@playwright/test';
import { EvsmClient, EvsmCommandError, keyAt, type DispatchOptions } from '../drivers/evsm/index.ts';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { softOriginalInit, softRecovery } from '../drivers/evsm/manager/testing.ts';
import { fromHex, hex, kcv, sm4CbcEncrypt, sm4EcbDecrypt, sm4EcbEncrypt, xorBytes } from '../crypto/index.ts';
import { EmulatorProcess, emulatorAvailable } from './support/emulator-process.ts';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test.skip(!emulatorAvailable(), 'emulators/evsm/program.ts is not there yet');
test.describe.configure({ mode: 'serial' });

const C1 = '0123456789ABCDEFFEDCBA9876543210';
const C2 = '00112233445566778899AABBCCDDEEFF';
const C3 = 'A5A5A5A55A5A5A5A0F0F0F0FF0F0F0F0';
const clearOf = (...cs: string[]): Buffer => cs.map(fromHex).reduce((a, b) => xorBytes(a, b));

/** ISO 9797-1 algorithm 1 with SM4, padding method 1 (zeros), first 8H of the last block. */
function refMac(key: Buffer, data: Buffer): string {
  const padded = Buffer.concat([data, Buffer.alloc((16 - (data.length % 16)) % 16)]);
  const c = sm4CbcEncrypt(key, Buffer.alloc(16), padded.length ? padded : Buffer.alloc(16));
  return hex(c.subarray(c.length - 16)).slice(0, 8);
}

/** ISO format 0 PIN block for SM4 (8-byte block + 8 bytes FF). */
function pinBlock0(pin: string, account: string): Buffer {
  const p = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  const a = Buffer.from(`0000${account}`, 'hex');
  return Buffer.concat([xorBytes(p, a), Buffer.alloc(8, 0xff)]);
}

let a: EmulatorProcess;
let b: EmulatorProcess;
let client: EvsmClient;
let onlyB: EvsmClient;
let dmkKcv: string;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  a = await EmulatorProcess.start({ name: 'KA' });
  b = await EmulatorProcess.start({ name: 'KB' });
  const ma = await ManagerClient.connect({ port: a.mgmtPort });
  const mb = await ManagerClient.connect({ port: b.mgmtPort });
  const ceremony = await softOriginalInit(ma);
  dmkKcv = ceremony.init.dmkKcv;
  expect(await softRecovery(mb, ceremony, [1, 0])).toBe(dmkKcv);
  ma.close();
  mb.close();
  const host = (p: number, n: number): string => `[HOST${n}];hsmModel=SJJ1310;host=127.0.0.1;port=${p};timeout=3;`;
  client = await EvsmClient.open(`{${host(a.port, 1)}${host(b.port, 2)}}`, { backoff: { initialMs: 100, maxMs: 400 } });
  onlyB = await EvsmClient.open(`{${host(b.port, 1)}}`);
});

test.afterAll(async () => {
  client?.close();
  onlyB?.close();
  await Promise.all([a?.stop(), b?.stop()]);
});

test('both devices report the same DMK and LMK check values', async () => {
  expect(await client.dmkCheckValue()).toBe(dmkKcv);
  expect(await onlyB.dmkCheckValue()).toBe(dmkKcv);
  const [da, db] = [await client.diagnostics(), await onlyB.diagnostics()];
  expect(da.lmkCheckValue).toBe(db.lmkCheckValue);
  expect(da.lmkCheckValue).not.toBe('0'.repeat(16));
  expect((await client.status()).state).toMatch(/^[IK]$/);
});

test('XA forms a key from clear components; KCVs agree with the crypto core and across devices', async () => {
  const zak = await client.formKey('ZAK', 'P', [C1, C2]);
  expect(zak.kcv).toBe(kcv('SM4', clearOf(C1, C2)));
  expect(await client.keyCheckValue('ZAK', zak.keyUnderLmk)).toBe(zak.kcv);
  expect(await onlyB.keyCheckValue('ZAK', zak.keyUnderLmk)).toBe(zak.kcv); // external storage
  // A ZAK cryptogram presented as a ZPK is refused (type separation of the LMKs).
  const err = await client.keyCheckValue('ZPK', zak.keyUnderLmk).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EvsmCommandError);
  expect((err as EvsmCommandError).errorCode).toBe('10');
  const dup = await client.formKey('ZAK', 'P', [C1, C1]).catch((e: unknown) => e);
  expect((dup as EvsmCommandError).errorCode).toBe('16');
});

test('M6/M8: the MAC equals ISO 9797-1 alg. 1 with SM4; it verifies on the other device; a change fails', async () => {
  const zak = await client.formKey('ZAK', 'P', [C1, C2, C3]);
  const data = Buffer.from('payment message 0001, amount 100.00');
  const mac = await client.generateMac(zak.keyUnderLmk, data);
  expect(mac).toBe(refMac(clearOf(C1, C2, C3), data));
  expect(await onlyB.verifyMac(zak.keyUnderLmk, data, mac)).toBe(true);
  expect(await client.verifyMac(zak.keyUnderLmk, Buffer.from('payment message 0001, amount 900.00'), mac)).toBe(false);
  const mac16 = await client.generateMac(zak.keyUnderLmk, data, { size: 16 });
  expect(mac16.slice(0, 8)).toBe(mac);
});

test('M0/M2: SM4 ECB and CBC equal the crypto core; decrypt inverts encrypt; vendor aliases agree', async () => {
  const zek = await client.formKey('ZEK', 'P', [C2, C3]);
  const clear = clearOf(C2, C3);
  const data = Buffer.from('0123456789abcdef0123456789ABCDEF');
  const ecb = await client.encryptData(zek.keyUnderLmk, data);
  expect(ecb.data).toEqual(sm4EcbEncrypt(clear, data));
  expect((await onlyB.decryptData(zek.keyUnderLmk, ecb.data)).data).toEqual(data);
  const iv = Buffer.alloc(16, 7);
  const cbc = await client.encryptData(zek.keyUnderLmk, data, { mode: 'CBC', iv });
  expect(cbc.data).toEqual(sm4CbcEncrypt(clear, iv, data));
  expect(cbc.iv).toEqual(cbc.data.subarray(16));
  expect(await client.generalDataEnc(zek.keyUnderLmk, data)).toEqual(ecb.data);
  expect(await client.generalDataDec(zek.keyUnderLmk, ecb.data)).toEqual(data);
  const odd = await client.encryptData(zek.keyUnderLmk, Buffer.alloc(5)).catch((e: unknown) => e);
  expect((odd as EvsmCommandError).errorCode).toBe('80');
});

test('CC translates an SM4 PIN block from one ZPK to another', async () => {
  const src = await client.formKey('ZPK', 'P', [C1, C3]);
  const dst = await client.formKey('ZPK', 'P', [C2, C3]);
  const account = '400000123456';
  const block = sm4EcbEncrypt(clearOf(C1, C3), pinBlock0('1234', account));
  const out = await client.translatePin({ sourceZpk: src.keyUnderLmk, destinationZpk: dst.keyUnderLmk, pinBlock: hex(block), account });
  expect(out.pinLength).toBe(4);
  expect(out.format).toBe('01');
  expect(sm4EcbDecrypt(clearOf(C2, C3), fromHex(out.pinBlock))).toEqual(pinBlock0('1234', account));
});

test('A0 under a ZMK, A6 import on the other device, A8 export: one key, one KCV', async () => {
  const zmk = await client.formKey('ZMK', 'P', [C1, C2]);
  const gen = await client.generateKey('ZPK', 'P', { zmk: zmk.keyUnderLmk, scheme: 'P' });
  expect(gen.keyUnderZmk).toMatch(/^P[0-9A-F]{32}$/);
  const imported = await onlyB.importKey('ZPK', zmk.keyUnderLmk, gen.keyUnderZmk as string, 'P');
  expect(imported.kcv).toBe(gen.kcv);
  const exported = await onlyB.exportKey('ZPK', zmk.keyUnderLmk, imported.keyUnderLmk, 'P');
  expect(exported.keyUnderZmk).toBe(gen.keyUnderZmk);
  const tdes = await client.generateKey('ZAK', 'U');
  expect(tdes.keyUnderLmk).toMatch(/^U[0-9A-F]{32}$/);
  expect((await client.keyCheckValue('ZAK', tdes.keyUnderLmk)).slice(0, 6)).toBe(tdes.kcv);
});

test('internal store: X0 store, X2 info, X4 list, BU by reference, X6 delete; genWorkKey with an index', async () => {
  const kcvStored = await client.storeKey(41, 'ZAK', 'P');
  expect(await client.keyInfo(41)).toEqual({ index: 41, keyType: 'ZAK', scheme: 'P', kcv: kcvStored });
  expect(await client.keyCheckValue('ZAK', keyAt(41))).toBe(kcvStored);
  const occupied = await client.storeKey(41, 'ZAK', 'P').catch((e: unknown) => e);
  expect((occupied as EvsmCommandError).errorCode).toBe('14');
  const work = await client.genWorkKey('ZEK', 'SM4', 42, 'label-not-sent');
  expect(work.key).toBe('K0042');
  const listed = await client.listKeys();
  expect(listed.filter((k) => k.index === 41 || k.index === 42).map((k) => k.keyType)).toEqual(['ZAK', 'ZEK']);
  const enc = await client.generalDataEnc(work.key, Buffer.alloc(16));
  expect(enc).toHaveLength(16);
  await client.deleteKey(41);
  await client.deleteKey(42);
  const gone = await client.keyInfo(41).catch((e: unknown) => e);
  expect((gone as EvsmCommandError).errorCode).toBe('12');
  // Internal keys live in one device only: B never had index 41.
  expect(((await onlyB.keyInfo(41).catch((e: unknown) => e)) as EvsmCommandError).errorCode).toBe('12');
});

test('with every log category on, no component, clear key, cryptogram or MAC reaches the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-keys-log-'));
  const logged = await EvsmClient.open(`{[LOGGER];logsw=error,warn,info,debug;logPath=${dir};[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${b.port}}`);
  const zak = await logged.formKey('ZAK', 'P', [C1, C2]);
  const mac = await logged.generateMac(zak.keyUnderLmk, Buffer.from('abc'));
  await logged.formKey('ZAK', 'P', [C3, C3]).catch(() => undefined); // an error path too
  logged.close();
  const text = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  expect(text).toContain('command ok');
  for (const secret of [C1, C2, C3, hex(clearOf(C1, C2)), zak.keyUnderLmk, zak.keyUnderLmk.slice(1, 33), mac]) {
    expect(text).not.toContain(secret);
  }
});

test('SIGKILL of the primary mid-stream of KCV/MAC/encrypt on external keys: every answer still right', async () => {
  test.setTimeout(60_000);
  const zak = await client.formKey('ZAK', 'P', [C1, C2]);
  const zek = await client.formKey('ZEK', 'P', [C1, C3]);
  const data = Buffer.from('0123456789ABCDEF');
  const expected = { kcv: zak.kcv, mac: refMac(clearOf(C1, C2), data), enc: sm4EcbEncrypt(clearOf(C1, C3), data) };
  let running = true;
  let killed = false;
  const results: Array<{ ok: boolean; right: boolean; host?: string; afterKill: boolean; error?: string }> = [];
  const worker = async (w: number): Promise<void> => {
    for (let i = w; running; i++) {
      const trace: DispatchOptions['trace'] = {};
      const afterKill = killed;
      try {
        let right: boolean;
        if (i % 3 === 0) right = (await client.keyCheckValue('ZAK', zak.keyUnderLmk, { trace })) === expected.kcv;
        else if (i % 3 === 1) right = (await client.generateMac(zak.keyUnderLmk, data, {}, { trace })) === expected.mac;
        else right = (await client.encryptData(zek.keyUnderLmk, data, {}, { trace })).data.equals(expected.enc);
        results.push({ ok: true, right, host: trace.host, afterKill });
      } catch (err) {
        results.push({ ok: false, right: false, afterKill, error: (err as Error).message });
      }
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  while (results.length < 200) await new Promise((r) => setTimeout(r, 5));
  killed = true;
  await a.kill();
  const atKill = results.length;
  while (results.length < atKill + 400) await new Promise((r) => setTimeout(r, 5));
  running = false;
  await Promise.all(workers);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.filter((r) => !r.right)).toEqual([]);
  expect(results.filter((r) => r.afterKill).every((r) => r.host === 'HOST2')).toBe(true);
  // Bring A back for afterAll's clean stop.
  a = await a.restart();
});
