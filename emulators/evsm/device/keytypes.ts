/**
 * Key type codes and key algorithm flags of the SJJ1310 host protocol, as the vendor SDK knows
 * them (docs/host-protocol.md 2.1, 2.2).
 */

/** The SDK's key type table (3 hex digits). */
export const KEY_TYPES = {
  '000': 'ZMK/KEK',
  '001': 'ZPK',
  '002': 'TMK/TPK/PVK',
  '003': 'TAK',
  '007': 'EDK',
  '008': 'ZAK',
  '009': 'BDK',
  '00A': 'ZEK/DEK',
  '00B': 'TEK',
  '011': 'KMC',
  '109': 'MDK',
  '10C': 'HMAC',
  '209': 'MK-SMI',
  '309': 'MK-SMC',
  '402': 'CVK',
  '409': 'MK-DAK',
  '509': 'MK-DN',
} as const;
export type KeyTypeCode = keyof typeof KEY_TYPES;

export function isKeyType(s: string): s is KeyTypeCode {
  return Object.prototype.hasOwnProperty.call(KEY_TYPES, s);
}

/** Which LMK family protects a key, and which block cipher the key is for. */
export type Family = 'DES' | 'SM4' | 'AES';

export interface FlagInfo {
  family: Family;
  /** clear key length in bytes */
  length: number;
  name: string;
}

/**
 * Key algorithm flags (the SDK's `keyAlg`). L (SM1, a secret algorithm) is known to the SDK but
 * cannot be implemented: refused like an unknown flag, with 26.
 */
export const KEY_FLAGS = {
  Z: { family: 'DES', length: 8, name: 'single DES' },
  X: { family: 'DES', length: 16, name: '3DES double length' },
  U: { family: 'DES', length: 16, name: '3DES double length' },
  Y: { family: 'DES', length: 24, name: '3DES triple length' },
  T: { family: 'DES', length: 24, name: '3DES triple length' },
  P: { family: 'SM4', length: 16, name: 'SM4' },
  R: { family: 'AES', length: 16, name: 'AES-128' },
  M: { family: 'AES', length: 24, name: 'AES-192' },
  N: { family: 'AES', length: 32, name: 'AES-256' },
} as const satisfies Record<string, FlagInfo>;
export type KeyFlag = keyof typeof KEY_FLAGS;

export function isKeyFlag(s: string): s is KeyFlag {
  return Object.prototype.hasOwnProperty.call(KEY_FLAGS, s);
}

export function flagInfo(flag: KeyFlag): FlagInfo {
  return KEY_FLAGS[flag];
}

export function keyLengthOf(flag: KeyFlag): number {
  return KEY_FLAGS[flag].length;
}

export function familyOf(flag: KeyFlag): Family {
  return KEY_FLAGS[flag].family;
}

/** Block size of the cipher a key of this flag is used with. */
export function blockSizeOf(flag: KeyFlag): 8 | 16 {
  return KEY_FLAGS[flag].family === 'DES' ? 8 : 16;
}

/** Why a flag character is refused (for the 26 answer's log line). */
export function flagRefusal(c: string): string {
  if (c === 'L') return 'key flag L (SM1) names a secret algorithm this emulator cannot implement; use P (SM4)';
  return `key flag ${JSON.stringify(c)} is not one of ${Object.keys(KEY_FLAGS).join(' ')}`;
}
