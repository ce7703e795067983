/** ISO/IEC 9797-1 padding method 2 (0x80 then zeros), the usual padding for financial MACs and data. */
export function padIso9797M2(data: Uint8Array, block: number): Buffer {
  const n = block - (data.length % block);
  const out = Buffer.alloc(data.length + n);
  Buffer.from(data).copy(out);
  out[data.length] = 0x80;
  return out;
}

export function unpadIso9797M2(data: Uint8Array): Buffer {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80) throw new RangeError('bad ISO 9797-1 method 2 padding');
  return Buffer.from(data.subarray(0, i));
}

/**
 * The block paddings numbered as the SJJ1310's padding codes (the vendor SDK's PaddingMode enum;
 * docs/host-protocol.md, padding modes): 0 `80 00…` only when the data is not whole blocks (PBOC 2.0
 * encryption padding), 1 `80 00…` always (ISO/IEC 9797-1 method 2), 2 `00…` only when not whole
 * blocks (ISO/IEC 9797-1 method 1), 3 `00…` then a count byte, always (ANSI X9.23), 4 PKCS#5/#7.
 * Empty data is never whole blocks. The emulator pads with it; so does our client where the SDK
 * pads locally (blocksEncrypt).
 */
export type BlockPadMode = 0 | 1 | 2 | 3 | 4;

export function padBlocks(mode: BlockPadMode, data: Uint8Array, block: number): Buffer {
  const rem = data.length % block;
  if ((mode === 0 || mode === 2) && rem === 0 && data.length > 0) return Buffer.from(data);
  const fill = block - rem;
  const out = Buffer.alloc(data.length + fill, mode === 4 ? fill : 0);
  out.set(data);
  if (mode === 0 || mode === 1) out[data.length] = 0x80;
  if (mode === 3 || mode === 4) out[out.length - 1] = fill;
  return out;
}
