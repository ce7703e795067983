/**
 * Padding modes of S3/S4, D3/D4 (2H: 01…05, 0A, 0B) and S0/D0/D1 (2N: 01…05, 10, 11). The
 * vendor SDK pads nothing itself and only names the values "1~5 or 10~11"; their meanings are
 * this emulator's documented choice (docs/host-protocol.md 2.7), standard schemes each.
 */
import { randomBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';

export type PadMode = 1 | 2 | 3 | 4 | 5 | 10 | 11;
const MODES: readonly number[] = [1, 2, 3, 4, 5, 10, 11];

export function padMode(n: number): PadMode {
  if (!MODES.includes(n)) throw new HostError('39', `padding mode ${n} is not one of 1-5, 10, 11`);
  return n as PadMode;
}

/** Padding modes whose padding a decryption removes (the others are returned as decrypted). */
export function removable(mode: PadMode): boolean {
  return mode === 1 || mode === 4 || mode === 10 || mode === 11;
}

/**
 * 01 ISO/IEC 9797-1 method 2 (0x80 then 0x00, always); 02 the same only when the data is not
 * whole blocks; 03 ISO/IEC 9797-1 method 1 (0x00 only when needed); 04 PKCS#7 (PKCS#5 for
 * 8-byte blocks); 05 none (whole blocks, except in CFB/OFB); 10 ANSI X9.23 (0x00 then a count
 * byte, always); 11 ISO 10126 (random then a count byte, always).
 */
export function pad(mode: PadMode, data: Uint8Array, block: number, stream = false): Buffer {
  const rem = data.length % block;
  const fill = block - rem;
  const out = (n: number, fn: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(data.length + n);
    b.set(data);
    fn(b);
    return b;
  };
  switch (mode) {
    case 1:
      return out(fill, (b) => (b[data.length] = 0x80));
    case 2:
      return rem === 0 && data.length > 0 ? Buffer.from(data) : out(fill, (b) => (b[data.length] = 0x80));
    case 3:
      return rem === 0 && data.length > 0 ? Buffer.from(data) : out(fill, () => undefined);
    case 4:
      return out(fill, (b) => b.fill(fill, data.length));
    case 10:
      return out(fill, (b) => (b[b.length - 1] = fill));
    case 11:
      return out(fill, (b) => {
        randomBytes(fill - 1).copy(b, data.length);
        b[b.length - 1] = fill;
      });
    case 5:
      if (!stream && (rem !== 0 || data.length === 0)) throw new HostError('15', `with padding mode 05 (none) the data must be a whole number of ${block}-byte blocks`);
      return Buffer.from(data);
  }
}

/** Removes a removable padding after decryption; a malformed one → 70. */
export function unpad(mode: PadMode, data: Buffer, block: number): Buffer {
  if (!removable(mode)) return data;
  const bad = (): HostError => new HostError('70', 'the decrypted data does not end in valid padding: wrong key, IV or padding mode, or altered data');
  if (data.length === 0 || data.length % block !== 0) throw bad();
  if (mode === 1) {
    let i = data.length - 1;
    while (i >= data.length - block && data[i] === 0) i--;
    if (i < data.length - block || data[i] !== 0x80) throw bad();
    return data.subarray(0, i);
  }
  const n = data[data.length - 1];
  if (n < 1 || n > block) throw bad();
  if (mode === 4 && !data.subarray(data.length - n).every((b) => b === n)) throw bad();
  if (mode === 10 && !data.subarray(data.length - n, data.length - 1).every((b) => b === 0)) throw bad();
  return data.subarray(0, data.length - n);
}
