/**
 * Turns one request message (header + command + fields) into one answer message
 * (header + response code + error code + fields). Never throws: every failure is an answer
 * with a code from the SDK's error table (docs/host-protocol.md 3).
 */
import { HostError } from '../errors.ts';
import { Fields } from './fields.ts';
import type { Handler, HostContext } from './handler.ts';
import { B2, CR, N0, NC, NO } from './commands/diagnostics.ts';
import { A0, A6, A8, BU, XK } from './commands/keys.ts';
import { KF, KG, X4, X8 } from './commands/store.ts';
import { D3, D4, M0, M2, S3, S4 } from './commands/data.ts';
import { D0, D1, M6, M8, MU, S0 } from './commands/mac.ts';
import { BA, CC, JA, JE, JG, NG, TI } from './commands/pin.ts';
import { CW, CY } from './commands/cvv.ts';
import { SM2_HANDLERS } from './commands/sm2.ts';
import { HASH_HANDLERS } from './commands/hash.ts';

const HANDLERS: Readonly<Record<string, Handler>> = {
  // SJJ1310 commands
  NC, CR, A0, A6, A8, KG, KF, S3, S4, D3, D4, S0, D0, D1, MU, CC, TI, BA, JA, JE, JG, NG, CW, CY,
  ...SM2_HANDLERS,
  ...HASH_HANDLERS,
  // payShield style (codes that do not clash)
  B2, N0, NO, BU, M0, M2, M6, M8,
  // EXTENSIONS of this emulator (decision 10): not SJJ1310 commands
  X4, X8, XK,
};

export const IMPLEMENTED_COMMANDS = Object.keys(HANDLERS);

/** The error codes the SDK knows (a code outside this set crashes it). */
export const SDK_ERROR_CODES: ReadonlySet<string> = new Set(
  [...range(0, 10), ...range(12, 43), 45, 49, ...range(51, 58), 65, ...range(67, 70), ...range(74, 87), ...range(90, 94), ...range(96, 99)].map((n) => String(n).padStart(2, '0')),
);

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** `A0` → `A1`: the second character advanced by one. */
export function responseCode(command: string): string {
  return command[0] + String.fromCharCode(command.charCodeAt(1) + 1);
}

/**
 * The answer header + response code + error + fields, built in one buffer with room for the
 * 2-byte length in front, so the server sends it without copying it again (`framed`).
 */
function answer(header: Buffer, code: string, error: string, fields: string | Buffer, command: string, reason?: string): Dispatched {
  const length = header.length + 4 + fields.length;
  // Every byte is written below (latin1 strings: one byte per character).
  const out = Buffer.allocUnsafe(2 + length);
  out.set(header, 2);
  let at = 2 + header.length;
  out[at++] = code.charCodeAt(0);
  out[at++] = code.charCodeAt(1);
  out[at++] = error.charCodeAt(0);
  out[at++] = error.charCodeAt(1);
  if (typeof fields === 'string') out.write(fields, at, 'latin1');
  else out.set(fields, at);
  // A length past 16 bits cannot be framed: frame(answer) refuses it, as it always did.
  const framed = length <= 0xffff;
  if (framed) out.writeUInt16BE(length, 0);
  const d: Dispatched = { answer: out.subarray(2), framed: framed ? out : undefined, command, error };
  if (reason !== undefined) d.reason = reason;
  return d;
}

/** Header padded with spaces to H (for frames too short to carry one). */
function headerOf(body: Buffer, headerLength: number): Buffer {
  const h = Buffer.alloc(headerLength, 0x20);
  body.copy(h, 0, 0, Math.min(headerLength, body.length));
  return h;
}

export interface Dispatched {
  answer: Buffer;
  /** the answer with its 2-byte length in front (host/frame.ts frame()); undefined when too long to frame */
  framed: Buffer | undefined;
  command: string;
  error: string;
  /** why it was refused, for the device log (never contains key material) */
  reason?: string;
}

export function dispatch(ctx: HostContext, body: Buffer, headerLength: number): Dispatched {
  if (body.length < headerLength + 2) {
    return answer(headerOf(body, headerLength), 'ZZ', '15', '', '??', 'frame shorter than header + command');
  }
  const header = body.subarray(0, headerLength);
  const command = body.subarray(headerLength, headerLength + 2).toString('latin1');
  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, command) ? HANDLERS[command] : undefined;
  const rc = responseCode(command);
  if (!handler) return answer(header, rc, '68', '', command, 'unknown or unimplemented command');
  try {
    const out = handler(ctx, new Fields(body.subarray(headerLength + 2)));
    return answer(header, rc, '00', out, command);
  } catch (e) {
    if (e instanceof HostError && SDK_ERROR_CODES.has(e.code)) return answer(header, rc, e.code, '', command, e.message);
    // A crypto-core RangeError here means input we did not validate well enough: report it as
    // bad input rather than dropping the connection; anything else is an internal error.
    const code = e instanceof RangeError ? '15' : '41';
    return answer(header, rc, code, '', command, (e as Error).message);
  }
}

/** Answer for a frame over the size limit, built from its first bytes. */
export function oversizedAnswer(head: Buffer, headerLength: number): Buffer {
  const header = headerOf(head, headerLength);
  const command = head.length >= headerLength + 2 ? head.subarray(headerLength, headerLength + 2).toString('latin1') : 'Z';
  return answer(header, command.length === 2 ? responseCode(command) : 'ZZ', '80', '', command).answer;
}
