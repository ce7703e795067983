/** Backup file format version 1 (docs/management-protocol.md 6). */
import {
  constantTimeEqual,
  fromHex,
  hex,
  hmacSm3,
  kcv,
  padIso9797M2,
  randomBytes,
  sm4CbcDecrypt,
  sm4CbcEncrypt,
  unpadIso9797M2,
  wipe,
} from '../../../crypto/index.ts';
import { MgmtError } from '../errors.ts';
import { MAX_INDEX } from '../device/device.ts';
import { isKeyType, isLmkScheme, keyLengthOf, type KeyScheme, type KeyTypeCode } from '../device/keytypes.ts';

export const BACKUP_VERSION = 1;
const HEAD = 40;
const RECORD = 62;
const MAC = 32;

export interface ClearBackupKey {
  index: number;
  type: KeyTypeCode;
  scheme: KeyScheme;
  key: Buffer;
  /** 16H */
  kcv: string;
}

function kbkKeys(kbk: Uint8Array): { enc: Buffer; mac: Buffer } {
  const enc = hmacSm3(kbk, Buffer.from('evsm-lab/kbk/v1/enc', 'ascii')).subarray(0, 16);
  return { enc, mac: hmacSm3(kbk, Buffer.from('evsm-lab/kbk/v1/mac', 'ascii')) };
}

export function encodeBackup(deviceId: string, kbk: Uint8Array, keys: readonly ClearBackupKey[], created = Date.now()): Buffer {
  const k = kbkKeys(kbk);
  const head = Buffer.alloc(HEAD + 2 * keys.length);
  head.write('EVBK', 0, 'ascii');
  head.writeUInt16BE(BACKUP_VERSION, 4);
  head.write(deviceId.padEnd(16).slice(0, 16), 6, 'ascii');
  fromHex(kcv('SM4', kbk)).copy(head, 22);
  head.writeBigUInt64BE(BigInt(created), 30);
  head.writeUInt16BE(keys.length, 38);
  keys.forEach((e, i) => head.writeUInt16BE(e.index, HEAD + 2 * i));
  const records = keys.map((e) => {
    const r = Buffer.alloc(RECORD);
    r.writeUInt16BE(e.index, 0);
    r.write(e.type, 2, 'ascii');
    r.write(e.scheme, 5, 'ascii');
    fromHex(e.kcv).copy(r, 6);
    const iv = randomBytes(16);
    iv.copy(r, 14);
    // 16- and 24-byte keys both pad to exactly 32 bytes.
    const padded = padIso9797M2(e.key, 32);
    sm4CbcEncrypt(k.enc, iv, padded).copy(r, 30);
    wipe(padded);
    return r;
  });
  const body = Buffer.concat([head, ...records]);
  const out = Buffer.concat([body, hmacSm3(k.mac, body)]);
  wipe(k.enc, k.mac);
  return out;
}

export interface BackupHeader {
  version: number;
  deviceId: string;
  kbkCheck: Buffer;
  created: number;
  indices: number[];
}

/** Parses the header and checks the overall length; no key is touched. */
export function readBackupHeader(file: Buffer): BackupHeader {
  const bad = (why: string): MgmtError => new MgmtError('BACKUP_INVALID', `backup file is not a valid EVBK version 1 file (${why}): give the file backupExport produced`);
  if (file.length < HEAD + MAC || file.subarray(0, 4).toString('ascii') !== 'EVBK') throw bad('magic');
  const version = file.readUInt16BE(4);
  if (version !== BACKUP_VERSION) throw bad(`version ${version}`);
  const count = file.readUInt16BE(38);
  if (file.length !== HEAD + 2 * count + RECORD * count + MAC) throw bad('length does not match the key count');
  const indices = Array.from({ length: count }, (_, i) => file.readUInt16BE(HEAD + 2 * i));
  // Refused whole before any key is touched: an index outside the store or listed twice would
  // make the key list (X4, NO) disagree with itself.
  const seen = new Set<number>();
  for (const i of indices) {
    if (i < 1 || i > MAX_INDEX) throw bad(`key index ${i} is outside 1-${MAX_INDEX}`);
    if (seen.has(i)) throw bad(`key index ${i} appears twice`);
    seen.add(i);
  }
  return {
    version,
    deviceId: file.subarray(6, 22).toString('ascii').trim(),
    kbkCheck: Buffer.from(file.subarray(22, 30)),
    created: Number(file.readBigUInt64BE(30)),
    indices,
  };
}

/**
 * Checks the KBK check value and the MAC, then decrypts every key (the caller checks the
 * KCVs). Throws before returning anything if any check fails. The caller wipes the keys.
 */
export function openBackup(file: Buffer, kbk: Uint8Array): ClearBackupKey[] {
  const header = readBackupHeader(file);
  if (!constantTimeEqual(fromHex(kcv('SM4', kbk)), header.kbkCheck)) {
    throw new MgmtError('BACKUP_MAC', 'the KBK shares do not belong to this backup file (KBK check value differs): use 2 KBK tokens made with this backup; nothing was imported');
  }
  const k = kbkKeys(kbk);
  const out: ClearBackupKey[] = [];
  try {
    const body = file.subarray(0, file.length - MAC);
    if (!constantTimeEqual(hmacSm3(k.mac, body), file.subarray(file.length - MAC))) {
      throw new MgmtError('BACKUP_MAC', 'backup file MAC does not verify: the file was altered or truncated; nothing was imported');
    }
    const base = HEAD + 2 * header.indices.length;
    for (let i = 0; i < header.indices.length; i++) {
      const r = file.subarray(base + RECORD * i, base + RECORD * (i + 1));
      if (r.readUInt16BE(0) !== header.indices[i]) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} is for another index than the header lists`);
      const type = r.subarray(2, 5).toString('ascii');
      const scheme = r.subarray(5, 6).toString('ascii');
      if (!isKeyType(type) || !isLmkScheme(scheme)) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} has an unknown key type or scheme`);
      const padded = sm4CbcDecrypt(k.enc, r.subarray(14, 30), r.subarray(30, 62));
      let key: Buffer;
      try {
        key = unpadIso9797M2(padded);
      } catch {
        throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} does not decrypt to a key`);
      } finally {
        wipe(padded);
      }
      out.push({ index: r.readUInt16BE(0), type, scheme, key, kcv: hex(r.subarray(6, 14)) });
      if (key.length !== keyLengthOf(scheme)) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} holds a key of the wrong length`);
    }
    return out;
  } catch (e) {
    for (const e2 of out) wipe(e2.key);
    throw e;
  } finally {
    wipe(k.enc, k.mac);
  }
}
