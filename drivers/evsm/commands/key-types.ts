/**
 * Key type names and codes, and key algorithm flags, as the vendor SDK maps them
 * (sjj1310-wire.md §0; the SDK's KeyUtil$KeyType and KeyUtil$keyAlg enums).
 */
import { EvsmParameterError } from '../errors.ts';

/** Key type names → the 3-hex-digit code the wire carries. Several names share a code. */
export const KEY_TYPE_CODES = {
  ZMK: '000',
  KEK: '000',
  ZPK: '001',
  TMK: '002',
  TPK: '002',
  PVK: '002',
  TAK: '003',
  EDK: '007',
  ZAK: '008',
  BDK: '009',
  ZEK: '00A',
  DEK: '00A',
  TEK: '00B',
  KMC: '011',
  MDK: '109',
  MK_AC: '109',
  HMAC: '10C',
  'MK-SMI': '209',
  'MK-SMC': '309',
  CVK: '402',
  'MK-DAK': '409',
  'MK-DN': '509',
} as const;
export type KeyTypeName = keyof typeof KEY_TYPE_CODES;
export type KeyTypeCode = (typeof KEY_TYPE_CODES)[KeyTypeName];
/** A name (`'ZPK'`, any case) or a hex code (`'001'`, `'0A'` is padded to `00A`). */
export type KeyType = KeyTypeName | KeyTypeCode | string;

/** The name shown for a code: the first name of the table (000 → ZMK, 00A → ZEK). */
const CANONICAL_NAME = new Map<string, KeyTypeName>();
for (const [name, code] of Object.entries(KEY_TYPE_CODES) as Array<[KeyTypeName, string]>) {
  if (!CANONICAL_NAME.has(code)) CANONICAL_NAME.set(code, name);
}
const BY_UPPER_NAME = new Map<string, string>(Object.entries(KEY_TYPE_CODES).map(([n, c]) => [n.toUpperCase(), c]));

/**
 * The SDK's key type mapping: a known name (case-insensitive) gives its code; otherwise the text
 * is read as hex and must be one of the table's codes (`0A` → `00A`; `00C`, `123` are refused with
 * -602 as by the SDK, which also crashes on text that is not hex, such as `MK-AC`).
 */
export function keyTypeCode(t: KeyType): string {
  if (typeof t !== 'string' || t === '') throw new EvsmParameterError('KeyType Cannot be null', -602);
  const named = BY_UPPER_NAME.get(t.toUpperCase());
  if (named) return named;
  if (!/^[0-9A-Fa-f]{1,8}$/.test(t)) {
    throw new EvsmParameterError(`Value of parameter keyType <${t}> Invalid: a key type name (ZMK, ZPK, ZAK, ZEK, …) or code (000, 001, 008, 00A, …)`, -602);
  }
  const n = parseInt(t, 16);
  const code = n.toString(16).toUpperCase().padStart(3, '0');
  if (!CANONICAL_NAME.has(code)) throw new EvsmParameterError(`Value of parameter keyType <0X${n.toString(16).toUpperCase()}> Invalid.`, -602);
  return code;
}

/** `00A` → `ZEK`; a code without a name is returned as it is. */
export function keyTypeName(code: string): KeyTypeName | string {
  return CANONICAL_NAME.get(code.toUpperCase()) ?? code;
}

/** Key algorithm flags and their key lengths in bytes (the SDK's KeyUtil$keyAlg.getKeyLength). */
export const KEY_FLAG_LENGTHS = { Z: 8, X: 16, U: 16, Y: 24, T: 24, P: 16, R: 16, L: 16, M: 24, N: 32 } as const;
export type KeyFlag = keyof typeof KEY_FLAG_LENGTHS;

/**
 * What each flag means on this lab's devices (brief decision 3): Z single DES, X/U 3DES double,
 * Y/T 3DES triple, P SM4, R/M/N AES-128/192/256, L SM1 (refused by the emulator: secret algorithm).
 */
export const KEY_FLAG_ALGORITHMS: Readonly<Record<KeyFlag, string>> = {
  Z: 'DES',
  X: '3DES-2',
  U: '3DES-2',
  Y: '3DES-3',
  T: '3DES-3',
  P: 'SM4',
  R: 'AES-128',
  M: 'AES-192',
  N: 'AES-256',
  L: 'SM1',
};

export function isKeyFlag(c: string): c is KeyFlag {
  return Object.prototype.hasOwnProperty.call(KEY_FLAG_LENGTHS, c);
}

/** Block size of the flag's cipher: 8 for the DES family, 16 for SM4, AES and SM1. */
export function blockSizeOf(flag: KeyFlag): 8 | 16 {
  return 'ZXUYT'.includes(flag) ? 8 : 16;
}
