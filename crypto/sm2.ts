/**
 * SM2 (GM/T 0003) signatures and public-key encryption on the recommended curve.
 * Keys travel as raw bytes: private key 32 bytes, public key 65 bytes (04 || X || Y).
 * Signatures are raw r || s (64 bytes) over SM3(Z_A || M) with the standard user ID
 * "1234567812345678". Ciphertexts are C1 || C3 || C2 with C1 uncompressed (04 || X || Y).
 */
import { createECDH } from 'node:crypto';
import { refSm2 } from './reference.ts';

export const SM2_DEFAULT_USER_ID = '1234567812345678';

export interface Sm2KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

export function sm2GenerateKeyPair(): Sm2KeyPair {
  // OpenSSL generates the key (its RNG and curve arithmetic); sm-crypto signs with it.
  const ecdh = createECDH('SM2');
  ecdh.generateKeys();
  // OpenSSL drops leading zero bytes of the scalar (about 1 key in 256); keys are always 32 bytes here.
  const raw = ecdh.getPrivateKey();
  const privateKey = Buffer.alloc(32);
  raw.copy(privateKey, 32 - raw.length);
  raw.fill(0);
  return { privateKey, publicKey: ecdh.getPublicKey() };
}

export function sm2PublicKeyOf(privateKey: Uint8Array): Buffer {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(privateKey);
  return ecdh.getPublicKey();
}

function checkPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw new RangeError('SM2 public key must be 65 bytes, 04 || X || Y');
  const h = Buffer.from(publicKey).toString('hex');
  if (!refSm2.verifyPublicKey(h)) throw new RangeError('SM2 public key is not a point on the curve');
  return h;
}

const SM2_P = Buffer.from('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF', 'hex');

/** Whether `publicKey` is 04 || X || Y of a point on the SM2 curve (what a key used later must be). */
export function sm2IsValidPublicKey(publicKey: Uint8Array): boolean {
  try {
    checkPublicKey(publicKey);
    // Coordinates must be field elements: X + p may still satisfy the curve equation mod p.
    const b = Buffer.from(publicKey);
    return b.subarray(1, 33).compare(SM2_P) < 0 && b.subarray(33, 65).compare(SM2_P) < 0;
  } catch {
    return false;
  }
}

function privHex(privateKey: Uint8Array): string {
  if (privateKey.length !== 32) throw new RangeError('SM2 private key must be 32 bytes');
  return Buffer.from(privateKey).toString('hex');
}

export function sm2Sign(privateKey: Uint8Array, message: Uint8Array, userId = SM2_DEFAULT_USER_ID): Buffer {
  const publicKey = sm2PublicKeyOf(privateKey).toString('hex');
  const sig = refSm2.doSignature(Array.from(message), privHex(privateKey), { hash: true, der: false, publicKey, userId });
  return Buffer.from(sig.padStart(128, '0'), 'hex');
}

export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, userId = SM2_DEFAULT_USER_ID): boolean {
  if (signature.length !== 64) return false;
  let pub: string;
  try {
    pub = checkPublicKey(publicKey);
  } catch {
    return false;
  }
  return refSm2.doVerifySignature(Array.from(message), Buffer.from(signature).toString('hex'), pub, { hash: true, der: false, userId });
}

export function sm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array): Buffer {
  const pub = checkPublicKey(publicKey);
  const c = refSm2.doEncrypt(Array.from(plaintext), pub, 1);
  return Buffer.from('04' + c, 'hex');
}

export function sm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (ciphertext.length < 65 + 32 || ciphertext[0] !== 0x04) throw new RangeError('SM2 ciphertext too short or not C1C3C2 with uncompressed C1');
  const body = Buffer.from(ciphertext.subarray(1)).toString('hex');
  const out = refSm2.doDecrypt(body, privHex(privateKey), 1, { output: 'array' }) as unknown as number[] | string;
  // sm-crypto returns '' or [] when C3 (the SM3 check) does not match.
  if (!Array.isArray(out) || (out.length === 0 && ciphertext.length !== 65 + 32)) {
    throw new Error('SM2 decryption failed: ciphertext was altered or was made for another key');
  }
  return Buffer.from(out);
}

/** A private key as a 32-byte big-endian scalar (PKCS#11 tokens may return it without leading zeros). */
export function toPrivateKey32(d: Uint8Array): Buffer {
  if (d.length > 32) throw new RangeError('SM2 private key longer than 32 bytes');
  const out = Buffer.alloc(32);
  out.set(d, 32 - d.length);
  return out;
}

/** The pair a token stores: the given private key (copied, padded) with its public key, or a new pair. */
export function sm2PairToStore(importKey?: Uint8Array): Sm2KeyPair {
  if (!importKey) return sm2GenerateKeyPair();
  const privateKey = toPrivateKey32(importKey);
  return { privateKey, publicKey: sm2PublicKeyOf(privateKey) };
}
