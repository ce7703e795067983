/**
 * The store part of A0, A6 and E7 (`K` + index 4N + label length 2N + label) and label fields in
 * answers. The length counts characters, the label travels as UTF-8 (the SDK sends
 * String.length() and the UTF-8 bytes, whatever its encodetype).
 */
import { HostError } from '../../errors.ts';
import type { Fields } from '../fields.ts';
import { readIndex } from '../keyref.ts';

export const MAX_LABEL = 16;

export interface StorePart {
  index: number;
  label: string;
}

/** UTF-8 sequence length from its lead byte, or 0 when it cannot start a character. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Reads UTF-8 until `units` characters as Java counts them (UTF-16 code units) are read. */
export function readUtf8Chars(f: Fields, units: number, name: string): string {
  let out = '';
  while (out.length < units) {
    const lead = f.peekByte();
    if (lead === undefined) throw new HostError('15', `${name}: ${units} characters announced, ${out.length} sent`);
    const n = sequenceLength(lead);
    if (n === 0) throw new HostError('15', `${name} is not UTF-8`);
    const bytes = f.bytes(n, name);
    const s = new TextDecoder('utf-8').decode(bytes);
    if (s.includes('\uFFFD') || Buffer.from(s, 'utf8').length !== n) throw new HostError('15', `${name} is not UTF-8`);
    out += s;
  }
  if (out.length !== units) throw new HostError('15', `${name}: the length ${units} ends inside a character`);
  return out;
}

/** Characters as the SDK counts them (Java String.length(): UTF-16 code units). */
export function labelLength(label: string): number {
  return label.length;
}

/** The optional store part; absent when the request ends (or goes on with something else). */
export function readStorePart(f: Fields): StorePart | undefined {
  if (f.peek() !== 'K') return undefined;
  const index = readIndex(f);
  const n = f.digits(2, 'label length');
  if (n > MAX_LABEL) throw new HostError('96', `label length ${n}: a label has at most ${MAX_LABEL} characters`);
  const label = readUtf8Chars(f, n, 'label');
  if (labelLength(label) > MAX_LABEL) throw new HostError('96', `label is ${labelLength(label)} characters (UTF-16 units); at most ${MAX_LABEL}`);
  return { index, label };
}

/**
 * labelLen 2N + label (UTF-8), for answers. Unlike requests, the length here counts UTF-8 bytes:
 * the SDK refuses KH with `02` + the 6 bytes of 中文 and accepts `06` (found with the SDK,
 * docs/conformance.md finding 1).
 */
export function labelField(label: string): Buffer {
  const bytes = Buffer.from(label, 'utf8');
  return Buffer.concat([Buffer.from(String(bytes.length).padStart(2, '0'), 'latin1'), bytes]);
}
