/**
 * Splits a TCP byte stream into length-prefixed messages (2-byte big-endian length).
 * A message longer than the limit is skipped without buffering it; its first bytes are kept so
 * the device can still echo the header and command in its error answer.
 */
export type FrameEvent = { kind: 'message'; body: Buffer } | { kind: 'oversized'; head: Buffer; length: number };

export const MAX_MESSAGE = 32768;

export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** bytes of an oversized message still to discard */
  private skip = 0;

  /** headLength = header length + 2 (the command code) */
  constructor(
    private readonly headLength: number,
    private readonly max = MAX_MESSAGE,
  ) {}

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.skip -= n;
        this.buf = this.buf.subarray(n);
        if (this.skip > 0) break;
        continue;
      }
      if (this.buf.length < 2) break;
      const len = this.buf.readUInt16BE(0);
      if (len > this.max) {
        // Wait for the head (header + command) so the answer can echo it, then skip the rest.
        if (this.buf.length < 2 + this.headLength) break;
        const head = Buffer.from(this.buf.subarray(2, 2 + this.headLength));
        this.buf = this.buf.subarray(2 + this.headLength);
        this.skip = len - this.headLength;
        events.push({ kind: 'oversized', head, length: len });
        continue;
      }
      if (this.buf.length < 2 + len) break;
      events.push({ kind: 'message', body: Buffer.from(this.buf.subarray(2, 2 + len)) });
      this.buf = this.buf.subarray(2 + len);
    }
    return events;
  }
}

export function frame(body: Buffer): Buffer {
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}
