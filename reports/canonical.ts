/**
 * Canonical form of the certification data, so that its SM3 digest does not depend on how
 * a JSON writer happened to order or space things (see docs/reports.md, "Canonical form").
 *
 *  - UTF-8 JSON, no insignificant whitespace;
 *  - object members sorted by key, comparing UTF-16 code units (JavaScript's default sort);
 *  - members whose value is `undefined` are left out (as JSON.stringify does);
 *  - strings escaped exactly as JSON.stringify escapes them;
 *  - numbers must be safe integers (durations are rounded to ms before they get here),
 *    because float formatting is where canonical JSON schemes usually disagree.
 */
import { sm3, hex } from '../crypto/index.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export function canonicalJson(value: Json | undefined): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new RangeError(`canonical form allows safe integers only, got ${value}`);
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical form cannot hold a ${typeof value}`);
  }
}

export function canonicalBytes(value: Json): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** SM3 of the canonical form, 64 upper-case hex digits. */
export function digestOf(value: Json): string {
  return hex(sm3(canonicalBytes(value)));
}
