import { test, expect } from '@playwright/test';
import {
  sm4EcbEncrypt, sm4CbcEncrypt, sm3, hmacSm3, randomBytes,
  sm2GenerateKeyPair, sm2PublicKeyOf, sm2Sign, sm2Verify, sm2Encrypt, sm2Decrypt, sm2IsValidPublicKey,
  SM2_DEFAULT_USER_ID,
} from '../crypto/index.ts';
import {
  refSm3, refHmacSm3, refSm4EcbEncrypt, refSm4CbcEncrypt, refSm2,
  refSm2Sign, refSm2Verify, refSm2Encrypt, refSm2Decrypt,
} from '../crypto/reference.ts';

test('OpenSSL and sm-crypto agree on SM4 ECB/CBC, SM3 and HMAC-SM3 for random inputs', () => {
  for (let i = 0; i < 200; i++) {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const data = randomBytes(16 * (1 + (i % 5)));
    expect(sm4EcbEncrypt(key, data).equals(refSm4EcbEncrypt(key, data))).toBe(true);
    expect(sm4CbcEncrypt(key, iv, data).equals(refSm4CbcEncrypt(key, iv, data))).toBe(true);
    const msg = randomBytes(i * 3);
    expect(sm3(msg).equals(refSm3(msg))).toBe(true);
    const hkey = randomBytes(1 + (i % 90));
    expect(hmacSm3(hkey, msg).equals(refHmacSm3(hkey, msg))).toBe(true);
  }
});

test('SM2: OpenSSL and sm-crypto derive the same public key from a private key', () => {
  for (let i = 0; i < 10; i++) {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    expect(publicKey.length).toBe(65);
    expect(refSm2.getPublicKeyFromPrivateKey(privateKey.toString('hex'))).toBe(publicKey.toString('hex'));
    expect(sm2PublicKeyOf(privateKey).equals(publicKey)).toBe(true);
  }
});

test('SM2 private keys are always 32 bytes and sign, even when the scalar has leading zero bytes', () => {
  // About 1 key in 256 has a leading zero byte; 2,000 draws make missing that case very unlikely.
  for (let i = 0; i < 2000; i++) expect(sm2GenerateKeyPair().privateKey.length).toBe(32);
  const kp = sm2GenerateKeyPair();
  const shortScalar = Buffer.concat([Buffer.alloc(1), kp.privateKey.subarray(1)]);
  const pub = sm2PublicKeyOf(shortScalar);
  expect(sm2Verify(pub, Buffer.from('m'), sm2Sign(shortScalar, Buffer.from('m')))).toBe(true);
});

test('SM2 sign/verify round trip with the standard user ID; altered message, signature or key fails', () => {
  const kp = sm2GenerateKeyPair();
  const other = sm2GenerateKeyPair();
  const msg = Buffer.from('device challenge 0001');
  const sig = sm2Sign(kp.privateKey, msg);
  expect(sig.length).toBe(64);
  expect(sm2Verify(kp.publicKey, msg, sig)).toBe(true);
  expect(sm2Verify(kp.publicKey, Buffer.from('device challenge 0002'), sig)).toBe(false);
  const bad = Buffer.from(sig);
  bad[10] ^= 1;
  expect(sm2Verify(kp.publicKey, msg, bad)).toBe(false);
  expect(sm2Verify(other.publicKey, msg, sig)).toBe(false);
  // The user ID is part of Z_A: a signature under another ID does not verify under the default.
  expect(sm2Verify(kp.publicKey, msg, sm2Sign(kp.privateKey, msg, 'ALICE123@YAHOO.COM'))).toBe(false);
  expect(sm2Verify(kp.publicKey, msg, sm2Sign(kp.privateKey, msg, 'ALICE123@YAHOO.COM'), 'ALICE123@YAHOO.COM')).toBe(true);
});

test('SM2 encrypt/decrypt round trip; a flipped byte or the wrong key is refused', () => {
  const kp = sm2GenerateKeyPair();
  const secret = randomBytes(16);
  const ct = sm2Encrypt(kp.publicKey, secret);
  expect(ct.length).toBe(65 + 32 + 16);
  expect(sm2Decrypt(kp.privateKey, ct).equals(secret)).toBe(true);
  const tampered = Buffer.from(ct);
  tampered[ct.length - 1] ^= 0x01;
  expect(() => sm2Decrypt(kp.privateKey, tampered)).toThrow(/altered|another key/);
  expect(() => sm2Decrypt(sm2GenerateKeyPair().privateKey, ct)).toThrow();
});

test('SM2: the core (sm-crypto-v2) and the reference (sm-crypto) verify and decrypt each other, random inputs', () => {
  for (let i = 0; i < 12; i++) {
    const kp = sm2GenerateKeyPair();
    const msg = randomBytes(i * 7);
    const userId = i % 3 === 0 ? 'ALICE123@YAHOO.COM' : SM2_DEFAULT_USER_ID;
    // signed by one, verified by the other, both ways
    expect(refSm2Verify(kp.publicKey, msg, sm2Sign(kp.privateKey, msg, userId), userId), `core signature ${i}`).toBe(true);
    expect(sm2Verify(kp.publicKey, msg, refSm2Sign(kp.privateKey, msg, userId), userId), `reference signature ${i}`).toBe(true);
    // encrypted by one, decrypted by the other, both ways (1..80 bytes: several KDF blocks)
    const secret = randomBytes(1 + ((i * 13) % 80));
    expect(refSm2Decrypt(kp.privateKey, sm2Encrypt(kp.publicKey, secret))?.equals(secret), `core ciphertext ${i}`).toBe(true);
    expect(sm2Decrypt(kp.privateKey, refSm2Encrypt(kp.publicKey, secret)).equals(secret), `reference ciphertext ${i}`).toBe(true);
  }
});

