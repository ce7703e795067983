/**
 * Building an m-of-n authorization: what each auth token signs (docs/management-protocol.md 3).
 * A Signer is whatever holds an auth key: a virtual UKEY, a PKCS#11 token, or a raw key in tests.
 */
import { sm2PublicKeyOf, sm2Sign, hex } from '../../../crypto/index.ts';
import type { Authorization, Hex } from './types.ts';

export interface Signer {
  /** 65-byte SM2 public key, hex */
  publicKey: Hex;
  /** SM2 signature (r || s, 64 bytes) over `message` with the default user ID */
  sign(message: Buffer): Buffer | Promise<Buffer>;
}

export function authMessage(op: string, deviceId: string, challenge: Hex): Buffer {
  return Buffer.concat([Buffer.from(`evsm-lab/auth/v1|${op}|${deviceId}|`, 'ascii'), Buffer.from(challenge, 'hex')]);
}

export async function buildAuthorization(op: string, deviceId: string, challenge: Hex, signers: readonly Signer[]): Promise<Authorization> {
  const message = authMessage(op, deviceId, challenge);
  const signatures = [];
  for (const s of signers) signatures.push({ publicKey: s.publicKey.toUpperCase(), signature: hex(await s.sign(message)) });
  return { challenge, signatures };
}

/** A Signer over a raw SM2 private key (tests and tools; tokens implement Signer themselves). */
export function keySigner(privateKey: Uint8Array): Signer {
  const key = Buffer.from(privateKey);
  return { publicKey: hex(sm2PublicKeyOf(key)), sign: (m) => sm2Sign(key, m) };
}
