/**
 * The virtual UKEY device on its own (virtual-ukey/), the role record format, the driver's PIN
 * counter, and SoftHSM2's own PIN behaviour (the reason the driver counts).
 */
import { test, expect } from '@playwright/test';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError, VirtualUkeyDevice, createDevice, listDeviceFiles } from '../virtual-ukey/index.ts';
import { toPrivateKey32 } from '../crypto/index.ts';
import { decodeRole, describeRole, encodeRole } from '../drivers/ukey/role.ts';
import { PinCounter, encodePinState, type PinCounterStore } from '../drivers/ukey/pin-counter.ts';
import { SoftHsmPool, softHsmAvailable } from '../drivers/ukey/softhsm-pool.ts';
import { FACTORY_USER_PIN, TokenError } from '../drivers/ukey/token.ts';

let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evsm-vdev-'));
});
test.afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('device file: every change is a whole new file; no temporary files stay; a torn temporary file is ignored', async () => {
  const dev = await createDevice(dir, { label: 'L', serial: 'S1', userPin: FACTORY_USER_PIN, soPin: 'so-pin-1' });
  await dev.login('user', FACTORY_USER_PIN);
  for (let i = 0; i < 20; i++) {
    await dev.createObject({ class: 'data', label: `o${i}`, private: true, sensitive: false, extractable: true }, Buffer.alloc(64, i));
  }
  expect((await readdir(dir)).sort()).toEqual(['S1.ukey.json']);
  const state = JSON.parse(await readFile(join(dir, 'S1.ukey.json'), 'utf8')) as { objects: unknown[] };
  expect(state.objects).toHaveLength(20);
  // A crash between write and rename leaves a temporary file: it is not a token and breaks nothing.
  await writeFile(join(dir, '.S1.ukey.json.123.456.tmp'), '{"format":"evsm-lab/virt');
  expect(await listDeviceFiles(dir)).toEqual([join(dir, 'S1.ukey.json')]);
  const again = await VirtualUkeyDevice.open(join(dir, 'S1.ukey.json'));
  expect(again.info().serial).toBe('S1');
});

test('device file: holds no PIN in clear; a second file with the same serial is refused', async () => {
  await createDevice(dir, { label: 'L', serial: 'S2', userPin: '86429753', soPin: 'so-pin-77' });
  const text = await readFile(join(dir, 'S2.ukey.json'), 'utf8');
  expect(text).not.toContain('86429753');
  expect(text).not.toContain('so-pin-77');
  await expect(createDevice(dir, { label: 'L', serial: 'S2', userPin: '12345678', soPin: 'so-pin-77' })).rejects.toThrow(/already exists/);
  await expect(createDevice(dir, { label: 'L', serial: '../x', userPin: '12345678', soPin: 'so-pin-77' })).rejects.toThrow(/serial/);
});

test('device: sensitive keys never leave; private objects are invisible without login; PIN length is checked', async () => {
  const dev = await createDevice(dir, { label: 'L', serial: 'S3', userPin: FACTORY_USER_PIN, soPin: 'so-pin-1' });
  await expect(dev.login('user', '123')).rejects.toThrow(DeviceError);
  await dev.login('user', FACTORY_USER_PIN);
  const { privateHandle } = await dev.storeSm2KeyPair('k', '01');
  expect(() => dev.getValue(privateHandle)).toThrow(/cannot leave the token/);
  await dev.createObject({ class: 'data', label: 'secret', private: true, sensitive: false, extractable: true }, Buffer.from('x'));
  dev.logout();
  expect(dev.findObjects({ label: 'secret' })).toEqual([]);
  expect(dev.findObjects({ class: 'public-key' })).toHaveLength(1);
  await expect(dev.createObject({ class: 'data', label: 'p', private: true, sensitive: false, extractable: true }, Buffer.from('x'))).rejects.toThrow(/user login/);
  await dev.login('user', FACTORY_USER_PIN);
  await expect(dev.setPin(FACTORY_USER_PIN, '12')).rejects.toThrow(/PIN length/);
});

