/**
 * Hashing: 3C single shot, H1 init / H2 update / H3 final (sjj1310-wire.md §1, layouts as the
 * vendor SDK sends them). Algorithm codes (docs/host-protocol.md, "Hash algorithms"):
 * 01 SHA-1, 02 MD5, 05 SHA-224, 06 SHA-256, 07 SHA-384, 08 SHA-512, 20 SM3 —
 * with a user ID and a public key, SM3(Z_A || M) as GM/T 0003 signs it; without a public key,
 * plain SM3. Anything else → 74.
 *
 * The multi-part context carries the whole running state (hashstate.ts), so H2 and H3 may go
 * to any device (the SDK spreads one generateHASH call over its hosts) and a re-sent H2 gets the
 * same answer.
 */
import { createHash, type Hash } from 'node:crypto';
import { sm2UserHash } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { type HashContext, loadContext, newContext, saveContext } from './hashstate.ts';

/** Thales-style hash identifiers (01 SHA-1 and 06 SHA-256 as the SDK's examples send them), 20 = SM3. */
const NODE_NAMES: Record<string, string> = { '01': 'sha1', '02': 'md5', '05': 'sha224', '06': 'sha256', '07': 'sha384', '08': 'sha512', '20': 'sm3' };
const MAX_DATA = 4096;

function readAlg(f: Fields): string {
  const alg = f.text(2, 'hash algorithm');
  if (!Object.prototype.hasOwnProperty.call(NODE_NAMES, alg)) throw new HostError('74', `hash algorithm ${alg} is not supported (01 02 05 06 07 08 20)`);
  return alg;
}

/** An SM2 public key as the SDK passes it: 04||X||Y (65 bytes) or a DER SubjectPublicKeyInfo ending in it. */
export function rawSm2PublicKey(pub: Buffer): Buffer {
  if (pub.length === 65 && pub[0] === 0x04) return pub;
  if (pub.length > 65 && pub[0] === 0x30 && pub[pub.length - 65] === 0x04) return pub.subarray(pub.length - 65);
  throw new HostError('76', `public key of ${pub.length} bytes is neither 04||X||Y nor DER`);
}

/** uidLen(4n) + uid + pubLen(4n) + pub (SM3 only): the Z_A prefix, or nothing without a public key. */
function readZPrefix(f: Fields): Buffer | undefined {
  const uid = f.bytes(f.digits(4, 'user ID length'), 'user ID');
  const pub = f.bytes(f.digits(4, 'public key length'), 'public key');
  if (pub.length === 0) return undefined;
  return sm2UserHash(rawSm2PublicKey(pub), uid.length ? uid.toString('latin1') : undefined);
}

function start(alg: string, z: Buffer | undefined): Hash {
  const h = createHash(NODE_NAMES[alg]);
  if (z) h.update(z);
  return h;
}

function digestAnswer(h: Hash): string {
  const d = h.digest();
  return String(d.length).padStart(2, '0') + d.toString('latin1');
}

/** 3C: alg(2n) + len(4n) + data + `;` + [alg 20: uidLen + uid + pubLen + pub] → len(2n) + hash. */
export const C3: Handler = (_ctx, f) => {
  const alg = readAlg(f);
  const len = f.digits(4, 'data length');
  if (len > MAX_DATA) throw new HostError('80', `3C takes at most ${MAX_DATA} bytes; use H1/H2/H3`);
  const data = f.bytes(len, 'data');
  f.expect(';', 'separator');
  const z = alg === '20' && f.remaining ? readZPrefix(f) : undefined;
  f.end();
  return Buffer.from(digestAnswer(start(alg, z).update(data)), 'latin1');
};

function contextAnswer(c: HashContext): Buffer {
  const ctx = saveContext(c);
  return Buffer.concat([Buffer.from(String(ctx.length).padStart(4, '0'), 'latin1'), ctx]);
}

function readContext(f: Fields): HashContext {
  const len = f.digits(4, 'context length');
  return loadContext(Buffer.from(f.bytes(len, 'context')));
}

/** H1: alg(2n) + [alg 20: uidLen + uid + pubLen + pub] → ctxLen(4n) + ctx. */
export const H1: Handler = (_ctx, f) => {
  const alg = readAlg(f);
  const z = alg === '20' ? readZPrefix(f) : undefined;
  f.end();
  const c = newContext(alg);
  if (z) c.md.update(z);
  return contextAnswer(c);
};

/** H2: ctxLen(4n) + ctx + len(4n) + data → the next context (a pure function: re-sending is harmless). */
export const H2: Handler = (_ctx, f) => {
  const c = readContext(f);
  const len = f.digits(4, 'data length');
  if (len > MAX_DATA) throw new HostError('80', `H2 takes at most ${MAX_DATA} bytes a chunk`);
  const chunk = f.bytes(len, 'data');
  f.end();
  c.md.update(chunk);
  return contextAnswer(c);
};

/** H3: ctxLen(4n) + ctx → len(2n) + hash. */
export const H3: Handler = (_ctx, f) => {
  const c = readContext(f);
  f.end();
  const d = Buffer.from(c.md.digest());
  return Buffer.concat([Buffer.from(String(d.length).padStart(2, '0'), 'latin1'), d]);
};

export const HASH_HANDLERS: Readonly<Record<string, Handler>> = { '3C': C3, H1, H2, H3 };
