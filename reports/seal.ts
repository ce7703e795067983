/**
 * The seal on a certification report: the SM3 digest of the canonical certification data
 * and, optionally, the lab's SM2 signature over the same canonical bytes (GM/T 0003 with the
 * default user ID). Key files hold hex: the private key as 64 hex digits, the public key as
 * 130 (04 || X || Y). A private key is read, used and wiped by its owner (build.ts); it never
 * reaches an output.
 */
import { readFileSync } from 'node:fs';
import { sm2Sign, sm2Verify, sm2PublicKeyOf, sm3, hex, fromHex, constantTimeEqual, SM2_DEFAULT_USER_ID } from '../crypto/index.ts';
import { canonicalBytes, type Json } from './canonical.ts';

export type Seal = {
  digestAlgorithm: 'SM3';
  digest: string;
  signature?: { algorithm: 'SM2'; userId: string; publicKey: string; value: string };
};

function cleanHex(text: string): string {
  return text.replace(/^\s*0x/i, '').replace(/\s+/g, '');
}

/** Reads a private key given as a file path or as `env:NAME`. Errors name the source, never the content. */
export function readPrivateKey(source: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  let text: string | undefined;
  if (source.startsWith('env:')) {
    text = env[source.slice(4)];
    if (!text) throw new Error(`signing key: environment variable ${source.slice(4)} is not set`);
  } else {
    try {
      text = readFileSync(source, 'utf8');
    } catch (e) {
      throw new Error(`signing key: cannot read ${source} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const h = cleanHex(text);
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new Error(`signing key from ${source} is not an SM2 private key (expected 64 hex digits)`);
  return fromHex(h);
}

export function readPublicKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`public key: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const h = cleanHex(text);
  if (!/^04[0-9a-fA-F]{128}$/.test(h)) throw new Error(`${file} is not an SM2 public key (expected 130 hex digits, 04 || X || Y)`);
  return fromHex(h);
}

/** Short name for a public key: the first 8 bytes of its SM3, as hex. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return hex(sm3(publicKey)).slice(0, 16);
}

export function makeSeal(data: Json, privateKey?: Buffer): Seal {
  const bytes = canonicalBytes(data);
  const seal: Seal = { digestAlgorithm: 'SM3', digest: hex(sm3(bytes)) };
  if (privateKey) {
    const publicKey = sm2PublicKeyOf(privateKey);
    const value = sm2Sign(privateKey, bytes);
    seal.signature = { algorithm: 'SM2', userId: SM2_DEFAULT_USER_ID, publicKey: hex(publicKey), value: hex(value) };
  }
  return seal;
}

/**
 * One check. A valid signature also says who made it: `signedBy`, the fingerprint of the key,
 * and `byGivenKey` when that is the lab key the caller demanded.
 */
export type SealCheck = { name: 'digest' | 'signature'; ok: boolean; detail: string; signedBy?: string; byGivenKey?: boolean };

/** Checks a seal against the data; `trusted` is the lab public key the signature must be made with. */
export function checkSeal(data: Json, seal: Seal, trusted?: Buffer): SealCheck[] {
  const bytes = canonicalBytes(data);
  const actual = hex(sm3(bytes));
  const checks: SealCheck[] = [];
  const digestOk = /^[0-9A-F]{64}$/.test(seal.digest) && constantTimeEqual(fromHex(actual), fromHex(seal.digest));
  checks.push({
    name: 'digest',
    ok: digestOk,
    detail: digestOk
      ? `SM3 ${actual}`
      : `the embedded results hash to SM3 ${actual}, but the report states ${seal.digest}: the results were changed after the report was made`,
  });
  const sig = seal.signature;
  if (!sig) {
    checks.push({
      name: 'signature',
      ok: !trusted,
      detail: trusted ? 'the report is not signed, but a public key was given to check a signature with' : 'not signed (the digest guards against changes, not against a forger who recomputes it)',
    });
    return checks;
  }
  let embedded: Buffer;
  try {
    embedded = fromHex(sig.publicKey);
  } catch {
    checks.push({ name: 'signature', ok: false, detail: 'the embedded public key is not hex' });
    return checks;
  }
  if (trusted && !constantTimeEqual(trusted, embedded)) {
    checks.push({
      name: 'signature',
      ok: false,
      detail: `signed with key ${keyFingerprint(embedded)}, not with the given lab key ${keyFingerprint(trusted)}`,
    });
    return checks;
  }
  const valid = /^[0-9A-Fa-f]{128}$/.test(sig.value) && sm2Verify(embedded, bytes, fromHex(sig.value), sig.userId);
  checks.push({
    name: 'signature',
    ok: valid,
    ...(valid ? { signedBy: keyFingerprint(embedded), byGivenKey: !!trusted } : {}),
    detail: !valid
      ? `the SM2 signature does not match the results (key ${keyFingerprint(embedded)}): the results or the signature were changed`
      : trusted
        ? `SM2, made with the given lab key ${keyFingerprint(embedded)}`
        : `SM2, valid for the public key the seal carries (${keyFingerprint(embedded)}); pass --public-key to check it is the lab's key`,
  });
  return checks;
}
