/** Key type codes and key schemes of the host protocol (docs/host-protocol.md 2.1, 2.2). */
export const KEY_TYPES = { '000': 'ZMK', '001': 'ZPK', '008': 'ZAK', '00A': 'ZEK' } as const;
export type KeyTypeCode = keyof typeof KEY_TYPES;

/** Schemes a key can be stored/generated with under the LMK. */
export type KeyScheme = 'U' | 'T' | 'P';

export function isKeyType(s: string): s is KeyTypeCode {
  return Object.prototype.hasOwnProperty.call(KEY_TYPES, s);
}

export function isLmkScheme(s: string): s is KeyScheme {
  return s === 'U' || s === 'T' || s === 'P';
}

export function algorithmOf(scheme: KeyScheme): 'SM4' | '3DES' {
  return scheme === 'P' ? 'SM4' : '3DES';
}

export function keyLengthOf(scheme: KeyScheme): number {
  return scheme === 'T' ? 24 : 16;
}

/** Hex digits after the tag of a key field under the LMK. */
export function lmkFieldLength(scheme: KeyScheme): number {
  return scheme === 'P' ? 40 : scheme === 'T' ? 48 : 32;
}

/** Maps a scheme tag used under a ZMK (X/Y are the payShield X9.17 aliases) to the LMK scheme. */
export function zmkSchemeToLmk(tag: string): KeyScheme | undefined {
  if (tag === 'U' || tag === 'X') return 'U';
  if (tag === 'T' || tag === 'Y') return 'T';
  if (tag === 'P') return 'P';
  return undefined;
}
