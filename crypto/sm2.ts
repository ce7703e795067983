/**
 * SM2 (GM/T 0003) signatures and public-key encryption on the recommended curve.
 * Keys travel as raw bytes: private key 32 bytes, public key 65 bytes (04 || X || Y).
 * Signatures are raw r || s (64 bytes) over SM3(Z_A || M) with the standard user ID
 * "1234567812345678". Ciphertexts are C1 || C3 || C2 with C1 uncompressed (04 || X || Y).
 *
 * Engines, chosen for speed (bench/sm2.ts), all cross-checked against the independent reference
 * sm-crypto (crypto/reference.ts) in the tests:
 *  - multiples of the base point G (key pairs, a signature's k·G, the encryption's C1, verify's
 *    s·G): Node's OpenSSL, native. This also spares every short-lived process (an emulator per
 *    test) the ~80 ms table for G that a JavaScript engine builds on its first use;
 *  - multiples of other points (k·P_B, d·C1, t·P_A): @noble/curves on the GM/T 0003.5 curve;
 *  - the signature equation, Z_A and the KDF: sm-crypto-v2 (itself built on @noble/curves).
 */
import { createECDH } from 'node:crypto';
import { weierstrassN } from '@noble/curves/abstract/weierstrass';
import { kdf, sm2 as engine } from 'sm-crypto-v2';
import { constantTimeEqual, wipe } from './bytes.ts';
import { sm3 } from './sm3.ts';

export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** The recommended curve (GM/T 0003.5 / GB/T 32918.5). */
const CURVE = {
  p: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF'),
  a: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC'),
  b: BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93'),
  n: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123'),
  h: 1n,
  Gx: BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
  Gy: BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
};
const N = CURVE.n;
const Point = weierstrassN(CURVE);
type Point = InstanceType<typeof Point>;

export interface Sm2KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

const toBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const fromBig = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

export function sm2GenerateKeyPair(): Sm2KeyPair {
  const ecdh = createECDH('SM2');
  ecdh.generateKeys();
  // OpenSSL drops leading zero bytes of the scalar (about 1 key in 256); keys are always 32 bytes here.
  const raw = ecdh.getPrivateKey();
  const privateKey = toPrivateKey32(raw);
  raw.fill(0);
  return { privateKey, publicKey: ecdh.getPublicKey() };
}

/** d·G, uncompressed (OpenSSL). */
export function sm2PublicKeyOf(privateKey: Uint8Array): Buffer {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(privateKey);
  return ecdh.getPublicKey();
}

/** The point of 65 bytes 04 || X || Y, or undefined when they are not one on the curve. */
function pointOf(pub: Uint8Array): Point | undefined {
  if (pub.length !== 65 || pub[0] !== 0x04) return undefined;
  try {
    // fromBytes checks X and Y are field elements and satisfy the curve equation.
    const P = Point.fromBytes(Uint8Array.from(pub));
    return P.is0() ? undefined : P;
  } catch {
    return undefined;
  }
}

/**
 * True when `pub` is an uncompressed SM2 public key (65 bytes, 04 || X || Y) whose point lies on
 * the recommended curve. A device must refuse any other bytes as a key it will verify against:
 * a key that is not a curve point can never verify a signature.
 */
export function sm2IsValidPublicKey(pub: Uint8Array): boolean {
  return pointOf(pub) !== undefined;
}

/**
 * Public keys used again and again (an operator's auth key, a device's transport key) get a point
 * table (window 4) from their third use on: verifying and encrypting to them is then 3–4× faster.
 * Fewer uses do not pay for the table, above all in a short-lived process. Small and LRU-ordered,
 * so a stream of one-off keys cannot grow it; it holds public data only.
 */
const POINT_CACHE_MAX = 64;
const TABLE_FROM_USE = 3;
const pointCache = new Map<string, { point: Point; uses: number }>();

function publicPoint(publicKey: Uint8Array): Point {
  const h = Buffer.from(publicKey).toString('hex');
  const had = pointCache.get(h);
  if (had) {
    pointCache.delete(h);
    had.uses++;
    if (had.uses === TABLE_FROM_USE) had.point.precompute(4, false);
    pointCache.set(h, had);
    return had.point;
  }
  const point = pointOf(publicKey);
  if (!point) {
    throw new RangeError(publicKey.length !== 65 || publicKey[0] !== 0x04 ? 'SM2 public key must be 65 bytes, 04 || X || Y' : 'SM2 public key is not a point on the curve');
  }
  if (pointCache.size >= POINT_CACHE_MAX) pointCache.delete(pointCache.keys().next().value as string);
  pointCache.set(h, { point, uses: 1 });
  return point;
}

/** The private key after checking it is a usable SM2 scalar: 1 ≤ d ≤ n − 2. */
function privScalar(privateKey: Uint8Array): bigint {
  if (privateKey.length !== 32) throw new RangeError('SM2 private key must be 32 bytes');
  const d = toBig(privateKey);
  // n − 1 is excluded by the standard: signing divides by (1 + d).
  if (d < 1n || d > N - 2n) throw new RangeError('SM2 private key is outside 1..n-2');
  return d;
}

