/** Sequential reader over a request's fields; any shortfall or bad syntax is host error 15. */
import { HostError } from '../errors.ts';

export class Fields {
  private pos = 0;
  constructor(private readonly body: Buffer) {}

  get remaining(): number {
    return this.body.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  peek(): string | undefined {
    return this.pos < this.body.length ? String.fromCharCode(this.body[this.pos]) : undefined;
  }

  peekByte(): number | undefined {
    return this.pos < this.body.length ? this.body[this.pos] : undefined;
  }

  bytes(n: number, name: string, code = '15'): Buffer {
    if (n < 0 || this.pos + n > this.body.length) throw new HostError(code, `request too short: ${name} needs ${n} bytes at offset ${this.pos}`);
    const out = this.body.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Everything left. */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  text(n: number, name: string): string {
    return this.bytes(n, name).toString('latin1');
  }

  /** n hex digits → their bytes (a fresh copy, so callers may wipe it). */
  hex(n: number, name: string, code = '15'): Buffer {
    const s = this.text(n, name);
    if (n % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(s)) throw new HostError(code, `${name} must be ${n} hex digits`);
    return Buffer.from(s, 'hex');
  }

  /** n hex digits as a number (length fields such as 4H). */
  hexNumber(n: number, name: string): number {
    const s = this.text(n, name);
    if (!/^[0-9A-Fa-f]+$/.test(s)) throw new HostError('15', `${name} must be ${n} hex digits`);
    return parseInt(s, 16);
  }

  /** n decimal digits as a number; refuses with `code` (default 15). */
  digits(n: number, name: string, code = '15'): number {
    const s = this.text(n, name);
    if (!/^[0-9]+$/.test(s)) throw new HostError(code, `${name} must be ${n} decimal digits`);
    return Number(s);
  }

  /** One character out of an allowed set; refuses with `code` (default 15). */
  choice<T extends string>(name: string, allowed: readonly T[], code = '15'): T {
    const c = this.text(1, name);
    if (!(allowed as readonly string[]).includes(c)) throw new HostError(code, `${name} must be one of ${allowed.join(', ')}`);
    return c as T;
  }

  /** The next character must be `c` (a separator such as `;`). */
  expect(c: string, name: string): void {
    if (this.text(c.length, name) !== c) throw new HostError('15', `${name}: expected ${JSON.stringify(c)}`);
  }

  /** The request must end here. */
  end(): void {
    if (this.remaining !== 0) throw new HostError('15', `${this.remaining} unexpected bytes at the end of the request`);
  }
}
