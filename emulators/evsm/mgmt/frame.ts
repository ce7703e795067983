/** Management framing: 4-byte big-endian length + UTF-8 JSON (docs/management-protocol.md 1). */
export const MAX_JSON = 64 * 1024 * 1024;

export class JsonFrameTooLarge extends Error {}

export class JsonFrames {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Returns the complete JSON texts received so far. */
  push(chunk: Buffer): string[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: string[] = [];
    for (;;) {
      if (this.size < 4) break;
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const n = buf.readUInt32BE(0);
      if (n > MAX_JSON) throw new JsonFrameTooLarge(`frame of ${n} bytes is over the ${MAX_JSON}-byte limit`);
      if (buf.length < 4 + n) break;
      out.push(buf.subarray(4, 4 + n).toString('utf8'));
      const rest = buf.subarray(4 + n);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }
}

export function encodeJsonFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}
