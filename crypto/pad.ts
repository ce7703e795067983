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
