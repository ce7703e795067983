import { createCipheriv, createDecipheriv } from 'node:crypto';

/** SM4 (GB/T 32907) through Node's OpenSSL. No padding: callers pad explicitly (see pad.ts). */
export const SM4_BLOCK = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== 16) throw new RangeError(`SM4 key must be 16 bytes, got ${key.length}`);
}
function checkBlocks(data: Uint8Array): void {
  if (data.length % SM4_BLOCK !== 0) throw new RangeError(`SM4 data must be a multiple of 16 bytes, got ${data.length}`);
}

function run(mode: 'sm4-ecb' | 'sm4-cbc', encrypt: boolean, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Buffer {
  checkKey(key);
  checkBlocks(data);
  const c = encrypt ? createCipheriv(mode, key, iv) : createDecipheriv(mode, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export const sm4EcbEncrypt = (key: Uint8Array, data: Uint8Array): Buffer => run('sm4-ecb', true, key, null, data);
export const sm4EcbDecrypt = (key: Uint8Array, data: Uint8Array): Buffer => run('sm4-ecb', false, key, null, data);
export const sm4CbcEncrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer => run('sm4-cbc', true, key, iv, data);
export const sm4CbcDecrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer => run('sm4-cbc', false, key, iv, data);
