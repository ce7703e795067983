/**
 * Padding modes of S3/S4, D3/D4 (2H: 00…05, 10) and S0/D0/D1 (2N: 00…05, 16), numbered as the
 * vendor SDK's public enum `SJJ1310$PaddingMode` names them and as its own blocksEncrypt pads
 * (docs/conformance.md finding 2; docs/host-protocol.md 2.7):
 * 0 PBOC 2.0 encryption padding (0x80 then 0x00, only when the data is not whole blocks);
 * 1 ISO/IEC 9797-1 method 2 (PBOC 2.0 MAC padding: 0x80 then 0x00, always);
 * 2 ISO/IEC 9797-1 method 1 (ANSI X9.19: 0x00 only when needed);
 * 3 ANSI X9.23 (0x00 then a count byte, always); 4 PKCS#5 (PKCS#7 on 16-byte blocks, always);
 * 5 none (whole blocks, except in CFB/OFB); 16 PBOC 3.0 encryption padding (a length byte, the
 * data, then 0x80 0x00… when not whole blocks).
 */
import { padBlocks } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';

export type PadMode = 0 | 1 | 2 | 3 | 4 | 5 | 16;
const MODES: readonly number[] = [0, 1, 2, 3, 4, 5, 16];

export function padMode(n: number): PadMode {
  if (!MODES.includes(n)) throw new HostError('39', `padding mode ${n} is not one of 0-5 or 16`);
  return n as PadMode;
}

/** Padding modes whose padding a decryption removes (0 and 2 cannot be told from data: kept). */
export function removable(mode: PadMode): boolean {
  return mode === 1 || mode === 3 || mode === 4 || mode === 16;
}

export function pad(mode: PadMode, data: Uint8Array, block: number, stream = false): Buffer {
  switch (mode) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      return padBlocks(mode, data, block);
    case 16:
      if (data.length > 255) throw new HostError('15', 'PBOC 3.0 padding (16) carries the data length in one byte: at most 255 bytes');
      return padBlocks(0, Buffer.concat([Buffer.from([data.length]), data]), block);
    case 5:
      if (!stream && (data.length % block !== 0 || data.length === 0)) throw new HostError('15', `with padding mode 05 (none) the data must be a whole number of ${block}-byte blocks`);
      return Buffer.from(data);
  }
}

/** Removes a removable padding after decryption; a malformed one → 70. */
export function unpad(mode: PadMode, data: Buffer, block: number): Buffer {
  if (!removable(mode)) return data;
  const bad = (): HostError => new HostError('70', 'the decrypted data does not end in valid padding: wrong key, IV or padding mode, or altered data');
  if (data.length === 0 || data.length % block !== 0) throw bad();
  if (mode === 16) {
    const n = data[0];
    if (n + 1 > data.length) throw bad();
    const tail = data.subarray(n + 1);
    if (tail.length >= block) throw bad();
    if (tail.length > 0 && (tail[0] !== 0x80 || !tail.subarray(1).every((b) => b === 0))) throw bad();
    return data.subarray(1, n + 1);
  }
  if (mode === 1) {
    let i = data.length - 1;
    while (i >= data.length - block && data[i] === 0) i--;
    if (i < data.length - block || data[i] !== 0x80) throw bad();
    return data.subarray(0, i);
  }
  const n = data[data.length - 1];
  if (n < 1 || n > block) throw bad();
  if (mode === 4 && !data.subarray(data.length - n).every((b) => b === n)) throw bad();
  if (mode === 3 && !data.subarray(data.length - n, data.length - 1).every((b) => b === 0)) throw bad();
  return data.subarray(0, data.length - n);
}
