/**
 * Framing on the host port (sjj1310-wire.md §0): each message is a 2-byte big-endian length
 * followed by that many bytes: the `msgheadlength`-byte header (echoed back by the device), then
 * the command or response. This module only cuts and joins frames; it knows nothing of commands.
 */
import { EvsmProtocolError } from '../errors.ts';

/** Largest message the 2-byte length field can carry; the device may refuse less (error 80). */
export const MAX_MESSAGE = 0xffff;

/** Prefixes a message with its 2-byte big-endian length. */
export function encodeFrame(message: Buffer): Buffer {
  if (message.length > MAX_MESSAGE) {
    throw new EvsmProtocolError(`message of ${message.length} bytes exceeds the ${MAX_MESSAGE}-byte limit of the length field`);
  }
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length, 0);
  return Buffer.concat([len, message]);
}

/** Accumulates stream chunks and yields each complete message (without its length prefix). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buffered.length >= 2) {
      const len = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + len) break;
      out.push(this.buffered.subarray(2, 2 + len));
      this.buffered = this.buffered.subarray(2 + len);
    }
    return out;
  }

  /** Bytes of an unfinished frame (non-zero when a peer closed mid-message). */
  get pending(): number {
    return this.buffered.length;
  }
}
