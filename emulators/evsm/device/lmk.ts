/**
 * LMKs derived from the DMK, and key cryptograms under them (docs/host-protocol.md 2.3).
 * One LMK per (key type code, family): a cryptogram made for one type decrypts to another value
 * under any other type's LMK, which fails the odd-parity check (refused with 10) or, rarely,
 * stands for a different key; never the original one.
 */
import { fromHex, hasOddParity, hex, hmacSm3, setOddParity, wipe } from '../../../crypto/index.ts';
import { HostError } from '../errors.ts';
import { FixedKeyEcb, ecb } from '../host/cipher.ts';
import { type Family, type KeyFlag, type KeyTypeCode, KEY_TYPES, familyOf, isKeyFlag, keyLengthOf } from './keytypes.ts';

/** Bumped when the derivation changes; state files of format 1 used v1 (device/migrate.ts). */
export const LMK_VERSION = 'v2';

const LMK_LENGTH: Record<Family, number> = { DES: 24, SM4: 16, AES: 32 };

/** The label an LMK is derived from: names the version, the purpose (a type code) and the family. */
export function lmkLabel(purpose: string, family: Family): string {
  return `evsm-lab/lmk/${LMK_VERSION}/${purpose}/${family}`;
}

/** Derives one LMK: HMAC-SM3(DMK, label), cut to the family's LMK length (DES: 3DES triple). */
export function deriveLmk(dmk: Uint8Array, purpose: string, family: Family): Buffer {
  const m = hmacSm3(dmk, Buffer.from(lmkLabel(purpose, family), 'ascii'));
  const out = Buffer.alloc(LMK_LENGTH[family]);
  // AES-256 needs 32 bytes: the whole HMAC output. DES LMKs get parity for tidiness (ignored by DES).
  m.copy(out, 0, 0, out.length);
  if (family === 'DES') setOddParity(out);
  wipe(m);
  return out;
}

/** LMKs for one DMK, derived once each and cached (derivation is an HMAC; use is hot). */
export class LmkSet {
  private readonly cache = new Map<string, Buffer>();
  /** each LMK's cipher contexts, made at its first wrap or unwrap */
  private readonly ciphers = new Map<string, FixedKeyEcb>();

  constructor(private readonly dmk: Buffer) {}

  /** The LMK for a purpose (a key type code, or `PIN`, `SM2`) and family. */
  lmk(purpose: string, family: Family): Buffer {
    const id = `${purpose}/${family}`;
    let l = this.cache.get(id);
    if (!l) {
      l = deriveLmk(this.dmk, purpose, family);
      this.cache.set(id, l);
    }
    return l;
  }

  private cipher(purpose: string, family: Family): FixedKeyEcb {
    const id = `${purpose}/${family}`;
    let c = this.ciphers.get(id);
    if (!c) {
      c = new FixedKeyEcb(family, this.lmk(purpose, family));
      this.ciphers.set(id, c);
    }
    return c;
  }

  /** NC's LMK check value: the check value of the SM4 LMK of key type 000. */
  checkValue(): string {
    return hex(ecb('SM4', this.lmk('000', 'SM4'), true, Buffer.alloc(16)).subarray(0, 8));
  }

  /** Clear key → flag + hex(ECB(LMK(type, family), key)). */
  wrap(type: KeyTypeCode, flag: KeyFlag, key: Uint8Array): string {
    const family = familyOf(flag);
    return flag + hex(this.cipher(type, family).wrap(true, key));
  }

  /**
   * Key field under the LMK (flag + hex) → clear key; refuses with 10 when the decrypted key
   * lacks odd parity (wrong key type, another DMK, or altered). The caller wipes the key.
   */
  unwrap(type: KeyTypeCode, field: string): { flag: KeyFlag; key: Buffer } {
    const flag = field[0];
    if (!isKeyFlag(flag)) throw new HostError('26', `key flag ${flag} is not supported`);
    const body = field.slice(1);
    if (body.length !== 2 * keyLengthOf(flag) || !/^[0-9A-Fa-f]*$/.test(body)) {
      throw new HostError('27', `a key of flag ${flag} under the LMK is ${2 * keyLengthOf(flag)} hex digits after the flag`);
    }
    const family = familyOf(flag);
    const key = this.cipher(type, family).wrap(false, fromHex(body));
    if (!hasOddParity(key)) {
      wipe(key);
      throw new HostError('10', `key under LMK fails its parity check as key type ${type} (${KEY_TYPES[type]}): wrong key type, another DMK, or altered`);
    }
    return { flag, key };
  }

  /** Zeroes every cached LMK (on DMK change or shutdown). */
  wipe(): void {
    for (const c of this.ciphers.values()) c.drop();
    this.ciphers.clear();
    for (const l of this.cache.values()) wipe(l);
    this.cache.clear();
    wipe(this.dmk);
  }
}
