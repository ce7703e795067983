import { sm4EcbEncrypt, SM4_BLOCK } from './sm4.ts';
import { tdesEcbEncrypt, TDES_BLOCK } from './tdes.ts';
import { hex } from './bytes.ts';

export type KeyAlgorithm = 'SM4' | '3DES';

/** Clear key lengths each algorithm accepts, in bytes. */
export const KEY_LENGTHS: Record<KeyAlgorithm, readonly number[]> = { SM4: [16], '3DES': [16, 24] };

export function checkKeyLength(alg: KeyAlgorithm, key: Uint8Array): void {
  if (!KEY_LENGTHS[alg].includes(key.length)) {
    throw new RangeError(`${alg} key must be ${KEY_LENGTHS[alg].join(' or ')} bytes, got ${key.length}`);
  }
}

/**
 * Key check value, as documented in docs/crypto.md: encrypt one all-zero block (16 bytes for
 * SM4, 8 bytes for 3DES) under the key in ECB mode and keep the first 8 bytes, written as
 * 16 upper-case hex digits. `shortKcv` is its first 6 digits, the form payShield-style
 * devices print by default.
 */
export function kcv(alg: KeyAlgorithm, key: Uint8Array): string {
  checkKeyLength(alg, key);
  const block = alg === 'SM4' ? sm4EcbEncrypt(key, Buffer.alloc(SM4_BLOCK)) : tdesEcbEncrypt(key, Buffer.alloc(TDES_BLOCK));
  return hex(block.subarray(0, 8));
}

export function shortKcv(alg: KeyAlgorithm, key: Uint8Array): string {
  return kcv(alg, key).slice(0, 6);
}
