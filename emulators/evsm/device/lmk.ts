/**
 * LMKs derived from the DMK, and key cryptograms under them (docs/host-protocol.md 2.3).
 * One LMK per (key type, algorithm): a cryptogram made for one type is refused as any other,
 * because it is decrypted under another LMK and fails its check (SM4) or its parity (3DES).
 */
import {
  constantTimeEqual,
  hmacSm3,
  sm4EcbDecrypt,
  sm4EcbEncrypt,
  tdesEcbDecrypt,
  tdesEcbEncrypt,
  wipe,
  fromHex,
  hex,
} from '../../../crypto/index.ts';
import { HostError } from '../errors.ts';
import { KEY_TYPES, type KeyScheme, type KeyTypeCode, algorithmOf, keyLengthOf } from './keytypes.ts';
import { hasOddParity } from './parity.ts';

interface Lmk {
  enc: Buffer;
  chk: Buffer;
}

/** LMKs for one DMK, derived once and cached (derivation is an HMAC; use is hot). */
export class LmkSet {
  private readonly cache = new Map<string, Lmk>();

  constructor(private readonly dmk: Buffer) {}

  private lmk(type: KeyTypeCode, alg: 'SM4' | '3DES'): Lmk {
    const id = `${type}/${alg}`;
    let l = this.cache.get(id);
    if (!l) {
      const m = hmacSm3(this.dmk, Buffer.from(`evsm-lab/lmk/v1/${id}`, 'ascii'));
      l = alg === 'SM4' ? { enc: m.subarray(0, 16), chk: m.subarray(16, 32) } : { enc: m.subarray(0, 24), chk: Buffer.alloc(0) };
      this.cache.set(id, l);
    }
    return l;
  }

  /** KCV of the ZMK SM4 LMK: what NC reports as the LMK check value. */
  lmkEncForCheck(): Buffer {
    return this.lmk('000', 'SM4').enc;
  }

  /** Clear key → key field under the LMK ("P…", "U…", "T…"). */
  wrap(type: KeyTypeCode, scheme: KeyScheme, key: Uint8Array): string {
    const alg = algorithmOf(scheme);
    const l = this.lmk(type, alg);
    if (alg === 'SM4') {
      const c = sm4EcbEncrypt(l.enc, key);
      const check = hmacSm3(l.chk, Buffer.from('P'), c).subarray(0, 4);
      return `P${hex(c)}${hex(check)}`;
    }
    return `${scheme}${hex(tdesEcbEncrypt(l.enc, key))}`;
  }

  /** Key field under the LMK → clear key; refuses with 10 when the check or parity fails. Caller wipes. */
  unwrap(type: KeyTypeCode, field: string): { scheme: KeyScheme; key: Buffer } {
    const scheme = field[0] as KeyScheme;
    const alg = algorithmOf(scheme);
    const body = field.slice(1);
    const l = this.lmk(type, alg);
    if (alg === 'SM4') {
      const c = fromHex(body.slice(0, 32));
      const check = fromHex(body.slice(32, 40));
      const expect = hmacSm3(l.chk, Buffer.from('P'), c).subarray(0, 4);
      if (!constantTimeEqual(check, expect)) {
        throw new HostError('10', `key under LMK fails its check for key type ${type} (${KEY_TYPES[type]}): wrong key type, another DMK, or altered`);
      }
      return { scheme, key: sm4EcbDecrypt(l.enc, c) };
    }
    const key = tdesEcbDecrypt(l.enc, fromHex(body));
    if (key.length !== keyLengthOf(scheme) || !hasOddParity(key)) {
      wipe(key);
      throw new HostError('10', `key under LMK fails the parity check for key type ${type} (${KEY_TYPES[type]}): wrong key type, another DMK, or altered`);
    }
    return { scheme, key };
  }

  /** Zeroes every cached LMK (on DMK change or shutdown). */
  wipe(): void {
    for (const l of this.cache.values()) wipe(l.enc, l.chk);
    this.cache.clear();
    wipe(this.dmk);
  }
}
