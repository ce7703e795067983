/**
 * Backup file format (docs/management-protocol.md 6). Version 2 is written: a record per key
 * with its flag, check value, label and update time, the key padded to 48 bytes (room for
 * AES-256). Version 1 files (flags U T P, no label) are still read.
 */
import {
  constantTimeEqual,
  fromHex,
  hasOddParity,
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
import { isKeyFlag, isKeyType, keyLengthOf, type KeyFlag, type KeyTypeCode } from '../device/keytypes.ts';

export const BACKUP_VERSION = 2;
const HEAD = 40;
const MAC = 32;
/** Record layouts by version: total size, where the IV and the encrypted key are, padded key size. */
const LAYOUT = {
  1: { size: 62, iv: 14, enc: 30, padded: 32 },
  2: { size: 157, iv: 93, enc: 109, padded: 48 },
} as const;
type Version = keyof typeof LAYOUT;
/** Version 2 record: label bytes (UTF-8, zero-padded) and where the label and time sit. */
const LABEL_BYTES = 64;
const V2_TIME = 14;
const V2_LABEL_LEN = 28;
const V2_LABEL = 29;

export interface ClearBackupKey {
  index: number;
  type: KeyTypeCode;
  flag: KeyFlag;
  key: Buffer;
  /** 16H */
  kcv: string;
  /** at most 16 characters */
  label: string;
  /** yyyymmddhhmmss, UTC; empty in a version 1 file */
  updateTime: string;
}

function kbkKeys(kbk: Uint8Array): { enc: Buffer; mac: Buffer } {
  const enc = hmacSm3(kbk, Buffer.from('evsm-lab/kbk/v1/enc', 'ascii')).subarray(0, 16);
  return { enc, mac: hmacSm3(kbk, Buffer.from('evsm-lab/kbk/v1/mac', 'ascii')) };
}

function encodeRecord(e: ClearBackupKey, enc: Buffer): Buffer {
  const L = LAYOUT[2];
  const r = Buffer.alloc(L.size);
  r.writeUInt16BE(e.index, 0);
  r.write(e.type, 2, 'ascii');
  r.write(e.flag, 5, 'ascii');
  fromHex(e.kcv).copy(r, 6);
  r.write((e.updateTime || '').padEnd(14, '0').slice(0, 14), V2_TIME, 'ascii');
  const label = Buffer.from(e.label, 'utf8');
  if (label.length > LABEL_BYTES) throw new MgmtError('INTERNAL', `label of the key at index ${e.index} is over ${LABEL_BYTES} bytes`);
  r[V2_LABEL_LEN] = label.length;
  label.copy(r, V2_LABEL);
  const iv = randomBytes(16);
  iv.copy(r, L.iv);
  // Keys of 8 to 32 bytes all pad to exactly 48.
  const padded = padIso9797M2(e.key, L.padded);
  sm4CbcEncrypt(enc, iv, padded).copy(r, L.enc);
  wipe(padded);
  return r;
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
  try {
    const body = Buffer.concat([head, ...keys.map((e) => encodeRecord(e, k.enc))]);
    return Buffer.concat([body, hmacSm3(k.mac, body)]);
  } finally {
    wipe(k.enc, k.mac);
  }
}

export interface BackupHeader {
  version: Version;
  deviceId: string;
  kbkCheck: Buffer;
  created: number;
  indices: number[];
}

/** Parses the header and checks the overall length and the indices; no key is touched. */
export function readBackupHeader(file: Buffer): BackupHeader {
  const bad = (why: string): MgmtError => new MgmtError('BACKUP_INVALID', `backup file is not a valid EVBK file (${why}): give the file backupExport produced`);
  if (file.length < HEAD + MAC || file.subarray(0, 4).toString('ascii') !== 'EVBK') throw bad('magic');
  const version = file.readUInt16BE(4);
  if (version !== 1 && version !== 2) throw bad(`version ${version}`);
  const count = file.readUInt16BE(38);
  if (file.length !== HEAD + 2 * count + LAYOUT[version].size * count + MAC) throw bad('length does not match the key count');
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

/** Label and update time of a record (version 1 records have neither). */
function recordMeta(r: Buffer, version: Version, n: number): { label: string; updateTime: string } {
  if (version === 1) return { label: '', updateTime: '' };
  const len = r[V2_LABEL_LEN];
  const bytes = r.subarray(V2_LABEL, V2_LABEL + len);
  const label = bytes.toString('utf8');
  const updateTime = r.subarray(V2_TIME, V2_TIME + 14).toString('ascii');
  if (len > LABEL_BYTES || !Buffer.from(label, 'utf8').equals(bytes) || label.length > 16 || !/^\d{14}$/.test(updateTime)) {
    throw new MgmtError('BACKUP_INVALID', `backup record ${n} has a malformed label or update time`);
  }
  return { label, updateTime };
}

/**
 * Checks the KBK check value and the MAC, then decrypts every key (the caller checks the
 * check values). Throws before returning anything if any check fails. The caller wipes the keys.
 */
export function openBackup(file: Buffer, kbk: Uint8Array): ClearBackupKey[] {
  const header = readBackupHeader(file);
  if (!constantTimeEqual(fromHex(kcv('SM4', kbk)), header.kbkCheck)) {
    throw new MgmtError('BACKUP_MAC', 'the KBK shares do not belong to this backup file (KBK check value differs): use 2 KBK tokens made with this backup; nothing was imported');
  }
  const L = LAYOUT[header.version];
  const k = kbkKeys(kbk);
  const out: ClearBackupKey[] = [];
  try {
    const body = file.subarray(0, file.length - MAC);
    if (!constantTimeEqual(hmacSm3(k.mac, body), file.subarray(file.length - MAC))) {
      throw new MgmtError('BACKUP_MAC', 'backup file MAC does not verify: the file was altered or truncated; nothing was imported');
    }
    const base = HEAD + 2 * header.indices.length;
    for (let i = 0; i < header.indices.length; i++) {
      const r = file.subarray(base + L.size * i, base + L.size * (i + 1));
      if (r.readUInt16BE(0) !== header.indices[i]) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} is for another index than the header lists`);
      const type = r.subarray(2, 5).toString('ascii');
      const flag = r.subarray(5, 6).toString('ascii');
      if (!isKeyType(type) || !isKeyFlag(flag)) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} has an unknown key type or flag`);
      const meta = recordMeta(r, header.version, i + 1);
      const padded = sm4CbcDecrypt(k.enc, r.subarray(L.iv, L.iv + 16), r.subarray(L.enc, L.enc + L.padded));
      let key: Buffer;
      try {
        key = unpadIso9797M2(padded);
      } catch {
        throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} does not decrypt to a key`);
      } finally {
        wipe(padded);
      }
      out.push({ index: header.indices[i], type, flag, key, kcv: hex(r.subarray(6, 14)), ...meta });
      if (key.length !== keyLengthOf(flag)) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} holds a key of the wrong length`);
      if (!hasOddParity(key)) throw new MgmtError('BACKUP_INVALID', `backup record ${i + 1} holds a key without odd parity`);
    }
    return out;
  } catch (e) {
    for (const e2 of out) wipe(e2.key);
    throw e;
  } finally {
    wipe(k.enc, k.mac);
  }
}
