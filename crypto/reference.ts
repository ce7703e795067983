/**
 * sm-crypto, the pure-JavaScript SM2/SM3/SM4 implementation, used as the independent
 * reference against Node's OpenSSL and as the SM2 engine (Node's API cannot set the SM2
 * distinguishing identifier). Buffer in, Buffer out.
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
