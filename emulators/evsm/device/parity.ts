/** DES odd parity: the device gives its 3DES keys odd parity and checks it after decryption. */
export function hasOddParity(key: Uint8Array): boolean {
  for (const b of key) if (bitCount(b) % 2 === 0) return false;
  return true;
}

/** Sets the low bit of each byte so that it has odd parity (in place). */
export function setOddParity(key: Uint8Array): void {
  for (let i = 0; i < key.length; i++) {
    const high = key[i] & 0xfe;
    key[i] = bitCount(high) % 2 === 0 ? high | 1 : high;
  }
}

function bitCount(b: number): number {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
}
