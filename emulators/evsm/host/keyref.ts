/**
 * Key fields in requests: a key under the LMK (flag + hex, e.g. `X39B8…`), or an internal key
 * (`K` + 4-digit index). Resolution yields the clear key, which the caller wipes after use.
 */
import { HostError } from '../errors.ts';
import type { Device } from '../device/device.ts';
import { MAX_INDEX } from '../device/device.ts';
import { KEY_TYPES, type KeyFlag, type KeyTypeCode, flagRefusal, isKeyFlag, isKeyType, keyLengthOf } from '../device/keytypes.ts';
import type { StoredKey } from '../device/state.ts';
import type { Fields } from './fields.ts';

export type KeyRef = { kind: 'index'; index: number } | { kind: 'lmk'; field: string };

export interface ClearKey {
  flag: KeyFlag;
  key: Buffer;
}

export const idx4 = (i: number): string => String(i).padStart(4, '0');

export function readKeyType(f: Fields, allowed?: readonly KeyTypeCode[]): KeyTypeCode {
  const t = f.text(3, 'key type').toUpperCase();
  if (!isKeyType(t)) throw new HostError('04', `key type ${t} is not one of ${Object.keys(KEY_TYPES).join(', ')}`);
  if (allowed && !allowed.includes(t)) throw new HostError('04', `key type ${t} (${KEY_TYPES[t]}) is not allowed here; use ${allowed.join(' or ')}`);
  return t;
}

/** A key algorithm flag; unknown or unsupported → 26. */
export function readFlag(f: Fields, name = 'key flag'): KeyFlag {
  const c = f.text(1, name);
  if (!isKeyFlag(c)) throw new HostError('26', `${name}: ${flagRefusal(c)}`);
  return c;
}

/** 4 decimal digits of an index (after its `K`): non-digits → 21, outside 1-2048 → 55. */
export function readIndexDigits(f: Fields): number {
  const i = f.digits(4, 'key index', '21');
  if (i < 1 || i > MAX_INDEX) throw new HostError('55', `key index ${idx4(i)} is out of range 0001-${MAX_INDEX}`);
  return i;
}

/** `K` + 4 digits. */
export function readIndex(f: Fields): number {
  if (f.text(1, 'key index') !== 'K') throw new HostError('21', 'a key index is K followed by 4 digits');
  return readIndexDigits(f);
}

/** A key under the LMK or an internal key reference. */
export function readKeyRef(f: Fields, name: string): KeyRef {
  const tag = f.peek();
  if (tag === 'K') return { kind: 'index', index: readIndex(f) };
  if (tag === undefined) throw new HostError('15', `${name} is missing`);
  const flag = readFlag(f, name);
  const field = flag + f.text(Math.min(2 * keyLengthOf(flag), f.remaining), name);
  if (field.length !== 1 + 2 * keyLengthOf(flag)) throw new HostError('15', `${name}: a key of flag ${flag} is ${2 * keyLengthOf(flag)} hex digits after the flag`);
  if (!/^[0-9A-Fa-f]*$/.test(field.slice(1))) throw new HostError('15', `${name} must be hex after its flag`);
  return { kind: 'lmk', field: field.toUpperCase() };
}

/** The stored key at an index, or 45. */
export function storedKey(device: Device, index: number): StoredKey {
  void device.lmks; // a factory device answers 13 before anything else
  const k = device.getKey(index);
  if (!k) throw new HostError('45', `no key stored at index ${idx4(index)}`);
  return k;
}

/** The clear key behind a reference, checked to be of `type` (another type → 10). */
export function resolveKey(device: Device, type: KeyTypeCode, ref: KeyRef): ClearKey {
  const lmks = device.lmks;
  if (ref.kind === 'lmk') return lmks.unwrap(type, ref.field);
  const stored = storedKey(device, ref.index);
  if (stored.type !== type) {
    throw new HostError('10', `the key at index ${idx4(ref.index)} is a ${KEY_TYPES[stored.type]} (${stored.type}), not a ${KEY_TYPES[type]} (${type})`);
  }
  return lmks.unwrap(type, stored.lmkKey);
}

/** Reads and resolves in one step; for commands whose key type comes from the request. */
export function readKey(device: Device, f: Fields, type: KeyTypeCode, name: string): ClearKey {
  return resolveKey(device, type, readKeyRef(f, name));
}

/** The key must be one of these flags (e.g. retail MAC: X/U), else 26. */
export function requireFlags(k: ClearKey, flags: readonly KeyFlag[], why: string): void {
  if (!flags.includes(k.flag)) throw new HostError('26', `${why} needs a key of flag ${flags.join('/')}, got ${k.flag}`);
}
