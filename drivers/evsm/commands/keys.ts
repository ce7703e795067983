/**
 * Symmetric keys (sjj1310-wire.md §1): A0 generate, A6 import under a ZMK, A8 export under a ZMK,
 * KG key info, KF delete, and the payShield-style BU check value the emulator keeps.
 * Request bytes and answer rules are the vendor SDK's, byte for byte.
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command, readerOf, statusCommand } from './command.ts';
import { commandError, type FieldReader } from './codec.ts';
import { dec, keyRef, storePart, indexRef, type SdkKey } from './fields.ts';
import { keyTypeCode, type KeyType } from './key-types.ts';

/** Highest index A0 sends a store part for: the SDK omits it for 2048 (A6 and KG take 2048). */
export const A0_MAX_STORE_INDEX = 2047;
export const MAX_KEY_INDEX = 2048;

/** Flags importWorkKey accepts (the SDK checks locally; M, N and letters it does not know are refused). */
const IMPORT_FLAGS = 'ZXUYTPRL';
/** Flags exportWorkKey accepts: the key's scheme under the ZMK (U and T have no ZMK form). */
const EXPORT_FLAGS = 'ZXYPRL';

/** A0 mode 0 answer: the last 16 characters are the check value, everything before is the key. */
function keyAndCv(r: FieldReader): [string, string] {
  const rest = r.restText();
  if (rest.length < 16) r.fail(`${rest.length} characters: a key and a 16-character check value expected`);
  return [rest.slice(0, -16), rest.slice(-16)];
}

/** A6/A8 answer: a non-empty key then the 16-character check value. */
function nonEmptyKeyAndCv(r: FieldReader): [string, string] {
  const pair = keyAndCv(r);
  if (pair[0] === '') r.fail('no key before the check value');
  return pair;
}

/**
 * A0: a new random key of `flag`, returned under the LMK (mode 0). With 1 ≤ index ≤ 2047 it is
 * also stored there with `label` (replacing what was there): then not safe to repeat blindly.
 * The flag is sent as given, as the SDK does. Answer `[keyUnderLmk, cv]`. `maxStoreIndex` 2048
 * lets the typed storeKey reach the last index, which the SDK's genWorkKey cannot.
 */
export function a0Generate(keyType: KeyType, flag: string, index: number, label?: string | null, maxStoreIndex = A0_MAX_STORE_INDEX): WireCommand<[string, string]> {
  const store = storePart(index, label, maxStoreIndex);
  const fields = ['0', keyTypeCode(keyType), flagChar(flag), store];
  return command('A0', store.length ? 'generate key and store' : 'generate key', store.length === 0, fields, keyAndCv);
}

/**
 * A0 mode 1: a new key, returned under the LMK and under `zmk` (scheme `zmkFlag`). Answer
 * `[keyUnderLmk, keyUnderZmk, cv]`: the SDK splits what precedes the CV in half (so both keys must
 * have the same length) and wants at least 16 characters before it.
 */
export function a0GenerateUnderZmk(
  keyType: KeyType,
  flag: string,
  zmk: SdkKey,
  zmkFlag: string,
  index: number,
  label?: string | null,
): WireCommand<[string, string, string]> {
  const store = storePart(index, label, A0_MAX_STORE_INDEX);
  const fields = ['1', keyTypeCode(keyType), flagChar(flag), keyRef(zmk, 'zmk'), flagChar(zmkFlag), store];
  return command('A0', store.length ? 'generate key under ZMK and store' : 'generate key under ZMK', store.length === 0, fields, (r) => {
    const [keys, cv] = keyAndCv(r);
    if (keys.length < 16) r.fail(`${keys.length} characters before the check value: two keys expected`);
    const half = Math.floor(keys.length / 2);
    return [keys.slice(0, half), keys.slice(half), cv];
  });
}

/**
 * A6: a key received under `zmk` → under the LMK with `flag`; with 1 ≤ index ≤ 2048 also stored
 * (then not safe to repeat blindly). Answer `[keyUnderLmk, cv]`.
 */
export function a6Import(
  keyType: KeyType,
  zmk: SdkKey,
  keyUnderZmk: string,
  flag: string,
  index: number,
  label?: string | null,
): WireCommand<[string, string]> {
  if (!IMPORT_FLAGS.includes(flag) || flag.length !== 1) throw new EvsmParameterError(`Value of parameter keyFlag <${flag}> Invalid.`);
  const store = storePart(index, label, MAX_KEY_INDEX);
  const fields = [keyTypeCode(keyType), keyRef(zmk, 'zmk'), keyUnderZmk, flag, store];
  return command('A6', store.length ? 'import key and store' : 'import key', store.length === 0, fields, nonEmptyKeyAndCv);
}

/** A8: `key` → under `zmk` as `flag`, for a partner (ZMK first, the Thales order). Answer `[keyUnderZmk, cv]`. */
export function a8Export(keyType: KeyType, zmk: SdkKey, key: SdkKey, flag: string): WireCommand<[string, string]> {
  if (!EXPORT_FLAGS.includes(flag) || flag.length !== 1) throw new EvsmParameterError(`Value of parameter keyFlag <${flag}> Invalid.`);
  return command('A8', 'export key', true, [keyTypeCode(keyType), keyRef(zmk, 'zmk'), keyRef(key, 'key'), flag], nonEmptyKeyAndCv);
}