test('device: the SO PIN has its own counter and locks too', async () => {
  const dev = await createDevice(dir, { label: 'L', serial: 'S4', userPin: FACTORY_USER_PIN, soPin: 'so-pin-1', maxRetries: 2 });
  await expect(dev.login('so', 'wrong-so')).rejects.toMatchObject({ code: 'pin-incorrect', retriesLeft: 1 });
  await expect(dev.login('so', 'wrong-so')).rejects.toMatchObject({ code: 'pin-locked' });
  await expect(dev.login('so', 'so-pin-1')).rejects.toMatchObject({ code: 'pin-locked' });
  expect(dev.info()).toMatchObject({ soLocked: true, userLocked: false });
});

test('SM2 private keys are padded to 32 bytes (OpenSSL drops leading zero bytes)', () => {
  expect(toPrivateKey32(Buffer.from([1, 2, 3])).toString('hex')).toBe('00'.repeat(29) + '010203');
  expect(() => toPrivateKey32(Buffer.alloc(33))).toThrow(/longer than 32/);
});

test('role record: canonical bytes, round trip, clear refusals of bad records', () => {
  const r = { role: 'kbk-share' as const, deviceId: 'EVSM-A', number: 2, total: 3, backupId: 'X' };
  expect(encodeRole(r).toString()).toBe('{"format":"evsm-lab/ukey-role@1","role":"kbk-share","deviceId":"EVSM-A","number":2,"total":3,"backupId":"X"}');
  expect(decodeRole(encodeRole(r))).toEqual(r);
  expect(decodeRole(Buffer.from(`  ${encodeRole(r).toString()}\n`))).toEqual(r);
  expect(() => decodeRole(Buffer.from('role=kbk'))).toThrow('the role record (evsm.role) is not JSON: see docs/ukey-layout.md');
  expect(() => decodeRole(Buffer.from('{"format":"x"}'))).toThrow(/has format "x"/);
  expect(() => encodeRole({ role: 'dmk-component', deviceId: 'A' })).toThrow('invalid role record: a dmk-component record needs a number');
  expect(() => encodeRole({ role: 'dmk-component', deviceId: 'A', number: 3, total: 2 })).toThrow(/number is greater than total/);
  expect(() => encodeRole({ role: 'owner' as never, deviceId: 'A' })).toThrow(/role must be one of/);
  expect(describeRole({ role: 'backup', deviceId: 'A', backupId: 'B7' })).toBe('backup B7 (device A)');
  expect(describeRole({ role: 'auth', deviceId: 'A', number: 1, total: 3 })).toBe('authorization key 1 of 3 (device A)');
});

test('driver PIN counter: counts down, fails closed on a garbled record, lower copy wins', async () => {
  let copies: Buffer[] = [];
  const store: PinCounterStore = { load: async () => copies, save: async (v) => void (copies = [v]) };
  const c = new PinCounter(store, 3);
  expect(await c.state()).toEqual({ retriesLeft: 3, maxRetries: 3 });
  expect((await c.wrongPin('login')).retriesLeft).toBe(2);
  expect((await c.wrongPin('login')).code).toBe('pin-incorrect');
  const locked = await c.wrongPin('login');
  expect(locked.code).toBe('pin-locked');
  await expect(c.refuseIfLocked('login')).rejects.toThrow(TokenError);
  await c.reset();
  expect((await c.state()).retriesLeft).toBe(3);
  copies = [encodePinState({ retriesLeft: 3, maxRetries: 3 }), encodePinState({ retriesLeft: 1, maxRetries: 3 })];
  expect((await c.state()).retriesLeft).toBe(1);
  copies = [Buffer.from('garbage')];
  expect((await c.state()).retriesLeft).toBe(0);
});

test('SoftHSM2 itself never locks a PIN (why the driver counts)', async () => {
  const avail = softHsmAvailable();
  test.skip(!avail.ok, avail.reason);
  const pool = await SoftHsmPool.create({ count: 1, pinPolicy: 'token' });
  try {
    const t = pool.open(1);
    for (let i = 0; i < 10; i++) {
      const e = await t.login('00000000').then(() => undefined, (err: unknown) => err);
      expect(e).toMatchObject({ code: 'pin-incorrect' });
    }
    const st = await t.pinStatus();
    // Only COUNT_LOW is set; FINAL_TRY and LOCKED never are, and the right PIN still works.
    expect(st).toMatchObject({ enforcedBy: 'token', countLow: true, finalTry: false, locked: false, retriesLeft: undefined });
    await t.login(FACTORY_USER_PIN);
    expect((await t.pinStatus()).countLow).toBe(false);
  } finally {
    await pool.dispose();
  }
});
