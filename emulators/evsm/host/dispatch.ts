/**
 * Turns one request message (header + command + fields) into one answer message
 * (header + response code + error code + fields). Never throws: every failure is an answer.
 */
import { HostError } from '../errors.ts';
import { Fields } from './fields.ts';
import type { Handler, HostContext } from './handler.ts';
import { B2, N0, NC, NO } from './commands/diagnostics.ts';
import { A0, A6, A8, BU, XA } from './commands/keys.ts';
import { CC } from './commands/pin.ts';
import { M6, M8 } from './commands/mac.ts';
import { M0, M2 } from './commands/data.ts';
import { X0, X2, X4, X6, X8 } from './commands/store.ts';

const HANDLERS: Readonly<Record<string, Handler>> = { NC, B2, N0, NO, A0, BU, A6, A8, XA, CC, M6, M8, M0, M2, X0, X2, X4, X6, X8 };

export const IMPLEMENTED_COMMANDS = Object.keys(HANDLERS);

/** `A0` → `A1`: the second character advanced by one. */
export function responseCode(command: string): string {
  return command[0] + String.fromCharCode(command.charCodeAt(1) + 1);
}

function answer(header: Buffer, code: string, error: string, fields: string | Buffer = ''): Buffer {
  return Buffer.concat([header, Buffer.from(code + error, 'latin1'), typeof fields === 'string' ? Buffer.from(fields, 'latin1') : fields]);
}

/** Header padded with spaces to H (for frames too short to carry one). */
function headerOf(body: Buffer, headerLength: number): Buffer {
  const h = Buffer.alloc(headerLength, 0x20);
  body.copy(h, 0, 0, Math.min(headerLength, body.length));
  return h;
}

export interface Dispatched {
  answer: Buffer;
  command: string;
  error: string;
  /** why it was refused, for the device log (never contains key material) */
  reason?: string;
}

export function dispatch(ctx: HostContext, body: Buffer, headerLength: number): Dispatched {
  if (body.length < headerLength + 2) {
    return { answer: answer(headerOf(body, headerLength), 'ZZ', '15'), command: '??', error: '15', reason: 'frame shorter than header + command' };
  }
  const header = Buffer.from(body.subarray(0, headerLength));
  const command = body.subarray(headerLength, headerLength + 2).toString('latin1');
  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, command) ? HANDLERS[command] : undefined;
  const rc = responseCode(command);
  if (!handler) return { answer: answer(header, rc, '68'), command, error: '68', reason: 'unknown or unimplemented command' };
  try {
    const out = handler(ctx, new Fields(body.subarray(headerLength + 2)));
    return { answer: answer(header, rc, '00', out), command, error: '00' };
  } catch (e) {
    if (e instanceof HostError) return { answer: answer(header, rc, e.code), command, error: e.code, reason: e.message };
    // A crypto-core RangeError here means input we did not validate well enough: report it as
    // bad input rather than dropping the connection.
    const code = e instanceof RangeError ? '15' : '41';
    return { answer: answer(header, rc, code), command, error: code, reason: (e as Error).message };
  }
}

/** Answer for a frame over the size limit, built from its first bytes. */
export function oversizedAnswer(head: Buffer, headerLength: number): Buffer {
  const header = headerOf(head, headerLength);
  const command = head.length >= headerLength + 2 ? head.subarray(headerLength, headerLength + 2).toString('latin1') : 'Z';
  return answer(header, command.length === 2 ? responseCode(command) : 'ZZ', '80');
}
