/**
 * Framing on the host port (docs/host-protocol.md): each message is a 2-byte big-endian length
 * followed by that many bytes: the message header (echoed back by the device), then the command
 * or response. This module only cuts and joins frames; it knows nothing of commands.
 */
import { EvsmProtocolError } from '../errors.ts';

/** Largest message (length field L) the device accepts (docs/host-protocol.md §1.1); larger → error 80. */
export const MAX_MESSAGE = 32768;

/** Prefixes a message with its 2-byte big-endian length. */
export function encodeFrame(message: Buffer): Buffer {
  if (message.length > MAX_MESSAGE) {
    throw new EvsmProtocolError(`message of ${message.length} bytes exceeds the device's ${MAX_MESSAGE}-byte limit`);
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
