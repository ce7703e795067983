/**
 * Key fields in requests: a key under the LMK ("U…", "T…", "P…"), an internal key ("Kdddd"),
 * or a key under a ZMK. Resolution yields the clear key, which the caller wipes after use.
 */
import { HostError } from '../errors.ts';
import type { Device } from '../device/device.ts';
import { KEY_TYPES, type KeyScheme, type KeyTypeCode, isKeyType, isLmkScheme, lmkFieldLength, zmkSchemeToLmk } from '../device/keytypes.ts';
import { MAX_INDEX } from '../device/device.ts';
import type { Fields } from './fields.ts';

export type KeyRef = { kind: 'index'; index: number } | { kind: 'lmk'; field: string };

export interface ClearKey {
  scheme: KeyScheme;
  key: Buffer;
}

export function readKeyType(f: Fields, allowed?: readonly KeyTypeCode[]): KeyTypeCode {
  const t = f.text(3, 'key type').toUpperCase();
  if (!isKeyType(t)) throw new HostError('04', `key type ${t} is not one of ${Object.keys(KEY_TYPES).join(', ')}`);
  if (allowed && !allowed.includes(t)) throw new HostError('04', `key type ${t} (${KEY_TYPES[t]}) is not allowed here; use ${allowed.join(' or ')}`);
  return t;
}

export function readIndex(f: Fields): number {
  const i = f.digits(4, 'index');
  if (i < 1 || i > MAX_INDEX) throw new HostError('33', `index ${i} is out of range 0001-${MAX_INDEX}`);
  return i;
}

export function readLmkScheme(f: Fields, name = 'key scheme (LMK)'): KeyScheme {
  const s = f.text(1, name);
  if (!isLmkScheme(s)) throw new HostError('26', `${name} ${s} is not U, T or P`);
  return s;
}

/** A key under the LMK or an internal key reference. */
export function readKeyRef(f: Fields, name: string): KeyRef {
  const tag = f.peek();
  if (tag === 'K') {
    f.text(1, name);
    return { kind: 'index', index: readIndex(f) };
  }
  if (tag === undefined || !isLmkScheme(tag)) throw new HostError('26', `${name}: key scheme ${tag ?? '(none)'} is not U, T, P or K`);
  const field = f.text(1 + lmkFieldLength(tag), name);
  if (!/^[0-9A-Fa-f]*$/.test(field.slice(1))) throw new HostError('15', `${name} must be hex after its scheme tag`);
  return { kind: 'lmk', field: field.toUpperCase() };
}

/** The clear key behind a reference, checked to be of `type`. */
export function resolveKey(device: Device, type: KeyTypeCode, ref: KeyRef): ClearKey {
  const lmks = device.lmks;
  if (ref.kind === 'lmk') return lmks.unwrap(type, ref.field);
  const stored = device.getKey(ref.index);
  if (!stored) throw new HostError('12', `no key stored at index ${String(ref.index).padStart(4, '0')}`);
  if (stored.type !== type) {
    throw new HostError('04', `the key at index ${String(ref.index).padStart(4, '0')} is a ${KEY_TYPES[stored.type]} (${stored.type}), not a ${KEY_TYPES[type]} (${type})`);
  }
  return lmks.unwrap(type, stored.lmkKey);
}

/** A key under a ZMK: tag + hex. Returns the tag as sent and the LMK scheme it stands for. */
export function readZmkKey(f: Fields, name: string): { tag: string; scheme: KeyScheme; cipher: Buffer } {
  const tag = f.text(1, name);
  const scheme = zmkSchemeToLmk(tag);
  if (!scheme) throw new HostError('26', `${name}: scheme ${tag} is not U, X, T, Y or P`);
  return { tag, scheme, cipher: f.hex(scheme === 'T' ? 48 : 32, name) };
}

/** Reads a scheme tag for use under a ZMK (U/X, T/Y, P). */
export function readZmkScheme(f: Fields): { tag: string; scheme: KeyScheme } {
  const tag = f.text(1, 'key scheme (ZMK)');
  const scheme = zmkSchemeToLmk(tag);
  if (!scheme) throw new HostError('26', `key scheme (ZMK) ${tag} is not U, X, T, Y or P`);
  return { tag, scheme };
}
