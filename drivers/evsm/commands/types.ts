/** Values the typed calls of EvsmClient take and return (docs/client.md). */
import { EvsmParameterError } from '../errors.ts';
import type { KeyFlag, KeyTypeName } from './key-types.ts';

export { KEY_TYPE_CODES, keyTypeCode, keyTypeName, type KeyType, type KeyTypeName, type KeyTypeCode, type KeyFlag } from './key-types.ts';
export { ERROR_MEANINGS } from './error-codes.ts';
export type { DeviceStatus } from './device.ts';
export type { MacOptions } from './mac.ts';
export type { DataCipherOptions, DataCipherResult } from './data.ts';

/**
 * Key algorithm flag of a key under the LMK (brief decision 3): Z DES, X/U 3DES double, Y/T 3DES
 * triple, P SM4, R/M/N AES-128/192/256, L SM1.
 */
export type LmkScheme = KeyFlag;
/** Flag of a key under a ZMK (exportWorkKey: Z X Y P R L). */
export type ZmkScheme = KeyFlag;

/**
 * A key as commands take it: a cryptogram under the LMK (flag + hex, `X39B8…`), or a reference
 * to an internal key, `K0001`…`K2048` (use `keyAt(index)`).
 */
export type KeyRef = string;

export interface GeneratedKey {
  /** Key under the LMK (external storage): keep it, hand it back to any device with the same DMK. */
  keyUnderLmk: string;
  /** Mode 1 only: the same key under the ZMK given, for the partner. */
  keyUnderZmk?: string;
  /** Check value, 16H. */
  kcv: string;
}

export interface Diagnostics {
  /** Check value of the LMK; all zeros on a factory device. */
  lmkCheckValue: string;
  firmware: string;
  /** What the SDK's getDeviceSerial returns for this device (the last 12 characters of NC's answer). */
  serial: string;
}

export interface StoredKeyInfo {
  index: number;
  /** Name for a known code (`00A` → `ZEK`), else the 3-hex-digit code. */
  keyType: KeyTypeName | string;
  /** Key algorithm flag. */
  scheme: LmkScheme | string;
  /** 16H check value. */
  kcv: string;
  /** KG only (X4 carries none): the label stored with the key, and its update time. */
  label?: string;
  updateTime?: string | null;
}

export interface PinTranslation {
  pinLength: number;
  /** Destination PIN block, hex. */
  pinBlock: string;
  format: string;
}

/** `keyAt(1)` → `K0001`: the key stored in the device at that index (1-2048). */
export function keyAt(index: number): KeyRef {
  if (!Number.isInteger(index) || index < 1 || index > 2048) throw new EvsmParameterError(`key index ${index} is not 1-2048`);
  return `K${String(index).padStart(4, '0')}`;
}
