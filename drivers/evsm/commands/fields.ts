/**
 * Request field builders, formatted the way the vendor SDK formats them (its `String.format`
 * conventions included: `%02d` of -1 is `-1`, `%02X` of -1 is `FFFFFFFF`), with the SDK's local
 * parameter checks. Every builder here was checked against the SDK's own requests
 * (sjj1310-wire.md §1, test/client-sdk-requests.test.ts).
 */
import { EvsmParameterError } from '../errors.ts';
import type { KeyType } from './key-types.ts';

/** Java `%0<w>d`: zero-padded decimal; a minus sign counts in the width (`-05`). */
export function dec(n: number, width: number): string {
  if (!Number.isInteger(n)) throw new EvsmParameterError(`${n} is not a whole number`);
  const digits = String(Math.abs(n));
  return n < 0 ? `-${digits.padStart(width - 1, '0')}` : digits.padStart(width, '0');
}

/** Java `%0<w>X` of an int: a negative int prints as its 32-bit two's complement. */
export function hexInt(n: number, width: number): string {
  if (!Number.isInteger(n)) throw new EvsmParameterError(`${n} is not a whole number`);
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

/** A reference to a key as the SDK's `Object` parameters take it: an index or a cryptogram. */
export type SdkKey = number | string;

/** The key part S3/S4/D3/D4 and S0/D0/D1 share: key type, key, diversification, session key. */
export interface KeyUseArgs {
  keyType: KeyType;
  key: SdkKey;
  /** Diversification factors, 32H per level; '' or null for none. */
  disperFactor?: string | null;
  /** 0 none, 1 (16H factor), 2 and 5 (32H factor), 3 and 4 (no factor). */
  sessionKeyType?: number;
  sessionKeyFactor?: string | null;
}

/**
 * `7` → `K0007` (a stored key), a string → sent verbatim (a key under the LMK, `X39B8…`, or a
 * `K0001` the caller wrote). The SDK refuses indices below 1 ("between '1' and '2048'") but sends
 * larger ones; four digits are all the field holds.
 */
export function keyRef(key: SdkKey | null | undefined, what = 'key'): string {
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 1) throw new EvsmParameterError(`Value of parameter ${what} Invalid, between '1' and '2048'`);
    if (key > 9999) throw new EvsmParameterError(`Value of parameter ${what} <${key}> Invalid: an index has four digits`);
    return `K${dec(key, 4)}`;
  }
  if (typeof key === 'string') return key;
  throw new EvsmParameterError(`Type of parameter ${what} Invalid, 'int' or 'String'.`);
}

/** `K` + 4-digit index, for fields that only take an index. */
export function indexRef(index: number): string {
  return `K${dec(index, 4)}`;
}

/**
 * Label of a key store part: at most 16 characters, its length counted in characters
 * (`String.length()`) but its bytes sent as UTF-8, exactly like the SDK (`中文` → `02` + 6 bytes).
 */
export function labelField(label: string | null | undefined): Buffer {
  const text = (label ?? '').slice(0, 16);
  return Buffer.concat([Buffer.from(dec(text.length, 2), 'latin1'), Buffer.from(text, 'utf8')]);
}

/** `K` + index + label, or nothing when the index is outside [1, maxIndex] (the SDK omits it silently). */
export function storePart(index: number, label: string | null | undefined, maxIndex: number): Buffer {
  if (!Number.isInteger(index) || index < 1 || index > maxIndex) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from(indexRef(index), 'latin1'), labelField(label)]);
}

/**
 * Key diversification ("disper") field: a count (2n) and that many 32H factors. The SDK counts
 * the levels from the factor's length and refuses a length that is not a multiple of 32.
 */
export function disperField(factor: string | null | undefined): string {
  const f = factor ?? '';
  if (f.length % 32 !== 0) throw new EvsmParameterError(`Length of deriveFactor <${f.length}> Invalid.`);
  return dec(f.length / 32, 2) + f;
}

/** Session key factor lengths per session key type (`sessionKeyFlag`); 3 and 4 send no factor. */
const SESSION_FACTOR: Readonly<Record<number, number>> = { 0: 0, 1: 16, 2: 32, 3: 0, 4: 0, 5: 32 };

/** Session key field: type (2n) and, for types 1, 2 and 5, the factor (16H, 32H, 32H). */
export function sessionField(type: number, factor: string | null | undefined): string {
  const want = SESSION_FACTOR[type];
  if (want === undefined) throw new EvsmParameterError(`Value of parameter sessionKeyFlag <${type}> Invalid.`);
  if (want === 0) return dec(type, 2);
  if (factor === null || factor === undefined) {
    throw new EvsmParameterError(`Value of parameter sessionKeyFactor <null> Invalid when sessionKeyFlag=${type}`);
  }
  if (factor.length !== want) {
    throw new EvsmParameterError(`Length of parameter sessionKeyFactor <${factor.length}> Invalid when sessionKeyFlag=${type}`);
  }
  return dec(type, 2) + factor;
}

/**
 * Hex text → bytes the way the SDK's String overloads decode data: pairs of digits, an odd last
 * digit dropped. Non-hex characters are refused here (the SDK turns them into arbitrary bytes).
 */
export function hexData(hex: string, what = 'inData'): Buffer {
  if (!/^[0-9A-Fa-f]*$/.test(hex)) throw new EvsmParameterError(`Value of parameter ${what} is not hex`);
  return Buffer.from(hex.slice(0, hex.length - (hex.length % 2)), 'hex');
}

/** 4 decimal digits of a length, refusing what does not fit. */
export function len4(n: number, what: string): string {
  if (n > 9999) throw new EvsmParameterError(`Length of parameter ${what} <${n}> Invalid.`);
  return dec(n, 4);
}

/** 4 hex digits of a length (S3/S0/D3/M6 data lengths). */
export function hexLen4(n: number, what: string): string {
  if (n > 0xffff) throw new EvsmParameterError(`Length of parameter ${what} <${n}> Invalid.`);
  return hexInt(n, 4);
}
