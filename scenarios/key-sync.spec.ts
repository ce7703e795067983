/**
 * Key synchronization for internal storage: backup export on A, restore import on B.
 * Seed: 密钥同步 › 步骤1 导出备份密钥, 步骤2 导入备份密钥 (any 2 of the 3 KBK UKEYs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { test, expect, TokenError, needsManagement } from '../harness/fixtures.ts';
import { KEY_MIX, storeKeys, twoDevices } from './setup.ts';

test('KS-01 backup export of all internal keys to a file on A, restore import on B with KBK tokens 1+2', async ({ evsmA, evsmB, procedures }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'file' });
  expect(backup.keyCount).toBe(KEY_MIX.length);
  const restored = await procedures.restoreImport(evsmB, { kbk: [backup.kbk[0], backup.kbk[1]], backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) });
  expect(restored.imported).toBe(KEY_MIX.length);
  // Same KCV at every index, same type, and the same MAC / ciphertext / export for the same input.
  await expect([evsmA, evsmB]).toHaveIdenticalKeys('all');
  await expect(evsmB).toHaveExactlyKeysAt(KEY_MIX.map(([i]) => i));
});

for (const pair of [
  [1, 3],
  [2, 3],
] as const) {
  test(`KS-02 restore with KBK tokens ${pair[0]}+${pair[1]}`, async ({ evsmA, evsmB, procedures }) => {
    const { a, b } = await twoDevices(evsmA, evsmB, procedures);
    const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: [a.auth.tokens[1], a.auth.tokens[2]], to: 'file' });
    await procedures.restoreImport(evsmB, { kbk: [backup.kbk[pair[0] - 1], backup.kbk[pair[1] - 1]], backup: { file: backup.file }, auth: [b.auth.tokens[0], b.auth.tokens[2]] });
    await expect([evsmA, evsmB]).toHaveIdenticalKeys('all');
    await expect(evsmB).toHaveExactlyKeysAt(KEY_MIX.map(([i]) => i));
  });
}

test('KS-03 one KBK token alone is refused and nothing is imported', async ({ evsmA, evsmB, procedures }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  await storeKeys(evsmB, [[40, 'ZAK', 'P']]);
  const before = await evsmB.listKeys();
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'file' });
  for (const only of backup.kbk) {
    await expect(procedures.restoreImport(evsmB, { kbk: [only], backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) }), 'one share cannot rebuild the KBK').rejects.toMatchObject({ code: 'KBK_SHARES' });
  }
  expect(await evsmB.listKeys(), 'B unchanged').toEqual(before);
});

test('KS-04 a backup file with one byte flipped is refused and B is unchanged', async ({ evsmA, evsmB, procedures }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  await storeKeys(evsmB, [[3, 'ZEK', 'P'], [41, 'ZPK', 'U']]);
  const before = await evsmB.listKeys();
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'file' });
  const bytes = readFileSync(backup.file!);
  // Flip one bit in the middle of the key records (not the header), so only the MAC can catch it.
  const tampered = Buffer.from(bytes);
  tampered[Math.floor(tampered.length / 2)] ^= 0x01;
  const tamperedFile = test.info().outputPath('backup-A-tampered.evbk');
  writeFileSync(tamperedFile, tampered);
  await expect(procedures.restoreImport(evsmB, { kbk: backup.kbk.slice(0, 2), backup: { file: tamperedFile }, auth: b.auth.tokens.slice(0, 2) })).rejects.toMatchObject({ code: 'BACKUP_MAC' });
  expect(await evsmB.listKeys(), 'B unchanged: not one key replaced or added').toEqual(before);
  // The untouched file still restores: the refusal was about the flipped byte.
  await procedures.restoreImport(evsmB, { kbk: backup.kbk.slice(0, 2), backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) });
  await expect([evsmA, evsmB]).toHaveIdenticalKeys('all');
});

test('KS-05 backup of chosen indices only; restore brings exactly those', async ({ evsmA, evsmB, procedures }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  const chosen = [2, 5, 12];
  const backup = await procedures.backupExport(evsmA, { indices: chosen, auth: a.auth.tokens.slice(0, 2), to: 'file' });
  expect(backup.indices).toEqual(chosen);
  await procedures.restoreImport(evsmB, { kbk: backup.kbk.slice(1), backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) });
  await expect(evsmB).toHaveExactlyKeysAt(chosen);
  await expect([evsmA, evsmB]).toHaveIdenticalKeys(chosen);
});

test('KS-06 backup kept inside a token instead of a file; restore from it', async ({ evsmA, evsmB, procedures }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'token' });
  expect(backup.file).toBeUndefined();
  expect(backup.token).toBeDefined();
  expect((await backup.token!.readRole())?.role).toBe('backup');
  await procedures.restoreImport(evsmB, { kbk: [backup.kbk[0], backup.kbk[2]], backup: { token: backup.token }, auth: b.auth.tokens.slice(0, 2) });
  await expect([evsmA, evsmB]).toHaveIdenticalKeys('all');
  await expect(evsmB).toHaveExactlyKeysAt(KEY_MIX.map(([i]) => i));
});

test('KS-07 wrong PINs on a KBK token count down and lock it; the restore still works with the other two tokens', async ({ evsmA, evsmB, procedures, tokens, evidence }) => {
  const { a, b } = await twoDevices(evsmA, evsmB, procedures);
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'file' });
  const [k1, k2, k3] = backup.kbk;
  const counts: number[] = [];
  await test.step('wrong PINs on KBK token 1 until it locks', async () => {
    await k1.logout();
    const start = await k1.pinStatus();
    expect(start.locked).toBe(false);
    const WRONG = '99990000'; // a test value, never a token's PIN
    for (let i = 0; i < 20; i++) {
      const e = await k1.login(WRONG).then(
        () => undefined,
        (x: unknown) => x as InstanceType<typeof TokenError>,
      );
      expect(e, 'a wrong PIN is refused').toBeInstanceOf(TokenError);
      if (e!.code === 'pin-locked') break;
      expect(e!.code).toBe('pin-incorrect');
      counts.push(e!.retriesLeft ?? -1);
      if (e!.retriesLeft === 0) {
        break;
      }
    }
    evidence.fact('KS-07 retries left after each wrong PIN', counts);
    expect(counts.length, 'the counter allows a few tries, not unlimited').toBeGreaterThan(1);
    for (let i = 1; i < counts.length; i++) expect(counts[i], 'the retry counter counts down').toBe(counts[i - 1] - 1);
    const end = await k1.pinStatus();
    expect(end.locked, 'token 1 is locked at the limit').toBe(true);
    await expect(tokens.loginToken(k1), 'a locked token refuses even its right PIN').rejects.toMatchObject({ code: 'pin-locked' });
  });
  await procedures.restoreImport(evsmB, { kbk: [k2, k3], backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) });
  await expect([evsmA, evsmB]).toHaveIdenticalKeys('all');
});

test('KS-08 1,000 keys: export and restore with progress rising to 100 %, all KCVs equal', async ({ evsmA, evsmB, procedures, evidence }) => {
  test.setTimeout(300_000);
  needsManagement(evsmA, 'each progress event of the export and the import (VsmManager shows a moving bar, not the events a person could count)');
  const { a, b } = await twoDevices(evsmA, evsmB, procedures, []);
  const COUNT = 1000;
  await test.step('store 1,000 keys on A (all types, SM4 and 3DES)', async () => {
    const types = ['ZAK', 'ZEK', 'ZPK', 'ZMK'] as const;
    const schemes = ['P', 'U', 'P', 'T'] as const;
    // Batches keep a few commands in flight on the client's pool without flooding 2 cores.
    for (let start = 1; start <= COUNT; start += 25) {
      await Promise.all(Array.from({ length: Math.min(25, COUNT - start + 1) }, (_, k) => evsmA.client.storeKey(start + k, types[(start + k) % 4], schemes[(start + k) % 4])));
    }
  });
  const backup = await procedures.backupExport(evsmA, { indices: 'all', auth: a.auth.tokens.slice(0, 2), to: 'file' });
  expect(backup.keyCount).toBe(COUNT);
  const restored = await procedures.restoreImport(evsmB, { kbk: [backup.kbk[0], backup.kbk[2]], backup: { file: backup.file }, auth: b.auth.tokens.slice(0, 2) });
  expect(restored.imported).toBe(COUNT);
  for (const [what, events] of [
    ['export', backup.progress],
    ['import', restored.progress],
  ] as const) {
    await test.step(`verify: ${what} progress rises to 100 %`, async () => {
      expect(events.length, `${what} sends progress events`).toBeGreaterThan(1);
      for (let i = 1; i < events.length; i++) expect(events[i].done, `${what} progress never goes back`).toBeGreaterThanOrEqual(events[i - 1].done);
      const last = events[events.length - 1];
      expect(last.done, `${what} ends at 100 %`).toBe(last.total);
      evidence.fact(`KS-08 ${what} progress`, { events: events.length, first: events[0], last });
    });
  }
  await test.step('verify: all 1,000 KCVs equal (index, type, scheme, KCV)', async () => {
    // The device view lists the SJJ1310 way on hardware (KG per index), by X4 on emulators.
    const [la, lb] = await Promise.all([evsmA.listKeys(), evsmB.listKeys()]);
    expect(la).toHaveLength(COUNT);
    expect(lb).toEqual(la);
    const onB = new Map(lb.map((k) => [k.index, k]));
    for (const k of la) {
      evidence.kcv({ device: 'A', index: k.index, type: k.type, algorithm: k.algorithm, kcv: k.kcv });
      evidence.kcv({ device: 'B', index: k.index, type: k.type, algorithm: k.algorithm, kcv: onB.get(k.index)!.kcv });
    }
  });
  // Behaviour on a spread sample (every key type and scheme appears in it).
  const sample = Array.from({ length: 40 }, (_, i) => 1 + i * 25);
  await expect([evsmA, evsmB]).toHaveIdenticalKeys(sample);
});
