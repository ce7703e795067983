/**
 * Block ciphers by key flag (DES family, SM4, AES) in ECB, CBC, CFB and OFB, all through Node's
 * OpenSSL; commands and the LMKs treat every algorithm alike through this one table.
 * Single DES (flag Z) runs as 3DES with K1 = K2, which is single DES by construction
 * (OpenSSL 3 keeps plain DES in its legacy provider only).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hex, wipe } from '../../../crypto/index.ts';
import { HostError } from '../errors.ts';
import { type Family, type KeyFlag, blockSizeOf, familyOf } from '../device/keytypes.ts';

export type Mode = 'ecb' | 'cbc' | 'cfb' | 'ofb';

function cipherName(family: Family, keyLength: number, mode: Mode): string {
  if (family === 'SM4') return `sm4-${mode}`;
  if (family === 'AES') return `aes-${keyLength * 8}-${mode}`;
  // des-ede-ecb is spelt des-ede in some OpenSSL builds; des-ede-ecb works in Node 20.
  return keyLength === 24 ? `des-ede3-${mode}` : `des-ede-${mode}`;
}

export function blockSize(family: Family): 8 | 16 {
  return family === 'DES' ? 8 : 16;
}

/**
 * One pass of a block cipher with no padding. `key` is the clear key of the family (8, 16 or 24
 * bytes for DES; 16 for SM4; 16, 24 or 32 for AES). ECB and CBC need whole blocks (checked by
 * the caller); CFB and OFB take any length (full-block feedback: CFB64 for DES, CFB128 else).
 */
export function run(family: Family, key: Uint8Array, mode: Mode, encrypt: boolean, iv: Uint8Array | null, data: Uint8Array): Buffer {
  const single = family === 'DES' && key.length === 8;
  const k = single ? Buffer.concat([key, key]) : key;
  try {
    const name = cipherName(family, k.length, mode);
    const c = encrypt ? createCipheriv(name, k, mode === 'ecb' ? null : iv) : createDecipheriv(name, k, mode === 'ecb' ? null : iv);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(data), c.final()]);
  } finally {
    if (single) wipe(k);
  }
}

export const ecb = (family: Family, key: Uint8Array, encrypt: boolean, data: Uint8Array): Buffer => run(family, key, 'ecb', encrypt, null, data);

/**
 * ECB over a key being wrapped (under an LMK or a ZMK). A length that is not a whole number of
 * blocks (an AES-192 or 3DES triple key under a 16-byte-block key) uses ECB ciphertext stealing
 * (Schneier, Applied Cryptography 2nd ed. 9.1): the output keeps the input's length, so a
 * cryptogram is always 2 x key length hex digits. A key shorter than one block cannot be
 * wrapped this way: 27.
 */
export function wrapEcb(family: Family, wrappingKey: Uint8Array, encrypt: boolean, data: Uint8Array): Buffer {
  const b = blockSize(family);
  const tail = data.length % b;
  if (tail === 0) return ecb(family, wrappingKey, encrypt, data);
  if (data.length < b) throw new HostError('27', `a ${data.length}-byte key cannot be wrapped under a key of ${b}-byte blocks; use a DES-family ZMK`);
  const full = data.length - tail - b;
  const head = ecb(family, wrappingKey, encrypt, data.subarray(0, full));
  const last = data.subarray(full + b);
  if (encrypt) {
    const c = ecb(family, wrappingKey, true, data.subarray(full, full + b));
    const stolen = ecb(family, wrappingKey, true, Buffer.concat([last, c.subarray(tail)]));
    return Buffer.concat([head, stolen, c.subarray(0, tail)]);
  }
  const p = ecb(family, wrappingKey, false, data.subarray(full, full + b));
  const prev = ecb(family, wrappingKey, false, Buffer.concat([last, p.subarray(tail)]));
  return Buffer.concat([head, prev, p.subarray(0, tail)]);
}

/** Check value: one zero block of the key's cipher in ECB, first 8 bytes, 16H (decision 6). */
export function checkValue(flag: KeyFlag, key: Uint8Array): string {
  return hex(ecb(familyOf(flag), key, true, Buffer.alloc(blockSizeOf(flag))).subarray(0, 8));
}
