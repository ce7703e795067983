/**
 * Hashing (sjj1310-wire.md §1): H1 init / H2 update / H3 final (multi-part; the SDK's
 * generateHASH(data…) overloads) and 3C single-shot (generateHASH(alg, data, uid, pub)).
 * Algorithm codes the SDK accepts: 1, 2, 3, 5, 6, 7, 8 and 20 (SM3, with user ID and public key).
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command } from './command.ts';
import type { FieldReader } from './codec.ts';
import { dec, len4 } from './fields.ts';

export const HASH_ALGORITHMS = [1, 2, 3, 5, 6, 7, 8, 20] as const;
export const SM3 = 20;
/** The SDK's H2 chunk size and 3C data limit. */
export const HASH_CHUNK = 4096;

export function checkHashAlgorithm(alg: number): void {
  if (!(HASH_ALGORITHMS as readonly number[]).includes(alg)) throw new EvsmParameterError(`Value of parameter hashAlgFlag <${alg}> Invalid.`);
}

/** uidLen(4n) + uid + pubLen(4n) + pub: the SM3 part of H1 and 3C. */
function sm3Part(userId: Buffer | null | undefined, publicKey: Buffer | null | undefined): Buffer {
  const uid = userId ?? Buffer.alloc(0);
  const pub = publicKey ?? Buffer.alloc(0);
  return Buffer.concat([Buffer.from(len4(uid.length, 'userId'), 'latin1'), uid, Buffer.from(len4(pub.length, 'publicKey'), 'latin1'), pub]);
}

/** ctxLen(4n) + exactly that many context bytes (non-empty), nothing after. */
function context(r: FieldReader): Buffer {
  const len = r.decimal(4, 'context length');
  if (len === 0) r.fail('empty hash context');
  const ctx = Buffer.from(r.bytes(len, 'context'));
  r.end();
  return ctx;
}

function ctxField(ctx: Buffer): Array<string | Buffer> {
  return [len4(ctx.length, 'context'), ctx];
}

/** H1: start a hash; for SM3 with user ID and public key. Answer: the context. */
export function h1Init(alg: number, userId?: Buffer | null, publicKey?: Buffer | null): WireCommand<Buffer> {
  checkHashAlgorithm(alg);
  const fields: Array<string | Buffer> = [dec(alg, 2)];
  if (alg === SM3) fields.push(sm3Part(userId, publicKey));
  return command('H1', 'hash init', true, fields, context);
}

/** H2: feed one chunk (≤ 4096 bytes). Answer: the new context. */
export function h2Update(ctx: Buffer, chunk: Buffer): WireCommand<Buffer> {
  if (chunk.length > HASH_CHUNK) throw new EvsmParameterError(`Length of parameter data <${chunk.length}> Invalid.`);
  return command('H2', 'hash update', true, [...ctxField(ctx), len4(chunk.length, 'data'), chunk], context);
}

/** hashLen(2n) + exactly that many hash bytes. */
function digest(r: FieldReader): Buffer {
  const len = r.decimal(2, 'hash length');
  if (len === 0) r.fail('empty hash');
  const out = Buffer.from(r.bytes(len, 'hash'));
  r.end();
  return out;
}

/** H3: finish; the answer is hashLen(2n) + hash. */
export function h3Final(ctx: Buffer): WireCommand<Buffer> {
  return command('H3', 'hash final', true, ctxField(ctx), digest);
}

/** 3C: hash `data` (≤ 4096 bytes) in one call. Request: alg(2n) + len(4n) + data + `;` + [SM3 part]. */
export function hash3C(alg: number, data: Buffer, userId?: Buffer | null, publicKey?: Buffer | null): WireCommand<Buffer> {
  checkHashAlgorithm(alg);
  if (data.length > HASH_CHUNK) throw new EvsmParameterError(`Length of parameter data <${data.length}> Invalid.`);
  const fields: Array<string | Buffer> = [dec(alg, 2), len4(data.length, 'data'), data, ';'];
  if (alg === SM3) fields.push(sm3Part(userId, publicKey));
  return command('3C', 'hash', true, fields, digest);
}

/** Splits data into the SDK's H2 chunks; empty data is one empty chunk (the SDK still sends H2). */
export function hashChunks(data: Buffer): Buffer[] {
  if (data.length === 0) return [data];
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += HASH_CHUNK) out.push(data.subarray(i, i + HASH_CHUNK));
  return out;
}
