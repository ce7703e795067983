/**
 * Management protocol of the EVSM emulator through the wire (servers in-process on port 0):
 * original init, recovery init (any order, duplicates refused), auth sync/new, authorization,
 * DMK component export, backup export and restore import (2-of-3, tamper, all-or-nothing).
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combineXor, hex, kcv, randomBytes, sm2Decrypt, sm2Encrypt, splitSecret } from '../crypto/index.ts';
import { MAX_INDEX } from '../emulators/evsm/device/device.ts';
import { type ClearBackupKey, encodeBackup } from '../emulators/evsm/mgmt/backup.ts';
import { storeKeyRequest } from './support/emulator-process.ts';
import { connect } from 'node:net';
import { startEmulator, type RunningEmulator } from '../emulators/evsm/emulator.ts';
import { Challenges, CHALLENGE_TTL_MS, CHALLENGES_PER_CONNECTION, authMessage as deviceAuthMessage } from '../emulators/evsm/mgmt/auth.ts';
import { HostClient } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient, ManagementError, authMessage, type ProgressEvent } from '../drivers/evsm/manager/index.ts';
import { reseal, softOriginalInit, softRecovery, softToken, type SoftCeremony, type SoftToken } from './support/soft-token.ts';

interface Dev {
  emu: RunningEmulator;
  mgr: ManagerClient;
  host: HostClient;
}

let dir: string;
const devices: Dev[] = [];

async function device(name: string): Promise<Dev> {
  const emu = await startEmulator({ port: 0, dataDir: join(dir, name), name, host: '127.0.0.1', headerLength: 4, debug: false });
  const d = { emu, mgr: await ManagerClient.connect({ port: emu.mgmtPort }), host: await HostClient.connect(emu.port) };
  devices.push(d);
  return d;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ManagementError) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-mgmt-'));
});

test.afterAll(async () => {
  for (const d of devices) {
    d.mgr.close();
    d.host.close();
    await d.emu.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('original init: components recombine to the DMK; a second original init is refused', async () => {
  const a = await device('orig');
  expect(await refusal(a.mgr.originalInit({ components: 1, threshold: 1, authPublicKeys: [softToken().publicKey], recipientPublicKey: softToken().publicKey }))).toBe('BAD_REQUEST');
  const c = await softOriginalInit(a.mgr, 3, 2, 3);
  expect(c.init.state).toBe('initialized');
  expect(c.init.dmkKcv).toBe(await a.host.ok('X8'));
  const clear = c.init.components.map((comp, i) => sm2Decrypt(c.componentTokens[i].pair.privateKey, Buffer.from(comp.encrypted, 'hex')));
  clear.forEach((x, i) => expect(kcv('SM4', x)).toBe(c.init.components[i].kcv));
  expect(kcv('SM4', combineXor(clear))).toBe(c.init.dmkKcv);
  const info = await a.mgr.getInfo();
  expect(info).toMatchObject({ state: 'initialized', model: 'SJJ1310', auth: { m: 2, n: 3 }, dmkKcv: c.init.dmkKcv });
  expect(await refusal(softOriginalInit(a.mgr))).toBe('ALREADY_INITIALIZED');
});

test.describe('two devices', () => {
  test.describe.configure({ mode: 'serial' });
  let A: Dev;
  let B: Dev;
  let c: SoftCeremony;

  test.beforeAll(async () => {
    A = await device('A');
    B = await device('B');
    c = await softOriginalInit(A.mgr, 3, 2, 3);
  });

  test('recovery init: components in any order, duplicate refused without state change, auth synced', async () => {
    expect(await refusal(B.mgr.recoveryBegin({ components: 3, confirmWipe: false as true }))).toBe('CONFIRM_REQUIRED');
    expect((await B.mgr.getInfo()).state).toBe('factory');
    const begin = await B.mgr.recoveryBegin({ components: 3, confirmWipe: true });
    expect(begin.wipedKeys).toBe(0);
    const sealed = (i: number): string => reseal(c.componentTokens[i], c.init.components[i].encrypted, begin.devicePublicKey);
    await B.mgr.importComponent({ encrypted: sealed(2) });
    expect(await refusal(B.mgr.importComponent({ encrypted: sealed(2) }))).toBe('DUPLICATE_COMPONENT');
    expect((await B.mgr.getInfo()).recovery).toEqual({ imported: 1, of: 3 });
    expect(await refusal(B.mgr.combine())).toBe('COMPONENT_COUNT');
    // encrypted to the wrong key (the component token's own key, not the device's)
    expect(await refusal(B.mgr.importComponent({ encrypted: c.init.components[0].encrypted }))).toBe('BAD_CIPHERTEXT');
    await B.mgr.importComponent({ encrypted: sealed(0) });
    await B.mgr.importComponent({ encrypted: sealed(1) });
    const combined = await B.mgr.combine();
    expect(combined.dmkKcv).toBe(c.init.dmkKcv);
    expect(combined.state).toBe('awaiting-auth');
    const tampered = c.init.authInfo.slice(0, -1) + (c.init.authInfo.endsWith('0') ? '1' : '0');
    expect(await refusal(B.mgr.syncAuth({ authInfo: tampered }))).toBe('AUTH_INFO_MAC');
    const synced = await B.mgr.syncAuth({ authInfo: c.init.authInfo });
    expect(synced).toEqual({ m: 2, n: 3, state: 'initialized' });
    expect((await B.mgr.getAuthInfo()).authInfo).toBe(c.init.authInfo);
    expect(await refusal(B.mgr.syncAuth({ authInfo: c.init.authInfo }))).toBe('WRONG_STATE');
  });

  test('external storage: a cryptogram from A works on B (same DMK), not on another DMK', async () => {
    // A0 mode 0: the key under the LMK, then its check value (16H).
    const t = await A.host.ok('A00008P');
    const [underLmk, cv] = [t.slice(0, -16), t.slice(-16)];
    expect(await B.host.ok('BU', '008', underLmk)).toBe(cv);
    const other = await device('other');
    await softOriginalInit(other.mgr);
    expect((await other.host.request('BU', '008', underLmk)).error).toBe('10');
  });

  test('auth info of a device with another DMK is refused; newAuth makes 1-of-1', async () => {
    const C = await device('C');
    const other = await device('C-other');
    const oc = await softOriginalInit(other.mgr);
    await softRecovery(C.mgr, c, [1, 0, 2]);
    expect(await refusal(C.mgr.syncAuth({ authInfo: oc.init.authInfo }))).toBe('AUTH_INFO_MAC');
    expect(await refusal(C.mgr.syncAuth({ authInfo: 'AB' }))).toBe('AUTH_INFO_INVALID');
    const t = softToken();
    const n = await C.mgr.newAuth({ publicKey: t.publicKey });
    expect(n).toMatchObject({ m: 1, n: 1, state: 'initialized' });
    // 1-of-1 authorizes a DMK component export
    const e = await C.mgr.exportDmkComponents({ components: 2, recipientPublicKey: t.publicKey, authorization: await C.mgr.authorize('exportDmkComponents', [t.signer]) });
    expect(e.dmkKcv).toBe(c.init.dmkKcv);
  });

  test('authorization: missing, too few, foreign, repeated signer, reused challenge, other op', async () => {
    const [t1, t2] = c.authTokens;
    const base = { components: 2, recipientPublicKey: t1.publicKey };
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: undefined as never }))).toBe('AUTH_REQUIRED');
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: await A.mgr.authorize('exportDmkComponents', [t1.signer]) }))).toBe('AUTH_INSUFFICIENT');
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: await A.mgr.authorize('exportDmkComponents', [t1.signer, t1.signer]) }))).toBe('AUTH_INSUFFICIENT');
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: await A.mgr.authorize('exportDmkComponents', [t1.signer, softToken().signer]) }))).toBe('AUTH_INSUFFICIENT');
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: await A.mgr.authorize('backupExport', [t1.signer, t2.signer]) }))).toBe('AUTH_INSUFFICIENT');
    const good = await A.mgr.authorize('exportDmkComponents', [t1.signer, t2.signer]);
    await A.mgr.exportDmkComponents({ ...base, authorization: good });
    expect(await refusal(A.mgr.exportDmkComponents({ ...base, authorization: good }))).toBe('AUTH_CHALLENGE');
  });

  test('DMK component export: fresh components recombine to the same DMK and differ from the originals', async () => {
    const holders: SoftToken[] = [softToken(), softToken(), softToken()];
    const auth = await A.mgr.authorize('exportDmkComponents', [c.authTokens[0].signer, c.authTokens[2].signer]);
    const e = await A.mgr.exportDmkComponents({ components: 3, recipientPublicKeys: holders.map((h) => h.publicKey), authorization: auth });
    const fresh = e.components.map((x, i) => sm2Decrypt(holders[i].pair.privateKey, Buffer.from(x.encrypted, 'hex')));
    const orig = c.init.components.map((x, i) => sm2Decrypt(c.componentTokens[i].pair.privateKey, Buffer.from(x.encrypted, 'hex')));
    expect(kcv('SM4', combineXor(fresh))).toBe(c.init.dmkKcv);
    for (const f of fresh) for (const o of orig) expect(hex(f)).not.toBe(hex(o));
  });

  test('backup export and restore import: 2 of 3 shares, tamper refused, all or nothing', async () => {
    for (const [i, type, flag] of [
      [1, '008', 'P'],
      [2, '001', 'P'],
      [3, '00A', 'U'],
      [4, '000', 'T'],
    ] as const) {
      await A.host.ok(storeKeyRequest(i, `key ${i}`, type, flag));
    }
    const listA = await A.host.ok('X4');
    const kbk = [softToken(), softToken(), softToken()];
    const events: ProgressEvent[] = [];
    const auth = await A.mgr.authorize('backupExport', [c.authTokens[1].signer, c.authTokens[2].signer]);
    const b = await A.mgr.backupExport({ recipientPublicKeys: kbk.map((k) => k.publicKey), authorization: auth }, (e) => events.push(e));
    expect(b.keyCount).toBe(4);
    expect(b.indices).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)).toEqual({ phase: 'export', done: 4, total: 4 });

    const bPub = (await B.mgr.getInfo()).devicePublicKey;
    const share = (i: number): string => reseal(kbk[i], b.shares[i].encrypted, bPub);
    await B.host.ok(storeKeyRequest(9, 'B own', '008', 'P')); // must survive every refused restore
    const listB = await B.host.ok('X4');
    const ownB = await B.host.ok('KG0009');
    const signers = [c.authTokens[0].signer, c.authTokens[1].signer];

    // one share only
    expect(await refusal(B.mgr.restoreImport({ shares: [share(0)], backup: b.backup, authorization: await B.mgr.authorize('restoreImport', signers) }))).toBe('KBK_SHARES');
    // the same share twice
    expect(await refusal(B.mgr.restoreImport({ shares: [share(0), share(0)], backup: b.backup, authorization: await B.mgr.authorize('restoreImport', signers) }))).toBe('KBK_SHARES');
    // tampered file: one bit in the last key record
    const bad = Buffer.from(b.backup, 'hex');
    bad[bad.length - 40] ^= 1;
    expect(await refusal(B.mgr.restoreImport({ shares: [share(0), share(2)], backup: hex(bad), authorization: await B.mgr.authorize('restoreImport', signers) }))).toBe('BACKUP_MAC');
    // shares of another backup
    const auth2 = await A.mgr.authorize('backupExport', [c.authTokens[1].signer, c.authTokens[2].signer]);
    const b2 = await A.mgr.backupExport({ indices: [2], recipientPublicKey: kbk[0].publicKey, authorization: auth2 });
    expect(b2.indices).toEqual([2]);
    const foreign = [reseal(kbk[0], b2.shares[0].encrypted, bPub), reseal(kbk[0], b2.shares[1].encrypted, bPub)];
    expect(await refusal(B.mgr.restoreImport({ shares: foreign, backup: b.backup, authorization: await B.mgr.authorize('restoreImport', signers) }))).toBe('BACKUP_MAC');
    // unauthorized
    expect(await refusal(B.mgr.restoreImport({ shares: [share(0), share(2)], backup: b.backup, authorization: await B.mgr.authorize('restoreImport', [signers[0]]) }))).toBe('AUTH_INSUFFICIENT');
    expect(await B.host.ok('X4')).toBe(listB);

    // shares 1 and 3 restore everything, with the same KCVs as on A
    const progress: ProgressEvent[] = [];
    const r = await B.mgr.restoreImport({ shares: [share(2), share(0)], backup: b.backup, authorization: await B.mgr.authorize('restoreImport', signers) }, (e) => progress.push(e));
    expect(r.imported).toBe(4);
    expect(progress.at(-1)).toEqual({ phase: 'import', done: 4, total: 4 });
    // Type, flag, check value, label and update time travel with each key (KG answers agree).
    for (let i = 1; i <= 4; i++) expect(await B.host.ok(`KG${String(i).padStart(4, '0')}`)).toBe(await A.host.ok(`KG${String(i).padStart(4, '0')}`));
    expect(await B.host.ok('KG0009')).toBe(ownB);
    expect((await B.host.ok('X4')).slice(4)).toBe(listA.slice(4) + listB.slice(4));
    // the restored keys are the same keys: the same check value from the key itself (BU)
    expect(await B.host.ok('BU', '008', 'K0001')).toBe(await A.host.ok('BU', '008', 'K0001'));
  });

  test('recovery init on an initialized device needs authorization and reports the wiped keys', async () => {
    const D = await device('D');
    await softRecovery(D.mgr, c);
    await D.mgr.syncAuth({ authInfo: c.init.authInfo });
    await D.host.ok(storeKeyRequest(1, '', '008'));
    await D.host.ok(storeKeyRequest(2, '', '008'));
    expect(await refusal(D.mgr.recoveryBegin({ components: 3, confirmWipe: true }))).toBe('AUTH_REQUIRED');
    expect(await D.host.ok('X4')).toMatch(/^0020/);
    const auth = await D.mgr.authorize('recoveryBegin', [c.authTokens[0].signer, c.authTokens[1].signer]);
    const begin = await D.mgr.recoveryBegin({ components: 3, confirmWipe: true, authorization: auth });
    expect(begin.wipedKeys).toBe(2);
    expect((await D.mgr.getInfo()).keyCount).toBe(0);
    expect((await D.host.request('X8')).error).toBe('13');
    for (const i of [0, 1, 2]) await D.mgr.importComponent({ encrypted: reseal(c.componentTokens[i], c.init.components[i].encrypted, begin.devicePublicKey) });
    expect(await D.mgr.combine()).toMatchObject({ dmkKcv: c.init.dmkKcv, wipedKeys: 2 });
  });
});

test('finding 6: an auth public key that is not a point on the curve is refused; the device stays factory', async () => {
  const d = await device('offcurve');
  const good = softToken().publicKey;
  // 04 || X || Y with Y changed: 65 bytes of the right shape, but no curve point.
  const off = good.slice(0, 128) + ((parseInt(good.slice(128), 16) ^ 1) & 0xff).toString(16).padStart(2, '0').toUpperCase();
  const params = { components: 2, threshold: 1, recipientPublicKey: softToken().publicKey };
  expect(await refusal(d.mgr.originalInit({ ...params, authPublicKeys: [off] }))).toBe('BAD_PUBLIC_KEY');
  expect(await refusal(d.mgr.originalInit({ ...params, authPublicKeys: [good, '04' + 'FF'.repeat(64)] }))).toBe('BAD_PUBLIC_KEY');
  expect(await d.mgr.getInfo()).toMatchObject({ state: 'factory', auth: null, dmkKcv: null });
  // and the same check where a policy is finished: newAuth
  const c = await softOriginalInit(d.mgr, 2, 1, 1);
  await d.mgr.recoveryBegin({ components: 2, confirmWipe: true, authorization: await d.mgr.authorize('recoveryBegin', [c.authTokens[0].signer]) });
  for (const [i, comp] of c.init.components.entries()) await d.mgr.importComponent({ encrypted: reseal(c.componentTokens[i], comp.encrypted, (await d.mgr.getInfo()).devicePublicKey) });
  await d.mgr.combine();
  expect(await refusal(d.mgr.newAuth({ publicKey: off }))).toBe('BAD_PUBLIC_KEY');
  expect((await d.mgr.getInfo()).state).toBe('awaiting-auth');
});

test('finding 7: an authorized restore of a MAC-valid backup with indices 0, 5, 5, 10000, 65535 is refused whole', async () => {
  const d = await device('crafted');
  const c = await softOriginalInit(d.mgr);
  await d.host.ok(storeKeyRequest(3, 'own'));
  const before = await d.host.ok('X4');
  const info = await d.mgr.getInfo();
  // A backup made with the device's own format and a KBK we know, so its MAC is valid.
  // Every byte of this key has odd parity, as the device requires of every key.
  const key = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
  const record = (index: number): ClearBackupKey => ({ index, type: '00A', flag: 'P', label: '', updateTime: '20261201000000', key: Buffer.from(key), kcv: kcv('SM4', key) });
  const kbk = randomBytes(16);
  const sharesOf = async (): Promise<string[]> => (await splitSecret(kbk, 3, 2)).slice(0, 2).map((e) => hex(sm2Encrypt(Buffer.from(info.devicePublicKey, 'hex'), e)));
  const signers = [c.authTokens[0].signer, c.authTokens[1].signer];
  const restore = async (indices: number[]): Promise<string> =>
    refusal(d.mgr.restoreImport({ shares: await sharesOf(), backup: hex(encodeBackup(info.deviceId, kbk, indices.map(record))), authorization: await d.mgr.authorize('restoreImport', signers) }));
  expect(await restore([0, 5, 5, 10000, 65535])).toBe('BACKUP_INVALID');
  expect(await restore([5, 5])).toBe('BACKUP_INVALID');
  expect(await restore([1, MAX_INDEX + 1])).toBe('BACKUP_INVALID');
  expect(await d.host.ok('X4')).toBe(before);
  // The same file format with good indices is imported: the refusals are about the indices.
  const r = await d.mgr.restoreImport({ shares: await sharesOf(), backup: hex(encodeBackup(info.deviceId, kbk, [1, MAX_INDEX].map(record))), authorization: await d.mgr.authorize('restoreImport', signers) });
  expect(r.imported).toBe(2);
});

test('management framing: not JSON, no op, unknown op get BAD_REQUEST/UNKNOWN_OP and the connection stays usable', async () => {
  const d = await device('framing');
  const s = connect(d.emu.mgmtPort, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const frame = (text: string): Buffer => {
    const body = Buffer.from(text, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    return Buffer.concat([head, body]);
  };
  const replies: Array<{ id: unknown; ok: boolean; error?: { code: string } }> = [];
  let buf = Buffer.alloc(0);
  const got = new Promise<void>((resolve) =>
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        replies.push(JSON.parse(buf.subarray(4, 4 + buf.readUInt32BE(0)).toString('utf8')) as (typeof replies)[number]);
        buf = buf.subarray(4 + buf.readUInt32BE(0));
      }
      if (replies.length === 4) resolve();
    }),
  );
  s.write(Buffer.concat([frame('{nope'), frame('{"id":2}'), frame('{"id":3,"op":"selfDestruct"}'), frame('{"id":4,"op":"getInfo"}')]));
  await got;
  s.end();
  expect(replies.map((r) => [r.id, r.ok, r.error?.code])).toEqual([
    [null, false, 'BAD_REQUEST'],
    [2, false, 'BAD_REQUEST'],
    [3, false, 'UNKNOWN_OP'],
    [4, true, undefined],
  ]);
});

test('challenges are single-use and expire', () => {
  const ch = new Challenges();
  const me = {};
  const t0 = 1_000_000;
  const a = ch.issue(me, t0).challenge;
  ch.spend(a, t0 + 1);
  expect(() => ch.spend(a, t0 + 2)).toThrow(/already used or expired/);
  const b = ch.issue(me, t0).challenge;
  expect(() => ch.spend(b, t0 + CHALLENGE_TTL_MS)).toThrow(/already used or expired/);
});

test('challenges live in per-connection slots: asking for many evicts only your own; a closed connection takes its own along', () => {
  const ch = new Challenges();
  const operator = {};
  const flood = {};
  const mine = ch.issue(operator).challenge;
  const floods = Array.from({ length: 10 * CHALLENGES_PER_CONNECTION }, () => ch.issue(flood).challenge);
  expect(ch.size).toBe(1 + CHALLENGES_PER_CONNECTION);
  expect(() => ch.spend(floods[0])).toThrow(/already used or expired/);
  ch.spend(floods[floods.length - 1]);
  ch.spend(mine);
  const again = ch.issue(operator).challenge;
  ch.release(operator);
  expect(() => ch.spend(again)).toThrow(/already used or expired/);
});

test('the client reports an unreachable management port as TRANSPORT', async () => {
  const d = await device('gone');
  const port = d.emu.mgmtPort;
  d.mgr.close();
  d.host.close();
  await d.emu.close();
  devices.splice(devices.indexOf(d), 1);
  expect(await refusal(ManagerClient.connect({ port }))).toBe('TRANSPORT');
});

test('the auth message of docs/management-protocol.md, same on device and client side', () => {
  const challenge = Buffer.from([...Array(32).keys()]);
  const expected =
    '6576736D2D6C61622F617574682F76317C6261636B75704578706F72747C4556534D3041314232433344344535467C' + '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F';
  expect(hex(deviceAuthMessage('backupExport', 'EVSM0A1B2C3D4E5F', challenge))).toBe(expected);
  expect(hex(authMessage('backupExport', 'EVSM0A1B2C3D4E5F', hex(challenge)))).toBe(expected);
});
