/**
 * SM2 key pairs for tokens, with the private key always 32 bytes. The crypto core's
 * sm2GenerateKeyPair returns OpenSSL's big-endian number as is, which is 31 bytes (or fewer)
 * when the top byte is zero (about 1 key in 256); the signer then refuses it. Pad here until
 * the core does.
 */
import { sm2GenerateKeyPair, sm2PublicKeyOf, wipe, type Sm2KeyPair } from '../crypto/index.ts';

export function toPrivateKey32(d: Uint8Array): Buffer {
  if (d.length > 32) throw new RangeError('SM2 private key longer than 32 bytes');
  const out = Buffer.alloc(32);
  out.set(d, 32 - d.length);
  return out;
}

export function generateSm2KeyPair32(): Sm2KeyPair {
  const pair = sm2GenerateKeyPair();
  const privateKey = toPrivateKey32(pair.privateKey);
  wipe(pair.privateKey);
  return { privateKey, publicKey: pair.publicKey };
}

/** The pair to store: the given private key (copied, padded) with its public key, or a new one. */
export function sm2PairToStore(importKey?: Uint8Array): Sm2KeyPair {
  if (!importKey) return generateSm2KeyPair32();
  const privateKey = toPrivateKey32(importKey);
  return { privateKey, publicKey: sm2PublicKeyOf(privateKey) };
}
