/**
 * Splits a TCP byte stream into length-prefixed messages (2-byte big-endian length).
 *
 * Linear in its input: chunks are queued as they come and every byte is copied at most once,
 * when the message it belongs to is complete (re-joining the buffered bytes on every chunk made a
 * message that arrived in small pieces cost quadratic time). Bounded: a message longer than the
 * limit is skipped without buffering it; its first bytes are kept so the device can still echo
 * the header and command in its error answer. The caller pulls one event at a time (next()), so
 * it decides how many messages to handle per turn, and reads `buffered` to apply backpressure.
 */
import { ByteQueue } from '../byte-queue.ts';

export type FrameEvent = { kind: 'message'; body: Buffer } | { kind: 'oversized'; head: Buffer; length: number };

export const MAX_MESSAGE = 32768;

export class FrameSplitter {
  private readonly q = new ByteQueue();
  /** bytes of an oversized message still to discard */
  private discard = 0;

  /** headLength = header length + 2 (the command code) */
  constructor(
    private readonly headLength: number,
    private readonly max = MAX_MESSAGE,
  ) {}

  /** Bytes received and not yet returned as (or skipped with) an event. */
  get buffered(): number {
    return this.q.size;
  }

  /** True while an oversized message is being skipped. */
  get discarding(): boolean {
    return this.discard > 0;
  }

  push(chunk: Buffer): void {
    this.q.push(chunk);
  }

  /** The next complete event, or undefined until more bytes arrive. */
  next(): FrameEvent | undefined {
    for (;;) {
      if (this.discard > 0) {
        this.discard -= this.q.skip(this.discard);
        if (this.discard > 0) return undefined;
      }
      if (this.q.size < 2) return undefined;
      const len = (this.q.byteAt(0) << 8) | this.q.byteAt(1);
      if (len > this.max) {
        // Wait for the head (header + command) so the answer can echo it, then skip the rest.
        const headLen = Math.min(this.headLength, len);
        if (this.q.size < 2 + headLen) return undefined;
        this.q.skip(2);
        const head = this.q.take(headLen);
        this.discard = len - headLen;
        return { kind: 'oversized', head, length: len };
      }
      if (this.q.size < 2 + len) return undefined;
      this.q.skip(2);
      return { kind: 'message', body: this.q.take(len) };
    }
  }

  /** Wipes and drops what is buffered (the connection is gone). */
  clear(): void {
    this.q.clear();
    this.discard = 0;
  }
}

export function frame(body: Buffer): Buffer {
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}
