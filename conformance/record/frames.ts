/**
 * SJJ1310 framing (docs/host-protocol.md): 2-byte big-endian length, then the payload (header of
 * H bytes, command, fields). Splits a byte stream into payloads; keeps a partial frame across
 * chunks.
 */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the payloads that are now complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + n) break;
      out.push(Buffer.from(this.buf.subarray(2, 2 + n)));
      this.buf = this.buf.subarray(2 + n);
    }
    return out;
  }

  /** bytes of an incomplete frame still waiting */
  get pending(): number {
    return this.buf.length;
  }
}

export function frame(payload: Buffer): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`payload of ${payload.length} bytes does not fit a 2-byte length`);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(payload.length);
  return Buffer.concat([head, payload]);
}
