/**
 * Key synchronization for internal storage: backup export on A, restore import on B.
 * Seed: 密钥同步 › 步骤1 导出备份密钥, 步骤2 导入备份密钥 (any 2 of the 3 KBK UKEYs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { test, expect } from '../harness/fixtures.ts';
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
