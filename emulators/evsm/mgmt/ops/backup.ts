/** backupExport and restoreImport (docs/management-protocol.md 5, 6). */
import { combineShares, hex, kcv, randomBytes, ShareError, splitSecret, wipe } from '../../../../crypto/index.ts';
import { checkValue } from '../../host/cipher.ts';
import { MgmtError } from '../../errors.ts';
import { MAX_INDEX } from '../../device/device.ts';
import { type StoredKey, updateTimeOf } from '../../device/state.ts';
import { type ClearBackupKey, encodeBackup, openBackup, readBackupHeader } from '../backup.ts';
import { type Op, step } from '../context.ts';
import { authorize, needDmk } from '../guards.ts';
import { hexListParam, hexParam, recipients } from '../params.ts';
import { openSealed, sealTo } from '../sealing.ts';

const SHARES = 3;
const THRESHOLD = 2;

function selectedIndices(p: Record<string, unknown>): number[] | undefined {
  if (p.indices === undefined) return undefined;
  if (!Array.isArray(p.indices) || !p.indices.every((i) => Number.isInteger(i) && i >= 1 && i <= MAX_INDEX)) {
    throw new MgmtError('BAD_REQUEST', `indices must be an array of key indices 1-${MAX_INDEX} (omit it to back up all keys)`);
  }
  return [...new Set(p.indices as number[])].sort((a, b) => a - b);
}

export const backupExport: Op = async (ctx, p, progress) => {
  const wanted = selectedIndices(p);
  const to = recipients(p, SHARES);
  authorize(ctx, p, 'backupExport');
  const d = ctx.device;
  const lmks = d.lmks;
  const all = d.state.keys;
  const chosen = wanted ? wanted.map((i) => all.find((k) => k.index === i) ?? i) : all;
  const missing = chosen.filter((k): k is number => typeof k === 'number');
  if (missing.length) throw new MgmtError('NO_SUCH_KEY', `no key at index ${missing.join(', ')}: list the keys (host command X4) and choose existing indices`);
  const entries = chosen as StoredKey[];
  if (entries.length === 0) throw new MgmtError('NO_KEYS', 'there is no key to back up: generate or restore keys first');
  const kbk = randomBytes(16);
  const clear: ClearBackupKey[] = [];
  try {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const { key } = lmks.unwrap(e.type, e.lmkKey);
      clear.push({ index: e.index, type: e.type, flag: e.flag, key, kcv: e.kcv, label: e.label, updateTime: e.updateTime });
      progress('export', i + 1, entries.length);
      await step();
    }
    const backup = encodeBackup(d.deviceId, kbk, clear);
    const envelopes = await splitSecret(kbk, SHARES, THRESHOLD);
    const shares = envelopes.map((env, i) => ({ number: i + 1, encrypted: sealTo(to[i], env) }));
    wipe(...envelopes);
    ctx.log.info(`backupExport: ${entries.length} keys under a new KBK, 2-of-3 shares`);
    return { backup: hex(backup), shares, kbkKcv: kcv('SM4', kbk), keyCount: entries.length, indices: entries.map((e) => e.index) };
  } finally {
    wipe(kbk, ...clear.map((c) => c.key));
  }
};

async function rebuildKbk(envelopes: Buffer[]): Promise<Buffer> {
  try {
    return await combineShares(envelopes);
  } catch (e) {
    if (e instanceof ShareError || e instanceof RangeError) {
      throw new MgmtError('KBK_SHARES', `the KBK shares do not rebuild a KBK (${e.message}): give 2 different KBK tokens of the same backup; nothing was imported`);
    }
    throw e;
  } finally {
    wipe(...envelopes);
  }
}

export const restoreImport: Op = async (ctx, p, progress) => {
  const sealed = hexListParam(p, 'shares');
  const file = hexParam(p, 'backup');
  readBackupHeader(file);
  if (sealed.length < THRESHOLD) {
    throw new MgmtError('KBK_SHARES', `${sealed.length} KBK share given, ${THRESHOLD} needed: insert a second KBK token of this backup; nothing was imported`);
  }
  authorize(ctx, p, 'restoreImport');
  const dmk = needDmk(ctx);
  wipe(dmk);
  const envelopes = sealed.map((s, i) => openSealed(ctx.device, s, `KBK share ${i + 1}`));
  const kbk = await rebuildKbk(envelopes);
  let keys: ClearBackupKey[] = [];
  try {
    keys = openBackup(file, kbk);
    const lmks = ctx.device.lmks;
    const fresh: StoredKey[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (checkValue(k.flag, k.key) !== k.kcv) {
        throw new MgmtError('BACKUP_MAC', `key at index ${k.index} does not match its check value; nothing was imported`);
      }
      // A version 1 file has no update time: the key is new on this device now.
      fresh.push({ index: k.index, type: k.type, flag: k.flag, lmkKey: lmks.wrap(k.type, k.flag, k.key), kcv: k.kcv, label: k.label, updateTime: k.updateTime || updateTimeOf() });
      progress('import', i + 1, keys.length);
      await step();
    }
    // All checks passed: one crash-safe write replaces the key store (all or nothing).
    const indices = new Set(fresh.map((k) => k.index));
    const replaced = ctx.device.state.keys.filter((k) => indices.has(k.index)).map((k) => k.index);
    ctx.device.commit((s) => ({ ...s, keys: [...s.keys.filter((k) => !indices.has(k.index)), ...fresh] }));
    ctx.log.info(`restoreImport: ${fresh.length} keys imported (${replaced.length} replaced)`);
    // `scheme` repeats `flag` for clients written before the SJJ1310 flags.
    return { imported: fresh.length, replaced, keys: fresh.map(({ index, type, flag, kcv: v }) => ({ index, type, flag, scheme: flag, kcv: v })) };
  } finally {
    wipe(kbk, ...keys.map((k) => k.key));
  }
};
