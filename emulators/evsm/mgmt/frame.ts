/**
 * Management framing: 4-byte big-endian length + UTF-8 JSON (docs/management-protocol.md 1).
 * Linear in its input (chunks are queued and joined once, when their frame is complete) and
 * bounded: a frame longer than MAX_JSON is refused as soon as its length field arrives, before
 * any of its body is buffered.
 */
import { ByteQueue } from '../byte-queue.ts';

/** The largest request: a restore of 2048 keys is about 270 KB of JSON. */
export const MAX_JSON = 1024 * 1024;

export class JsonFrameTooLarge extends Error {}

export class JsonFrames {
  private readonly q = new ByteQueue();

  constructor(private readonly max = MAX_JSON) {}

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.q.size;
  }

  push(chunk: Buffer): void {
    this.q.push(chunk);
  }

  /** The next complete JSON text, or undefined until more bytes arrive; throws on an oversized frame. */
  next(): string | undefined {
    if (this.q.size < 4) return undefined;
    const n = ((this.q.byteAt(0) << 24) >>> 0) + (this.q.byteAt(1) << 16) + (this.q.byteAt(2) << 8) + this.q.byteAt(3);
    if (n > this.max) throw new JsonFrameTooLarge(`frame of ${n} bytes is over the ${this.max}-byte limit`);
    if (this.q.size < 4 + n) return undefined;
    this.q.skip(4);
    const body = this.q.take(n);
    const text = body.toString('utf8');
    // Requests carry sealed secrets only, but the raw bytes have no use after decoding.
    body.fill(0);
    return text;
  }

  clear(): void {
    this.q.clear();
  }
}

export function encodeJsonFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}
