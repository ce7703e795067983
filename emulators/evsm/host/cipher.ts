/** Block cipher by key scheme, so commands treat SM4 and 3DES keys alike. */
import { sm4CbcDecrypt, sm4CbcEncrypt, sm4EcbDecrypt, sm4EcbEncrypt, tdesCbcDecrypt, tdesCbcEncrypt, tdesEcbDecrypt, tdesEcbEncrypt } from '../../../crypto/index.ts';
import { algorithmOf, type KeyScheme } from '../device/keytypes.ts';

export function blockSize(scheme: KeyScheme): number {
  return algorithmOf(scheme) === 'SM4' ? 16 : 8;
}

export function ecb(scheme: KeyScheme, encrypt: boolean, key: Uint8Array, data: Uint8Array): Buffer {
  if (algorithmOf(scheme) === 'SM4') return encrypt ? sm4EcbEncrypt(key, data) : sm4EcbDecrypt(key, data);
  return encrypt ? tdesEcbEncrypt(key, data) : tdesEcbDecrypt(key, data);
}

export function cbc(scheme: KeyScheme, encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  if (algorithmOf(scheme) === 'SM4') return encrypt ? sm4CbcEncrypt(key, iv, data) : sm4CbcDecrypt(key, iv, data);
  return encrypt ? tdesCbcEncrypt(key, iv, data) : tdesCbcDecrypt(key, iv, data);
}
