/**
 * Key use with the SJJ1310's own commands, shaped as an application calls them (client.sdk, the
 * vendor SDK's calls): S0 MAC, S3 encryption, A8 export (whose answer carries the key's check
 * value). The behaviour checks and the scenarios use these on every target, so nothing here
 * depends on a payShield-style command or an emulator extension.
 */
import type { EvsmClient } from '../../drivers/evsm/index.ts';
import { blockSizeOf, isKeyFlag, type KeyFlag } from '../../drivers/evsm/commands/key-types.ts';

/** ISO/IEC 9797-1 padding method 2 (80 00…): any data length (docs/host-protocol.md, padding modes). */
export const PAD_ISO2 = 1;
/** No padding: whole blocks only. */
export const PAD_NONE = 5;

/** A key as these calls take it: a cryptogram under the LMK (flag first), or `Kdddd` with its flag. */
export interface UsableKey {
  keyType: string;
  key: string;
  /** Needed for an index; a cryptogram's flag is its first character. */
  flag?: string;
}

function flagOf(k: UsableKey): string {
  const flag = k.flag ?? k.key[0];
  if (!isKeyFlag(flag)) throw new RangeError(`key ${k.key.startsWith('K') ? k.key : 'cryptogram'}: give its algorithm flag (Z X U Y T P R M N)`);
  return flag;
}

/** Hex zeros of one cipher block of the key: the IV S0 and S3 (CBC) take. */
export function zeroIv(k: UsableKey): string {
  return '00'.repeat(blockSizeOf(flagOf(k) as KeyFlag));
}

/** S0 (generalCalMAC, algorithm 1 = CBC-MAC, value type 08 = 8 bytes): the MAC as 16 upper-case hex digits. */
export async function macS0(client: EvsmClient, k: UsableKey, data: Buffer, pad = PAD_ISO2): Promise<string> {
  const mac = await client.sdk.generalCalMAC(1, 8, k.keyType, k.key, null, 0, null, pad, data, zeroIv(k));
  return mac.toString('hex').toUpperCase();
}

/** S0 then a local comparison, as the SDK's generalVerifyMAC (constant time, in the client). */
export function verifyS0(client: EvsmClient, k: UsableKey, data: Buffer, mac: string, pad = PAD_ISO2): Promise<boolean> {
  return client.sdk.generalVerifyMAC(1, 8, k.keyType, k.key, null, 0, null, pad, data.toString('hex'), zeroIv(k), mac);
}

/** S3 (generalDataEnc), ECB: the ciphertext as upper-case hex. */
export async function encryptS3(client: EvsmClient, k: UsableKey, data: Buffer, pad = PAD_NONE): Promise<string> {
  return (await client.sdk.generalDataEnc(0, k.keyType, k.key, null, 0, null, pad, data, null)).toString('hex').toUpperCase();
}
