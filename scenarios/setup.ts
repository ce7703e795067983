/**
 * Shared set-up for the key-sync scenarios (not a spec): two initialized devices with their own
 * DMKs and auth sets, and a known mix of internal keys on A (SM4 and 3DES, every key type).
 */
import type { ConnectedDevice } from '../harness/devices/connect.ts';
import type { Procedures, InitResult } from '../harness/procedures/perform.ts';

export type KeySpec = [index: number, type: 'ZMK' | 'ZPK' | 'ZAK' | 'ZEK', scheme: 'P' | 'U' | 'T'];

export const KEY_MIX: KeySpec[] = [
  [1, 'ZMK', 'P'],
  [2, 'ZPK', 'P'],
  [3, 'ZAK', 'P'],
  [4, 'ZEK', 'P'],
  [5, 'ZAK', 'U'],
  [6, 'ZEK', 'T'],
  [9, 'ZPK', 'U'],
  [12, 'ZMK', 'U'],
];

export async function storeKeys(device: ConnectedDevice, keys: KeySpec[]): Promise<void> {
  for (const [index, type, scheme] of keys) await device.client.storeKey(index, type, scheme);
}

/** A and B each original-initialized (2 components, 2-of-3 auth); A holds `keys`. */
export async function twoDevices(evsmA: ConnectedDevice, evsmB: ConnectedDevice, procedures: Procedures, keys: KeySpec[] = KEY_MIX): Promise<{ a: InitResult; b: InitResult }> {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const b = await procedures.originalInit(evsmB, { components: 2, threshold: 2, authTokens: 3 });
  await storeKeys(evsmA, keys);
  return { a, b };
}
