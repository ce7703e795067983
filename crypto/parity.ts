/**
 * DES-style odd parity: the emulator gives every symmetric key it creates odd parity on each byte
 * (all algorithms, a documented choice: docs/host-protocol.md 2.4) and checks it after
 * decryption, so a cryptogram opened under the wrong LMK or ZMK is refused rather than used.
 * The harness uses the same helpers to compute reference check values.
 */
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

/** A copy with odd parity (the input is left as it is). */
export function withOddParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  setOddParity(out);
  return out;
}

function bitCount(b: number): number {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
}
