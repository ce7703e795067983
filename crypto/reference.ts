/**
 * The REFERENCE implementation: sm-crypto, the pure-JavaScript SM2/SM3/SM4 code, independent of
 * both engines the crypto core uses (Node's OpenSSL for SM3/SM4, sm-crypto-v2 on @noble/curves
 * for SM2). Tests and the harness's reference KCVs check the core against it; nothing on a hot
 * path calls it (it signs about 25 times slower than the core's SM2). Buffer in, Buffer out.
 */
import smCrypto from 'sm-crypto';

const { sm2: smSm2, sm3: smSm3, sm4: smSm4 } = smCrypto;

export function refSm3(data: Uint8Array): Buffer {
  return Buffer.from(smSm3(Array.from(data)), 'hex');
}

export function refHmacSm3(key: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(smSm3(Array.from(data), { key: Array.from(key), mode: 'hmac' }), 'hex');
}

export function refSm4EcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(smSm4.encrypt(Array.from(data), Array.from(key), { padding: 'none', output: 'array' }));
}

export function refSm4CbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(
    smSm4.encrypt(Array.from(data), Array.from(key), { padding: 'none', mode: 'cbc', iv: Array.from(iv), output: 'array' }),
  );
}

/** sm-crypto's SM2 API, including the calls its published type definitions leave out. */
type RefSm2 = typeof smSm2 & {
  verifyPublicKey(publicKeyHex: string): boolean;
  getPublicKeyFromPrivateKey(privateKeyHex: string): string;
};
export const refSm2 = smSm2 as RefSm2;

/** Reference SM2 signature r || s (64 bytes) over SM3(Z_A || M). */
export function refSm2Sign(privateKey: Uint8Array, message: Uint8Array, userId: string): Buffer {
  const d = Buffer.from(privateKey).toString('hex');
  const publicKey = refSm2.getPublicKeyFromPrivateKey(d);
  return Buffer.from(refSm2.doSignature(Array.from(message), d, { hash: true, der: false, publicKey, userId }).padStart(128, '0'), 'hex');
}

export function refSm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, userId: string): boolean {
  return refSm2.doVerifySignature(Array.from(message), Buffer.from(signature).toString('hex'), Buffer.from(publicKey).toString('hex'), { hash: true, der: false, userId });
}

/** Reference SM2 encryption, C1 || C3 || C2 with C1 uncompressed. */
export function refSm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array): Buffer {
  return Buffer.from('04' + refSm2.doEncrypt(Array.from(plaintext), Buffer.from(publicKey).toString('hex'), 1), 'hex');
}

/** Reference SM2 decryption; undefined when C3 does not match (sm-crypto answers '' or []). */
export function refSm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  const out = refSm2.doDecrypt(Buffer.from(ciphertext.subarray(1)).toString('hex'), Buffer.from(privateKey).toString('hex'), 1, { output: 'array' }) as unknown as number[] | string;
  if (!Array.isArray(out) || (out.length === 0 && ciphertext.length !== 65 + 32)) return undefined;
  return Buffer.from(out);
}
