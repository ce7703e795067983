/**
 * The generic part of every host command (sjj1310-wire.md §0): a request is the 2-character
 * command code followed by its fields; the answer is the response code (the command's second
 * character advanced by one: `A0` → `A1`, `KF` → `KG`), a 2-digit error code (`00` = success),
 * then fields (none when the code is not 00).
 */
import { EvsmCommandError, EvsmProtocolError } from '../errors.ts';
import { ERROR_MEANINGS, isKnownErrorCode } from './error-codes.ts';

/** `A0` → `A1`, `NC` → `ND`, `3C` → `3D`. */
export function responseCodeFor(command: string): string {
  if (!/^[A-Z0-9]{2}$/.test(command)) throw new EvsmProtocolError(`invalid command code "${command}"`);
  return command[0] + String.fromCharCode(command.charCodeAt(1) + 1);
}

/** Builds `code + fields` as bytes. String fields are sent as Latin-1 (ASCII); Buffers as they are. */
export function encodeCommand(code: string, ...fields: Array<string | Buffer>): Buffer {
  return Buffer.concat([Buffer.from(code, 'latin1'), ...fields.map((f) => (typeof f === 'string' ? Buffer.from(f, 'latin1') : f))]);
}

/** Reads sequential fields out of an answer body; every read checks the length is there. */
export class FieldReader {
  private pos = 0;
  constructor(
    private readonly body: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.body.length - this.pos;
  }

  /** A protocol error about this answer ("Response Buffer abnormal" in the SDK's words). */
  fail(problem: string): never {
    throw new EvsmProtocolError(`${this.what}: ${problem}`);
  }

  bytes(n: number, name: string): Buffer {
    if (n < 0 || this.pos + n > this.body.length) {
      this.fail(`answer too short for ${name} (${n} bytes at offset ${this.pos}, ${this.body.length} in all)`);
    }
    const out = this.body.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  text(n: number, name: string): string {
    return this.bytes(n, name).toString('latin1');
  }

  /** n decimal digits as a number (`0032` → 32). */
  decimal(n: number, name: string): number {
    const t = this.text(n, name);
    if (!/^\d+$/.test(t)) this.fail(`${name} "${t}" is not ${n} decimal digits`);
    return Number(t);
  }

  /** n hex digits as a number (`000A` → 10). */
  hexNumber(n: number, name: string): number {
    const t = this.text(n, name);
    if (!/^[0-9A-Fa-f]+$/.test(t)) this.fail(`${name} "${t}" is not ${n} hex digits`);
    return parseInt(t, 16);
  }

  /** The unread bytes, without consuming them. */
  peekRest(): Buffer {
    return this.body.subarray(this.pos);
  }

  rest(): Buffer {
    const out = this.body.subarray(this.pos);
    this.pos = this.body.length;
    return out;
  }

  restText(): string {
    return this.rest().toString('latin1');
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected bytes at the end of the answer`);
  }
}

export interface AnswerStatus {
  /** Two digits, from the SDK's table. */
  errorCode: string;
  /** The fields after the error code (empty unless the code is 00). */
  body: Buffer;
}

/**
 * Checks the response code and that the error code is one of the SDK's table (a code outside it,
 * or a non-numeric one, is a protocol fault: the vendor SDK itself crashes on those). Does not
 * throw for a non-00 code: some calls turn codes into answers (verifyCVV → false).
 */
export function readStatus(command: string, answer: Buffer, host: string): AnswerStatus {
  const expected = responseCodeFor(command);
  if (answer.length < 4) throw new EvsmProtocolError(`${command} on ${host}: answer of ${answer.length} bytes is too short`);
  const code = answer.subarray(0, 2).toString('latin1');
  const err = answer.subarray(2, 4).toString('latin1');
  if (code !== expected) throw new EvsmProtocolError(`${command} on ${host}: response code "${code}", expected "${expected}"`);
  if (!/^\d\d$/.test(err)) throw new EvsmProtocolError(`${command} on ${host}: error code "${err}" is not two digits`);
  if (!isKnownErrorCode(err)) throw new EvsmProtocolError(`${command} on ${host}: error code ${err} is not in the SJJ1310 error table`);
  return { errorCode: err, body: answer.subarray(4) };
}

/** The device's error code as the error callers catch (meaning from the SDK's table). */
export function commandError(command: string, errorCode: string, host: string): EvsmCommandError {
  return new EvsmCommandError(command, errorCode, host, ERROR_MEANINGS[errorCode]);
}

/**
 * Checks the response code and error code; returns a reader over the fields. A non-00 code throws
 * EvsmCommandError carrying it.
 */
export function openAnswer(command: string, answer: Buffer, host: string): FieldReader {
  const status = readStatus(command, answer, host);
  if (status.errorCode !== '00') throw commandError(command, status.errorCode, host);
  return new FieldReader(status.body, `${command} on ${host}`);
}
