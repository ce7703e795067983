/**
 * The `msgheadlength` header: like the vendor SDK, a client picks random alphanumeric characters
 * once and sends the same header with every request; the device must echo it.
 */
import { randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Longest header a host may configure (cacipher `msgheadlength`). */
export const MAX_HEADER_LENGTH = 64;

/** `length` random alphanumeric characters (e.g. `5xBS`). */
export function randomHeader(length = MAX_HEADER_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}
