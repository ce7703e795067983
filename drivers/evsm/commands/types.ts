/** Values the typed calls take and return (docs/host-protocol.md §2). */

/** Key types by name; the wire carries the payShield code (§2.1). */
export const KEY_TYPE_CODES = { ZMK: '000', ZPK: '001', ZAK: '008', ZEK: '00A' } as const;
export type KeyTypeName = keyof typeof KEY_TYPE_CODES;
export type KeyTypeCode = (typeof KEY_TYPE_CODES)[KeyTypeName];
/** Either spelling is accepted: `'ZPK'` or `'001'`. */
export type KeyType = KeyTypeName | KeyTypeCode;

/** Key scheme tag under the LMK: `U` 3DES double, `T` 3DES triple, `P` SM4 (§2.2). */
export type LmkScheme = 'U' | 'T' | 'P';
/** Key scheme tag under a ZMK (§2.2): `X`/`Y` are the payShield spellings of `U`/`T`. */
export type ZmkScheme = 'U' | 'T' | 'P' | 'X' | 'Y';

/**
 * A key as commands take it: a cryptogram under the LMK (`U…`, `T…`, `P…`), or a reference to
 * an internal key, `K0001`…`K9999` (use `keyAt(index)`).
 */
export type KeyRef = string;

export interface GeneratedKey {
  /** Key under the LMK (external storage): keep it, hand it back to any device with the same DMK. */
  keyUnderLmk: string;
  /** Mode 1 only: the same key under the ZMK given, for the partner. */
  keyUnderZmk?: string;
  /** Short check value, 6H (payShield form). */
  kcv: string;
}

export interface Diagnostics {
  /** KCV of the LMK (type 000, SM4); all zeros on a factory device. */
  lmkCheckValue: string;
  firmware: string;
}

export interface DeviceStatus {
  /** `F` factory (no DMK), `I` initialized without internal keys, `K` with internal keys. */
  state: 'F' | 'I' | 'K';
  internalKeyCount: number;
  firmware: string;
  deviceId: string;
}

export interface StoredKeyInfo {
  index: number;
  keyType: KeyTypeName | string;
  scheme: LmkScheme | string;
  /** 16H check value. */
  kcv: string;
}

export interface MacOptions {
  /** `1` ISO 9797-1 algorithm 1 (CBC-MAC, default), `3` retail MAC (3DES double-length only). */
  algorithm?: 1 | 3;
  /** `0` none (whole blocks), `1` zeros (ISO 9797-1 method 1, default), `2` `80 00…` (method 2). */
  padding?: 0 | 1 | 2;
  /** MAC length in hex digits: 8 (default) or 16. */
  size?: 8 | 16;
}

export interface DataCipherOptions {
  /** `ECB` (default) or `CBC` (then `iv` is required: 16 bytes for SM4, 8 for 3DES). */
  mode?: 'ECB' | 'CBC';
  iv?: Buffer;
}

export interface DataCipherResult {
  data: Buffer;
  /** CBC only: the last ciphertext block, to chain the next call. */
  iv?: Buffer;
}

export interface PinTranslation {
  pinLength: number;
  /** Destination PIN block, hex. */
  pinBlock: string;
  format: string;
}

/** `keyAt(1)` → `K0001`: the key stored in the device at that index. */
export function keyAt(index: number): KeyRef {
  if (!Number.isInteger(index) || index < 1 || index > 9999) throw new RangeError(`key index ${index} is not 1-9999`);
  return `K${String(index).padStart(4, '0')}`;
}

export function keyTypeCode(t: KeyType): KeyTypeCode {
  if (t in KEY_TYPE_CODES) return KEY_TYPE_CODES[t as KeyTypeName];
  if ((Object.values(KEY_TYPE_CODES) as string[]).includes(t.toUpperCase())) return t.toUpperCase() as KeyTypeCode;
  throw new RangeError(`unknown key type "${t}" (ZMK, ZPK, ZAK, ZEK or 000, 001, 008, 00A)`);
}

export function keyTypeName(code: string): KeyTypeName | string {
  const hit = (Object.entries(KEY_TYPE_CODES) as Array<[KeyTypeName, string]>).find(([, c]) => c === code);
  return hit ? hit[0] : code;
}

/** Error codes of §3, for messages. */
export const ERROR_MEANINGS: Readonly<Record<string, string>> = {
  '01': 'verification failure',
  '04': 'invalid key type, or key type not allowed for this command',
  '10': 'key under LMK fails its check (wrong type, other DMK, altered, or parity)',
  '11': 'key under ZMK fails the parity check',
  '12': 'no key stored at this index',
  '13': 'device not initialized: no DMK',
  '14': 'index already holds a key',
  '15': 'invalid input data',
  '16': 'duplicate component',
  '20': 'PIN block does not contain valid values',
  '23': 'invalid PIN block format code',
  '24': 'PIN longer than the maximum PIN length',
  '26': 'invalid key scheme, or scheme not usable here',
  '33': 'index out of range (0001-9999)',
  '41': 'internal device error',
  '42': 'device busy (a management operation holds the key store; retry)',
  '68': 'command unknown or not implemented',
  '80': 'data length error',
};
