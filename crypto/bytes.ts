import { randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';

/** Overwrites a buffer that held key material; call it when the clear key is no longer needed. */
export function wipe(...buffers: Array<Uint8Array | undefined>): void {
  for (const b of buffers) if (b) b.fill(0);
}

export function randomBytes(n: number): Buffer {
  return nodeRandomBytes(n);
}

/** Constant-time equality for MACs, check values and digests (length leak only). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError(`xor of ${a.length}-byte and ${b.length}-byte values`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

export function fromHex(s: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new RangeError('not an even-length hex string');
  return Buffer.from(s, 'hex');
}
