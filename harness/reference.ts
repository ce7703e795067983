/**
 * Independent checks on token contents: the DMK check value recomputed from component UKEYs
 * with sm-crypto (not the device, not OpenSSL), and a digest of a component to show two
 * components differ without revealing either. Clear material is wiped before returning.
 */
import { combineXor, hex, sm3, sm4EcbEncrypt, wipe, xorBytes } from '../crypto/index.ts';
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
 * public test components), as a terminal would make it: 8-byte format-0 block, then 8 bytes FF
 * (docs/host-protocol.md, CC). Upper-case hex. Test PINs only.
 */
export function sm4PinBlock(clearZpk: Uint8Array, pin: string, account12: string): string {
  const pinField = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  const panField = Buffer.from(`0000${account12}`, 'hex');
  const block = Buffer.concat([xorBytes(pinField, panField), Buffer.alloc(8, 0xff)]);
  return hex(sm4EcbEncrypt(clearZpk, block));
}

/** XOR of public test components: the clear key a scenario forms on a device with XA. */
export function clearFromComponents(components: readonly string[]): Buffer {
  return combineXor(components.map((c) => Buffer.from(c, 'hex')));
}
