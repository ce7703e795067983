/**
 * Block ciphers by key flag (DES family, SM4, AES) in ECB, CBC, CFB and OFB, all through Node's
 * OpenSSL; commands and the LMKs treat every algorithm alike through this one table.
 * Single DES (flag Z) runs as 3DES with K1 = K2, which is single DES by construction
 * (OpenSSL 3 keeps plain DES in its legacy provider only).
 */
import { type Cipher, type Decipher, createCipheriv, createDecipheriv } from 'node:crypto';
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

/** One ECB pass over whole blocks under a key fixed by the caller. */
type Ecb = (encrypt: boolean, data: Uint8Array) => Buffer;

/**
 * ECB over a key being wrapped (under an LMK or a ZMK). A length that is not a whole number of
 * blocks (an AES-192 or 3DES triple key under a 16-byte-block key) uses ECB ciphertext stealing
 * (Schneier, Applied Cryptography 2nd ed. 9.1): the output keeps the input's length, so a
 * cryptogram is always 2 x key length hex digits. A key shorter than one block cannot be
 * wrapped this way: 27.
 */
export function wrapEcb(family: Family, wrappingKey: Uint8Array, encrypt: boolean, data: Uint8Array): Buffer {
  return stealing((e, d) => ecb(family, wrappingKey, e, d), blockSize(family), encrypt, data);
}

function stealing(ecbOf: Ecb, b: number, encrypt: boolean, data: Uint8Array): Buffer {
  const tail = data.length % b;
  if (tail === 0) return ecbOf(encrypt, data);
  if (data.length < b) throw new HostError('27', `a ${data.length}-byte key cannot be wrapped under a key of ${b}-byte blocks; use a DES-family ZMK`);
  const full = data.length - tail - b;
  const head = ecbOf(encrypt, data.subarray(0, full));
  const last = data.subarray(full + b);
  if (encrypt) {
    const c = ecbOf(true, data.subarray(full, full + b));
    const stolen = ecbOf(true, Buffer.concat([last, c.subarray(tail)]));
    return Buffer.concat([head, stolen, c.subarray(0, tail)]);
  }
  const p = ecbOf(false, data.subarray(full, full + b));
  const prev = ecbOf(false, Buffer.concat([last, p.subarray(tail)]));
  return Buffer.concat([head, prev, p.subarray(0, tail)]);
}

/**
 * ECB under one long-lived key (an LMK) with its two OpenSSL contexts made once, not per call
 * (making a context costs about five times one block's encryption). ECB with no padding carries
 * nothing from one whole-block update to the next, so every call gives exactly what a fresh
 * context would; a length that is not whole blocks is refused before it could leave a partial
 * block behind. Same results as wrapEcb(family, key, …), checked by test/emulator-cipher.test.ts.
 */
export class FixedKeyEcb {
  private enc: Cipher | undefined;
  private dec: Decipher | undefined;
  private readonly block: 8 | 16;

  constructor(
    private readonly family: Family,
    private readonly key: Uint8Array,
  ) {
    if (family === 'DES' && key.length === 8) throw new RangeError('FixedKeyEcb takes double or triple DES keys');
    this.block = blockSize(family);
  }

  /** ECB over whole blocks. */
  ecb(encrypt: boolean, data: Uint8Array): Buffer {
    if (data.length % this.block !== 0) throw new RangeError(`ECB needs whole ${this.block}-byte blocks, got ${data.length} bytes`);
    return this.context(encrypt).update(data);
  }

  /** wrapEcb under this key: whole blocks, or ciphertext stealing for a tail. */
  wrap(encrypt: boolean, data: Uint8Array): Buffer {
    return stealing((e, d) => this.ecb(e, d), this.block, encrypt, data);
  }

  /** Drops the contexts (the key itself belongs to the caller, who wipes it). */
  drop(): void {
    this.enc = undefined;
    this.dec = undefined;
  }

  private context(encrypt: boolean): Cipher | Decipher {
    const name = cipherName(this.family, this.key.length, 'ecb');
    if (encrypt) {
      if (!this.enc) {
        this.enc = createCipheriv(name, this.key, null);
        this.enc.setAutoPadding(false);
      }
      return this.enc;
    }
    if (!this.dec) {
      this.dec = createDecipheriv(name, this.key, null);
      this.dec.setAutoPadding(false);
    }
    return this.dec;
  }
}

/** Check value: one zero block of the key's cipher in ECB, first 8 bytes, 16H (decision 6). */
export function checkValue(flag: KeyFlag, key: Uint8Array): string {
  return hex(ecb(familyOf(flag), key, true, Buffer.alloc(blockSizeOf(flag))).subarray(0, 8));
}
