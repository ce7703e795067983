import { test, expect } from '@playwright/test';
import {
  sm4EcbEncrypt, sm4CbcEncrypt, sm3, hmacSm3, randomBytes,
  sm2GenerateKeyPair, sm2PublicKeyOf, sm2Sign, sm2Verify, sm2Encrypt, sm2Decrypt,
} from '../crypto/index.ts';
import { refSm3, refHmacSm3, refSm4EcbEncrypt, refSm4CbcEncrypt, refSm2 } from '../crypto/reference.ts';

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
