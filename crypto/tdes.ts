import { createCipheriv, createDecipheriv } from 'node:crypto';

/** Triple DES for legacy keys: double-length (16 bytes, K1K2K1) or triple-length (24 bytes). */
export const TDES_BLOCK = 8;

function cipherName(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length === 16) return mode === 'ecb' ? 'des-ede-ecb' : 'des-ede-cbc';
  if (key.length === 24) return mode === 'ecb' ? 'des-ede3-ecb' : 'des-ede3-cbc';
  throw new RangeError(`3DES key must be 16 or 24 bytes, got ${key.length}`);
}

function run(mode: 'ecb' | 'cbc', encrypt: boolean, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Buffer {
  if (data.length % TDES_BLOCK !== 0) throw new RangeError(`3DES data must be a multiple of 8 bytes, got ${data.length}`);
  const name = cipherName(key, mode);
  const c = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export const tdesEcbEncrypt = (key: Uint8Array, data: Uint8Array): Buffer => run('ecb', true, key, null, data);
export const tdesEcbDecrypt = (key: Uint8Array, data: Uint8Array): Buffer => run('ecb', false, key, null, data);
export const tdesCbcEncrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer => run('cbc', true, key, iv, data);
export const tdesCbcDecrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer => run('cbc', false, key, iv, data);
