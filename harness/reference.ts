/**
 * Independent checks on token contents: the DMK check value recomputed from component UKEYs
 * with sm-crypto (not the device, not OpenSSL), and a digest of a component to show two
 * components differ without revealing either. Clear material is wiped before returning.
 */
import { combineXor, hex, sm3, wipe } from '../emulators/crypto/index.ts';
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
