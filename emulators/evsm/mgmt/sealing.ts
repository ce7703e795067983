/** SM2 encryption of secrets to and from the device (docs/management-protocol.md 4). */
import { sm2Decrypt, sm2Encrypt, wipe, hex } from '../../../crypto/index.ts';
import { MgmtError } from '../errors.ts';
import type { Device } from '../device/device.ts';

export function sealTo(publicKey: Uint8Array, secret: Uint8Array): string {
  try {
    return hex(sm2Encrypt(publicKey, secret));
  } catch (e) {
    throw new MgmtError('BAD_PUBLIC_KEY', `recipient public key refused (${(e as Error).message}); give the 65-byte SM2 public key 04||X||Y of the token that will hold this item`);
  }
}

/** Decrypts a blob sealed to the device key; the caller wipes the result. */
export function openSealed(device: Device, sealed: Uint8Array, what: string): Buffer {
  const priv = device.privateKey();
  try {
    return sm2Decrypt(priv, sealed);
  } catch {
    throw new MgmtError('BAD_CIPHERTEXT', `${what} does not decrypt under this device's key: encrypt it to getInfo().devicePublicKey of THIS device, unaltered`);
  } finally {
    wipe(priv);
  }
}
