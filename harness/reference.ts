/**
 * Independent checks on token contents: the DMK check value recomputed from component UKEYs
 * with sm-crypto (not the device, not OpenSSL), and a digest of a component to show two
 * components differ without revealing either. Clear material is wiped before returning.
 */
import { combineXor, hex, setOddParity, sm3, sm4EcbEncrypt, wipe, xorBytes } from '../crypto/index.ts';
import type { Token } from '../drivers/ukey/token.ts';
import { referenceKcv } from './matchers.ts';

/** KCV (sm-crypto) of the XOR of the components held by `tokens` (logged in). */
export async function referenceDmkKcv(tokens: readonly Token[]): Promise<string> {
  const parts = await Promise.all(tokens.map((t) => t.readDmkComponent()));
  const dmk = combineXor(parts);
  try {
    return referenceKcv('SM4', dmk);
  } finally {
    wipe(dmk, ...parts);
  }
}

/** SM3 fingerprint (first 8 bytes) of a component: equal components give equal fingerprints. */
export async function componentFingerprint(token: Token): Promise<string> {
  const c = await token.readDmkComponent();
  try {
    return hex(sm3(Buffer.concat([Buffer.from('evsm-lab/component-fingerprint|'), c]))).slice(0, 16);
  } finally {
    wipe(c);
  }
}

/**
 * An ISO 9564 format-0 PIN block encrypted under a clear SM4 ZPK the scenario knows (formed from
 * public test components), as a terminal would make it. SM4 has 16-byte blocks, so format 0 is
 * widened the UnionPay way (docs/host-protocol.md 2.9, CC): PIN field `0` + L + PIN + `F` fill to
 * 32 nibbles, XOR a PAN field of 20 zero nibbles + the 12 account digits. Upper-case hex. Test
 * PINs only; the clear block is wiped.
 */
export function sm4PinBlock(clearZpk: Uint8Array, pin: string, account12: string): string {
  if (!/^\d{4,12}$/.test(pin) || !/^\d{12}$/.test(account12)) throw new RangeError('a test PIN of 4-12 digits and a 12-digit account');
  const pinField = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(32, 'F'), 'hex');
  const panField = Buffer.from(account12.padStart(32, '0'), 'hex');
  const block = xorBytes(pinField, panField);
  try {
    return hex(sm4EcbEncrypt(clearZpk, block));
  } finally {
    wipe(block, pinField);
  }
}

/**
 * The clear key a device forms from public test components with XK (formKey): their XOR, then
 * odd parity on every byte, as the device does for every key it accepts (docs/host-protocol.md,
 * protocol decision 4). Without the parity step a reference KCV would not match whenever the
 * XOR happens to have an even-parity byte.
 */
export function clearFromComponents(components: readonly string[]): Buffer {
  const key = combineXor(components.map((c) => Buffer.from(c, 'hex')));
  setOddParity(key);
  return key;
}
