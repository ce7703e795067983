/**
 * The generic part of every host command (docs/host-protocol.md): a request is the 2-character
 * command code followed by its fields; the answer is the response code (the command's second
 * character advanced by one: `B2` → `B3`), a 2-digit error code (`00` = success), then fields.
 */
import { EvsmCommandError, EvsmProtocolError } from '../errors.ts';

/** `B2` → `B3`, `A0` → `A1`, `NC` → `ND`. */
export function responseCodeFor(command: string): string {
  if (!/^[A-Z0-9]{2}$/.test(command)) throw new EvsmProtocolError(`invalid command code "${command}"`);
  return command[0] + String.fromCharCode(command.charCodeAt(1) + 1);
}

/** Builds `code + fields` as bytes. Fields are ASCII strings or raw bytes. */
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

  bytes(n: number, name: string): Buffer {
    if (this.pos + n > this.body.length) {
      throw new EvsmProtocolError(`${this.what}: answer too short for ${name} (${n} bytes at offset ${this.pos}, ${this.body.length} in all)`);
    }
    const out = this.body.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  text(n: number, name: string): string {
    return this.bytes(n, name).toString('latin1');
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
    if (this.remaining !== 0) {
      throw new EvsmProtocolError(`${this.what}: ${this.remaining} unexpected bytes at the end of the answer`);
    }
  }
}

/**
 * Checks the response code and error code; returns a reader over the fields.
 * `meanings` turns known error codes into words for the message.
 */
export function openAnswer(
  command: string,
  answer: Buffer,
  host: string,
  meanings: Readonly<Record<string, string>> = {},
): FieldReader {
  const expected = responseCodeFor(command);
  if (answer.length < 4) throw new EvsmProtocolError(`${command} on ${host}: answer of ${answer.length} bytes is too short`);
  const code = answer.subarray(0, 2).toString('latin1');
  const err = answer.subarray(2, 4).toString('latin1');
  if (code !== expected) {
    throw new EvsmProtocolError(`${command} on ${host}: response code "${code}", expected "${expected}"`);
  }
  if (!/^\d\d$/.test(err)) throw new EvsmProtocolError(`${command} on ${host}: error code "${err}" is not two digits`);
  if (err !== '00') throw new EvsmCommandError(command, err, host, meanings[err]);
  return new FieldReader(answer.subarray(4), `${command} on ${host}`);
}