/** What KG says about a stored key: the SDK's SymmKeyAttribute. */
export interface SymmKeyAttribute {
  /** The 3-hex-digit type code read as a number (`00A` → 10). */
  keyType: number;
  keyAlgFlag: string;
  keyCV: string;
  keyLabel: string;
  /** The text after the label's time field, or null when there is none. */
  updateTime: string | null;
}

/**
 * KG: key info at an index. Answer `KH00` + type(3H) + flag(1) + CV(16) + labelLen(2n) + label
 * (labelLen bytes of UTF-8) + T(2n) + the rest; the SDK wants at least T characters of rest
 * and returns the whole rest (null when empty). Error 45: no key at that index.
 */
export function kgKeyInfo(index: number): WireCommand<SymmKeyAttribute> {
  return command('KG', 'key info', true, [dec(index, 4)], (r) => parseKeyInfo(r));
}

/** KG's error code for "no key at that index". */
export const KG_NO_KEY = '45';

/**
 * KG as a key scan asks it: the key info, or undefined when the index holds no key (error 45);
 * any other error code throws as kgKeyInfo's does. A scan of all 2048 indices of a real SJJ1310
 * meets error 45 at nearly every index: an answer, not a failure, so no error object is built
 * and thrown for each (they were a tenth of a scan's client CPU).
 */
export function kgKeyInfoIfAny(index: number): WireCommand<SymmKeyAttribute | undefined> {
  return statusCommand('KG', 'key info', true, [dec(index, 4)], (s, host) => {
    if (s.errorCode === KG_NO_KEY) return undefined;
    if (s.errorCode !== '00') throw commandError('KG', s.errorCode, host);
    return parseKeyInfo(readerOf('KG', s.body, host));
  });
}

function parseKeyInfo(r: FieldReader): SymmKeyAttribute {
  // All ASCII but the label: the device counts it in UTF-8 bytes (found with the vendor SDK, which
  // refused a character count), so the fields are cut as bytes and only the label decoded.
  const b = Buffer.from(r.rest());
  const ascii = (from: number, to: number): string => b.subarray(from, to).toString('latin1');
  const fail = (why: string): never => r.fail(why);
  if (b.length < 22) fail(`key info of ${b.length} bytes is too short`);
  const typeHex = ascii(0, 3);
  if (!/^[0-9A-Fa-f]{3}$/.test(typeHex)) fail(`key type "${typeHex}" is not 3 hex digits`);
  const labelLenText = ascii(20, 22);
  if (!/^\d\d$/.test(labelLenText)) fail(`label length "${labelLenText}" is not 2 digits`);
  const labelEnd = 22 + Number(labelLenText);
  const tText = ascii(labelEnd, labelEnd + 2);
  if (!/^\d\d$/.test(tText)) fail(`time field length "${tText}" is not 2 digits`);
  const rest = ascii(labelEnd + 2, b.length);
  if (rest.length < Number(tText)) fail(`time field of ${rest.length} characters, ${tText} announced`);
  return {
    keyType: parseInt(typeHex, 16),
    keyAlgFlag: ascii(3, 4),
    keyCV: ascii(4, 20),
    keyLabel: b.subarray(22, labelEnd).toString('utf8'),
    updateTime: rest === '' ? null : rest,
  };
}

/**
 * KF: delete the key at `index` (`keyType` 0-2 as the SDK's deleteKey takes it; 1 = symmetric).
 * The answer (response code `KG`) must be exactly `KG00`; the SDK then returns `["00"]`.
 * Not safe to repeat blindly.
 */
export function kfDelete(keyType: number, index: number): WireCommand<string[]> {
  if (!Number.isInteger(keyType) || keyType < 0 || keyType > 2) throw new EvsmParameterError(`Value of parameter keyType <${keyType}> Invalid.`);
  if (!Number.isInteger(index) || index < 1 || index > MAX_KEY_INDEX) throw new EvsmParameterError(`Value of parameter keyIndex <${index}> Invalid.`);
  return statusCommand('KF', 'delete key', false, [dec(keyType, 2), indexRef(index)], (s, host) => {
    if (s.errorCode !== '00') throw commandError('KF', s.errorCode, host);
    const r = readerOf('KF', s.body, host);
    r.end();
    return [s.errorCode];
  });
}

/** BU (payShield style, kept by the emulator): 16H check value of a key under the LMK or at an index. */
export function buCheckValue(keyType: KeyType, key: string): WireCommand<string> {
  return command('BU', 'key check value', true, [keyTypeCode(keyType), key], (r) => {
    const kcv = r.text(16, 'KCV');
    r.end();
    return kcv;
  });
}

function flagChar(flag: string): string {
  if (typeof flag !== 'string' || flag.length !== 1) throw new EvsmParameterError(`Value of parameter keyFlag <${flag}> Invalid: one character`);
  return flag;
}
