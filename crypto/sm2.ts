/**
 * SM2 (GM/T 0003) signatures and public-key encryption on the recommended curve.
 * Keys travel as raw bytes: private key 32 bytes, public key 65 bytes (04 || X || Y).
 * Signatures are raw r || s (64 bytes) over SM3(Z_A || M) with the standard user ID
 * "1234567812345678". Ciphertexts are C1 || C3 || C2 with C1 uncompressed (04 || X || Y).
 *
 * Engine: sm-crypto-v2 (curve arithmetic from @noble/curves), about 25× faster than sm-crypto
 * for signing and 5–20× for the rest (bench/sm2.ts). sm-crypto stays as the independent
 * reference (crypto/reference.ts) that the tests check this module against.
 */
import { createECDH } from 'node:crypto';
import { kdf, sm2 as engine } from 'sm-crypto-v2';
import { constantTimeEqual, wipe } from './bytes.ts';
import { sm3 } from './sm3.ts';

export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Order n of the recommended curve's base point (GM/T 0003.5). */
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

export interface Sm2KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

export function sm2GenerateKeyPair(): Sm2KeyPair {
  // OpenSSL generates the key (its RNG and curve arithmetic, native and fast).
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

/**
 * True when `pub` is an uncompressed SM2 public key (65 bytes, 04 || X || Y) whose point lies on
 * the recommended curve. A device must refuse any other bytes as a key it will verify against:
 * a key that is not a curve point can never verify a signature.
 */
export function sm2IsValidPublicKey(pub: Uint8Array): boolean {
  if (pub.length !== 65 || pub[0] !== 0x04) return false;
  try {
    return engine.verifyPublicKey(Buffer.from(pub).toString('hex'));
  } catch {
    // the engine throws (rather than answering false) for coordinates outside the field
    return false;
  }
}

/**
 * Public keys seen more than once get their point table precomputed: verifying and encrypting to
 * the same key again (an operator's auth key, a device's transport key) is then 4–6× faster. A
 * key seen once is used as is (a table costs more than one operation saves). Small and
 * LRU-ordered, so a stream of one-off keys cannot grow it; it holds public data only.
 */
type Point = ReturnType<typeof engine.precomputePublicKey>;
const POINT_CACHE_MAX = 64;
const pointCache = new Map<string, Point | 'seen once'>();

function publicPoint(publicKey: Uint8Array): Point | string {
  if (!sm2IsValidPublicKey(publicKey)) {
    throw new RangeError(publicKey.length !== 65 || publicKey[0] !== 0x04 ? 'SM2 public key must be 65 bytes, 04 || X || Y' : 'SM2 public key is not a point on the curve');
  }
  const h = Buffer.from(publicKey).toString('hex');
  const had = pointCache.get(h);
  // Window 4: a table of ~2 ms per key, already most of the speed-up of larger windows.
  const entry = had === undefined ? 'seen once' : had === 'seen once' ? engine.precomputePublicKey(h, 4) : had;
  if (had !== undefined) pointCache.delete(h);
  else if (pointCache.size >= POINT_CACHE_MAX) pointCache.delete(pointCache.keys().next().value as string);
  pointCache.set(h, entry);
  return entry === 'seen once' ? h : entry;
}

/** The private key as hex after checking it is a usable SM2 scalar: 1 ≤ d ≤ n − 2. */
function privHex(privateKey: Uint8Array): string {
  if (privateKey.length !== 32) throw new RangeError('SM2 private key must be 32 bytes');
  const h = Buffer.from(privateKey).toString('hex');
  const d = BigInt(`0x${h}`);
  // n − 1 is excluded by the standard: signing divides by (1 + d).
  if (d < 1n || d > N - 2n) throw new RangeError('SM2 private key is outside 1..n-2');
  return h;
}

export function sm2Sign(privateKey: Uint8Array, message: Uint8Array, userId = SM2_DEFAULT_USER_ID): Buffer {
  const d = privHex(privateKey);
  const publicKey = engine.getPublicKeyFromPrivateKey(d);
  const sig = engine.doSignature(Uint8Array.from(message), d, { hash: true, der: false, publicKey, userId });
  return Buffer.from(sig.padStart(128, '0'), 'hex');
}

export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, userId = SM2_DEFAULT_USER_ID): boolean {
  if (signature.length !== 64) return false;
  const sig = Buffer.from(signature);
  // GM/T 0003.2 verification B1/B2: r and s in [1, n-1] (the engine does not check the range).
  const r = BigInt(`0x${sig.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  try {
    return engine.doVerifySignature(Uint8Array.from(message), sig.toString('hex'), publicPoint(publicKey), { hash: true, der: false, userId });
  } catch {
    return false;
  }
}

export function sm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = engine.doEncrypt(Uint8Array.from(plaintext), publicPoint(publicKey), 1);
  return Buffer.from('04' + c, 'hex');
}

/**
 * GM/T 0003.4 decryption (B1–B7) on the engine's scalar multiplication, so the C3 check is a
 * constant-time compare (the engine's own doDecrypt compares hex strings).
 */
export function sm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (ciphertext.length < 65 + 32 || ciphertext[0] !== 0x04) throw new RangeError('SM2 ciphertext too short or not C1C3C2 with uncompressed C1');
  const d = privHex(privateKey);
  const c1 = ciphertext.subarray(0, 65);
  const c3 = ciphertext.subarray(65, 97);
  const c2 = ciphertext.subarray(97);
  const fail = (): never => {
    throw new Error('SM2 decryption failed: ciphertext was altered or was made for another key');
  };
  // B1: C1 must be a curve point (h = 1, so no cofactor check); the engine refuses anything else.
  if (!sm2IsValidPublicKey(c1)) fail();
  const shared = Buffer.from(engine.ecdh(d, Buffer.from(c1).toString('hex'), false));
  const x2 = shared.subarray(1, 33);
  const y2 = shared.subarray(33, 65);
  const t = Buffer.from(kdf(Buffer.concat([x2, y2]), c2.length));
  try {
    // B4: an all-zero key stream means a degenerate point; refuse rather than return C2.
    if (c2.length > 0 && t.every((b) => b === 0)) fail();
    const m = Buffer.alloc(c2.length);
    for (let i = 0; i < c2.length; i++) m[i] = c2[i] ^ t[i];
    if (!constantTimeEqual(sm3(x2, m, y2), c3)) {
      wipe(m);
      fail();
    }
    return m;
  } finally {
    wipe(shared, t);
  }
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
