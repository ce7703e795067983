/**
 * Received bytes as a queue of chunks, read front to back. Every byte is copied at most once
 * (when the message it belongs to is taken), so framing costs time linear in the input however
 * the stream is cut. Consumed chunks are wiped: requests may carry clear key components.
 * Used by both listeners' framing (host/frame.ts, mgmt/frame.ts).
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** index of the first chunk still holding unread bytes */
  private first = 0;
  /** read offset in chunks[first] */
  private offset = 0;
  /** unread bytes */
  size = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The unread byte at position i (i < size). */
  byteAt(i: number): number {
    let pos = i + this.offset;
    for (let c = this.first; ; c++) {
      const b = this.chunks[c];
      if (pos < b.length) return b[pos];
      pos -= b.length;
    }
  }

  /** Copies the next n unread bytes into a new buffer and consumes them (n ≤ size). */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const b = this.chunks[this.first];
      const k = Math.min(n - filled, b.length - this.offset);
      b.copy(out, filled, this.offset, this.offset + k);
      filled += k;
      this.advanceWithin(k);
    }
    return out;
  }

  /** Consumes up to n unread bytes without copying them; returns how many were consumed. */
  skip(n: number): number {
    let left = Math.min(n, this.size);
    const done = left;
    while (left > 0) {
      const b = this.chunks[this.first];
      const k = Math.min(left, b.length - this.offset);
      left -= k;
      this.advanceWithin(k);
    }
    return done;
  }

  /** Wipes every byte still held (received requests may carry clear key components). */
  clear(): void {
    for (let c = this.first; c < this.chunks.length; c++) wipeOwned(this.chunks[c]);
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.size = 0;
  }

  private advanceWithin(k: number): void {
    this.offset += k;
    this.size -= k;
    const b = this.chunks[this.first];
    if (this.offset === b.length) {
      wipeOwned(b);
      this.first++;
      this.offset = 0;
      // Drop consumed slots now and then, so the array does not grow for a long-lived connection.
      if (this.first > 64 && this.first * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.first);
        this.first = 0;
      }
    }
  }
}

/**
 * Zeroes a received chunk that owns its memory (what sockets hand out). A slice of a shared
 * pool is left alone: zeroing it could destroy bytes someone else still uses.
 */
function wipeOwned(b: Buffer): void {
  if (b.byteOffset === 0 && b.length === b.buffer.byteLength) b.fill(0);
}
