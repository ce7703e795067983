/**
 * SM2 (sjj1310-wire.md §1): E7 key pair, E2 public key, E3/E4 encrypt/decrypt, E5/E6 sign/verify.
 * Keys are an index (1-64, the SDK's SM2 range) or, passed as bytes, `K9999` + the public key
 * (DER or 04||X||Y, verbatim) or `K9999` + length(4n) + the private key cryptogram.
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command, readerOf, statusCommand } from './command.ts';
import { commandError, type FieldReader } from './codec.ts';
import { dec, indexRef, labelField, len4 } from './fields.ts';

/** SM2 key indices the SDK accepts. */
export const MAX_SM2_INDEX = 64;
export const SM2_CURVE = 7;

function sm2Index(index: number, what: string): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_SM2_INDEX) throw new EvsmParameterError(`Value of parameter ${what} <${index}> Invalid.`);
  return indexRef(index);
}

/** Public key reference: an index, or `K9999` + the key bytes. */
function publicRef(key: number | Buffer, what: string): Buffer {
  return typeof key === 'number' ? Buffer.from(sm2Index(key, what), 'latin1') : Buffer.concat([Buffer.from('K9999', 'latin1'), key]);
}

/** Private key reference: an index, or `K9999` + length(4n) + the cryptogram. */
function privateRef(key: number | Buffer, what: string): Buffer {
  return typeof key === 'number'
    ? Buffer.from(sm2Index(key, what), 'latin1')
    : Buffer.concat([Buffer.from(`K9999${len4(key.length, 'privateKey')}`, 'latin1'), key]);
}

/** len(4n) + exactly len bytes, nothing after: the E3/E4/E5 answer. */
function exactBlock(r: FieldReader, what: string): Buffer {
  const len = r.decimal(4, `${what} length`);
  if (len === 0) r.fail(`empty ${what}`);
  const out = Buffer.from(r.bytes(len, what));
  r.end();
  return out;
}

/** Length of a DER element from its header (short or long form). */
function derLength(b: Buffer, r: FieldReader): number {
  if (b.length < 2 || b[0] !== 0x30) r.fail('public key is not a DER SEQUENCE');
  const first = b[1];
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n < 1 || n > 2 || b.length < 2 + n) r.fail('public key DER length is malformed');
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
  return 2 + n + len;
}

/**
 * E7: a new key pair on `curve` (7 = SM2); with 1 ≤ index ≤ 64 stored with `label` (then not
 * safe to repeat blindly). Answer: DER public key (length from its header) + privLen(4n) +
 * private key cryptogram. Returns [public key, private key cryptogram].
 */
export function e7GenerateKeyPair(index: number, curve: number, label?: string | null): WireCommand<[Buffer, Buffer]> {
  if (!Number.isInteger(index) || index < 0 || index > MAX_SM2_INDEX) throw new EvsmParameterError(`Value of parameter storeIndex<${index}> Invalid.`);
  const store = index >= 1 ? Buffer.concat([Buffer.from(indexRef(index), 'latin1'), labelField(label)]) : Buffer.alloc(0);
  return command('E7', store.length ? 'generate SM2 key pair and store' : 'generate SM2 key pair', store.length === 0, [dec(curve, 2), store], (r) => {
    const pub = Buffer.from(r.bytes(derLength(r.peekRest(), r), 'public key'));
    const privLen = r.decimal(4, 'private key length');
    // The SDK takes at most privLen bytes and does not insist on all of them.
    const priv = Buffer.from(r.rest().subarray(0, privLen));
    if (priv.length === 0) r.fail('no private key in the answer');
    return [pub, priv];
  });
}

/** E2: the public key at an index; the answer's rest verbatim (null when empty, as the SDK). */
export function e2PublicKey(index: number): WireCommand<Buffer | null> {
  if (!Number.isInteger(index) || index < 1 || index > MAX_SM2_INDEX) {
    throw new EvsmParameterError(`Value of parameter keyIndex <${dec(index, 4)}> Invalid.`);
  }
  return command('E2', 'SM2 public key', true, [indexRef(index)], (r) => {
    const rest = Buffer.from(r.rest());
    return rest.length === 0 ? null : rest;
  });
}