test('SM2: signatures with r or s outside 1..n-1 are refused, not passed to the engine', () => {
  const kp = sm2GenerateKeyPair();
  const msg = Buffer.from('m');
  const sig = sm2Sign(kp.privateKey, msg);
  const n = Buffer.from('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123', 'hex');
  expect(sm2Verify(kp.publicKey, msg, Buffer.concat([Buffer.alloc(32), sig.subarray(32)]))).toBe(false);
  expect(sm2Verify(kp.publicKey, msg, Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32)]))).toBe(false);
  expect(sm2Verify(kp.publicKey, msg, Buffer.concat([sig.subarray(0, 32), n]))).toBe(false);
  // s + n is the same residue: an engine without the range check would accept it.
  const sPlusN = (BigInt(`0x${sig.subarray(32).toString('hex')}`) + BigInt(`0x${n.toString('hex')}`)).toString(16);
  if (sPlusN.length <= 64) expect(sm2Verify(kp.publicKey, msg, Buffer.concat([sig.subarray(0, 32), Buffer.from(sPlusN.padStart(64, '0'), 'hex')]))).toBe(false);
  expect(sm2Verify(kp.publicKey, msg, sig.subarray(1))).toBe(false);
});

test('sm2IsValidPublicKey: curve points only (the check a device applies to auth keys)', () => {
  const { publicKey } = sm2GenerateKeyPair();
  expect(sm2IsValidPublicKey(publicKey)).toBe(true);
  expect(refSm2.verifyPublicKey(publicKey.toString('hex'))).toBe(true);
  const offCurve = Buffer.from(publicKey);
  offCurve[64] ^= 1;
  expect(sm2IsValidPublicKey(offCurve)).toBe(false);
  expect(refSm2.verifyPublicKey(offCurve.toString('hex'))).toBe(false);
  expect(sm2IsValidPublicKey(Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]))).toBe(false); // (0, 0)
  expect(sm2IsValidPublicKey(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]))).toBe(false); // outside the field
  expect(sm2IsValidPublicKey(publicKey.subarray(0, 33))).toBe(false);
  const compressed = Buffer.concat([Buffer.from([2 + (publicKey[64] & 1)]), publicKey.subarray(1, 33)]);
  expect(sm2IsValidPublicKey(compressed)).toBe(false); // a point, but not the 65-byte form the protocol carries
  expect(sm2IsValidPublicKey(Buffer.alloc(65))).toBe(false);
  // A point with a small X, written as X + p: the curve equation holds mod p, but X + p is not a
  // field element, so the bytes are no key.
  const p = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
  const a = p - 3n;
  const b = BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93');
  const pow = (x: bigint, e: bigint): bigint => {
    let r = 1n;
    for (x %= p; e > 0n; e >>= 1n, x = (x * x) % p) if (e & 1n) r = (r * x) % p;
    return r;
  };
  const be32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
  let x = 1n;
  let y = 0n;
  for (; ; x++) {
    const rhs = (x * x * x + a * x + b) % p;
    y = pow(rhs, (p + 1n) / 4n); // p ≡ 3 (mod 4)
    if ((y * y) % p === rhs) break;
  }
  const small = Buffer.concat([Buffer.from([4]), be32(x), be32(y)]);
  expect(sm2IsValidPublicKey(small)).toBe(true);
  expect(sm2IsValidPublicKey(Buffer.concat([Buffer.from([4]), be32(x + p), be32(y)]))).toBe(false);
  expect(() => sm2Encrypt(offCurve, Buffer.from('x'))).toThrow(/not a point on the curve/);
  expect(sm2Verify(offCurve, Buffer.from('m'), Buffer.alloc(64, 1))).toBe(false);
});

test('SM2 decryption refuses a C1 that is not a curve point, and private keys outside 1..n-2', () => {
  const kp = sm2GenerateKeyPair();
  const ct = sm2Encrypt(kp.publicKey, Buffer.from('secret'));
  const badC1 = Buffer.from(ct);
  badC1[10] ^= 1;
  expect(() => sm2Decrypt(kp.privateKey, badC1)).toThrow(/altered|another key/);
  expect(() => sm2Sign(Buffer.alloc(32), Buffer.from('m'))).toThrow(/outside 1\.\.n-2/);
  expect(() => sm2Decrypt(Buffer.alloc(32, 0xff), ct)).toThrow(/outside 1\.\.n-2/);
});

test('SM2 to a repeated key (cached point table) agrees with the reference, before and after cache eviction', () => {
  const kp = sm2GenerateKeyPair();
  const others = Array.from({ length: 70 }, () => sm2GenerateKeyPair()); // more than the 64-entry cache
  const check = (label: string) => {
    // first sighting: plain point; second: table built; third: table reused
    for (let use = 0; use < 3; use++) {
      const m = Buffer.from(`${label} use ${use}`);
      expect(refSm2Decrypt(kp.privateKey, sm2Encrypt(kp.publicKey, m))?.equals(m), `${label} encrypt ${use}`).toBe(true);
      expect(sm2Verify(kp.publicKey, m, refSm2Sign(kp.privateKey, m, SM2_DEFAULT_USER_ID)), `${label} verify ${use}`).toBe(true);
      expect(sm2Verify(kp.publicKey, m, refSm2Sign(kp.privateKey, Buffer.from('other'), SM2_DEFAULT_USER_ID)), `${label} wrong message ${use}`).toBe(false);
    }
  };
  check('fresh');
  for (const o of others) sm2Encrypt(o.publicKey, Buffer.from('fill'));
  check('after eviction');
});