export function sm2Sign(privateKey: Uint8Array, message: Uint8Array, userId = SM2_DEFAULT_USER_ID): Buffer {
  privScalar(privateKey);
  const d = Buffer.from(privateKey).toString('hex');
  const publicKey = sm2PublicKeyOf(privateKey).toString('hex');
  // k and x1 of k·G from OpenSSL, handed to the engine's signature equation as its point pool.
  const eph = createECDH('SM2');
  eph.generateKeys();
  const kRaw = eph.getPrivateKey();
  const point = { k: toBig(kRaw), x1: toBig(eph.getPublicKey().subarray(1, 33)) };
  kRaw.fill(0);
  const sig = engine.doSignature(Uint8Array.from(message), d, { hash: true, der: false, publicKey, userId, pointPool: [point] });
  return Buffer.from(sig.padStart(128, '0'), 'hex');
}

export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, userId = SM2_DEFAULT_USER_ID): boolean {
  if (signature.length !== 64) return false;
  // GM/T 0003.2 verification B1/B2: r and s in [1, n-1].
  const r = toBig(signature.subarray(0, 32));
  const s = toBig(signature.subarray(32));
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  let PA: Point;
  try {
    PA = publicPoint(publicKey);
  } catch {
    return false;
  }
  // B3/B4: e = SM3(Z_A || M'); B5: t = (r + s) mod n, t ≠ 0
  const e = BigInt(`0x${engine.getHash(Uint8Array.from(message), Buffer.from(publicKey).toString('hex'), userId)}`);
  const t = (r + s) % N;
  if (t === 0n) return false;
  // B6: (x1, y1) = s·G + t·P_A (public values only: variable-time arithmetic is fine here)
  const sG = Point.fromBytes(sm2PublicKeyOf(fromBig(s)));
  const sum = sG.add(PA.multiplyUnsafe(t));
  if (sum.is0()) return false;
  // B7: R = (e + x1) mod n must equal r
  return (e + sum.toAffine().x) % N === r;
}

export function sm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array): Buffer {
  const PB = publicPoint(publicKey);
  for (;;) {
    // A1/A2: k random, C1 = k·G (OpenSSL); A4: (x2, y2) = k·P_B (constant-time multiply)
    const eph = createECDH('SM2');
    eph.generateKeys();
    const kRaw = eph.getPrivateKey();
    const S = PB.multiply(toBig(kRaw)).toAffine();
    kRaw.fill(0);
    const x2 = fromBig(S.x);
    const y2 = fromBig(S.y);
    // A5: t = KDF(x2 || y2, klen); all zero (probability 2^-8klen) → another k
    const t = Buffer.from(kdf(Buffer.concat([x2, y2]), plaintext.length));
    try {
      if (plaintext.length > 0 && t.every((b) => b === 0)) continue;
      const c2 = Buffer.alloc(plaintext.length);
      for (let i = 0; i < c2.length; i++) c2[i] = plaintext[i] ^ t[i];
      return Buffer.concat([eph.getPublicKey(), sm3(x2, plaintext, y2), c2]);
    } finally {
      wipe(x2, y2, t);
    }
  }
}

/** GM/T 0003.4 decryption (B1–B7); the C3 check is a constant-time compare. */
export function sm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (ciphertext.length < 65 + 32 || ciphertext[0] !== 0x04) throw new RangeError('SM2 ciphertext too short or not C1C3C2 with uncompressed C1');
  const d = privScalar(privateKey);
  const c3 = ciphertext.subarray(65, 97);
  const c2 = ciphertext.subarray(97);
  const fail = (): never => {
    throw new Error('SM2 decryption failed: ciphertext was altered or was made for another key');
  };
  // B1: C1 must be a curve point (h = 1, so no cofactor check)
  const C1 = pointOf(ciphertext.subarray(0, 65)) ?? fail();
  // B3: (x2, y2) = d·C1 (constant-time multiply: d is the secret)
  const S = C1.multiply(d).toAffine();
  const x2 = fromBig(S.x);
  const y2 = fromBig(S.y);
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
    wipe(x2, y2, t);
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

const be32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

/**
 * Z_A of GM/T 0003.2 §5.5: SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), the prefix
 * an SM2 signature hashes before the message (ENTL_A = bit length of the user ID, 2 bytes).
 */
export function sm2UserHash(publicKey: Uint8Array, userId = SM2_DEFAULT_USER_ID): Buffer {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw new RangeError('SM2 public key must be 65 bytes, 04 || X || Y');
  const id = Buffer.from(userId, 'latin1');
  if (id.length > 8191) throw new RangeError('SM2 user ID longer than 8191 bytes');
  const entl = Buffer.from([(id.length * 8) >> 8, (id.length * 8) & 0xff]);
  return sm3(entl, id, be32(CURVE.a), be32(CURVE.b), be32(CURVE.Gx), be32(CURVE.Gy), publicKey.subarray(1, 33), publicKey.subarray(33, 65));
}