/** E3: encrypt under an SM2 public key (index or bytes). Request: curve + len(4n) + data + `;` + key + `0`. */
export function e3Encrypt(data: Buffer, key: number | Buffer, curve = SM2_CURVE): WireCommand<Buffer> {
  if (!data || data.length === 0) throw new EvsmParameterError('Value of parameter data <0000> Invalid.');
  if (typeof key === 'number' && (!Number.isInteger(key) || key < 1 || key > MAX_SM2_INDEX)) {
    throw new EvsmParameterError("Value of parameter key Invalid, between '1' and '64'");
  }
  const fields = [`${dec(curve, 2)}${len4(data.length, 'data')}`, data, ';', publicRef(key, 'key'), '0'];
  return command('E3', 'SM2 encrypt', true, fields, (r) => exactBlock(r, 'cipher'));
}

/** E4: decrypt with an SM2 private key (index or cryptogram); the cipher is at least 97 bytes. */
export function e4Decrypt(cipher: Buffer, key: number | Buffer, curve = SM2_CURVE): WireCommand<Buffer> {
  if (!cipher || cipher.length < 97) throw new EvsmParameterError(`Length of parameter data <${dec(cipher?.length ?? 0, 4)}> Invalid.`);
  if (typeof key === 'number' && (!Number.isInteger(key) || key < 1 || key > MAX_SM2_INDEX)) {
    throw new EvsmParameterError("Value of parameter key Invalid, between '1' and '64'");
  }
  // E4's cipher length has 5 digits (the SDK sends `E40700111…`), unlike E3's 4.
  const fields = [`${dec(curve, 2)}${dec(cipher.length, 5)}`, cipher, ';', privateRef(key, 'key')];
  return command('E4', 'SM2 decrypt', true, fields, (r) => exactBlock(r, 'plain'));
}

function uidField(userId: Buffer | null | undefined): Buffer {
  const uid = userId ?? Buffer.alloc(0);
  return Buffer.concat([Buffer.from(len4(uid.length, 'userId'), 'latin1'), uid]);
}

function codeFormat(f: number, what: string): string {
  if (f !== 0 && f !== 1) throw new EvsmParameterError(`Value of parameter ${what} <${f}> Invalid.`);
  return String(f);
}

/**
 * E5: SM2 signature with SM3 (`20`) and user ID. Key: an index, or `K9999` + public key +
 * privLen(4n) + private key. `format` 0/1 is the signature's code format.
 */
export function e5Sign(userId: Buffer | null | undefined, format: number, data: Buffer | null | undefined, key: number | { publicKey: Buffer; privateKey: Buffer }, curve = SM2_CURVE): WireCommand<Buffer> {
  const fmt = codeFormat(format, 'codeFormat');
  if (!data) throw new EvsmParameterError('Value of parameter inData Invalid, cannot be null.');
  const keyField =
    typeof key === 'number'
      ? Buffer.from(sm2Index(key, 'SM2Index'), 'latin1')
      : Buffer.concat([Buffer.from('K9999', 'latin1'), key.publicKey, Buffer.from(len4(key.privateKey.length, 'privateKey'), 'latin1'), key.privateKey]);
  const fields = ['20', dec(curve, 2), uidField(userId), ';', len4(data.length, 'data'), data, ';', keyField, fmt];
  return command('E5', 'SM2 sign', true, fields, (r) => exactBlock(r, 'signature'));
}

/**
 * E6: verify an SM2 signature. Exactly `E700` → true; an error code → EvsmCommandError (the SDK
 * throws too, it does not return false).
 */
export function e6Verify(userId: Buffer | null | undefined, format: number, data: Buffer | null | undefined, key: number | Buffer, signature: Buffer | null | undefined, curve = SM2_CURVE): WireCommand<boolean> {
  const fmt = codeFormat(format, 'signCodeFormat');
  if (!data) throw new EvsmParameterError('Value of parameter inData Invalid, cannot be null.');
  const sig = signature ?? Buffer.alloc(0);
  const fields = ['20', dec(curve, 2), uidField(userId), ';', fmt, len4(sig.length, 'sign'), sig, ';', len4(data.length, 'data'), data, ';', publicRef(key, 'SM2Index')];
  return statusCommand('E6', 'SM2 verify', true, fields, (s, host) => {
    if (s.errorCode !== '00') throw commandError('E6', s.errorCode, host);
    readerOf('E6', s.body, host).end();
    return true;
  });
}
