/** The shapes of the persisted device state (state.ts reads and writes them; migrate.ts builds them). */
import type { KeyFlag, KeyTypeCode } from './keytypes.ts';

export interface StoredKey {
  index: number;
  type: KeyTypeCode;
  flag: KeyFlag;
  /** the key under this device's LMK: flag + hex (docs/host-protocol.md 2.3) */
  lmkKey: string;
  /** 16H */
  kcv: string;
  /** at most 16 characters */
  label: string;
  /** yyyymmddhhmmss, UTC */
  updateTime: string;
}

/** An SM2 key pair kept at an index (E7 with a store part). */
export interface StoredSm2Key {
  index: number;
  label: string;
  /** hex of 04 || X || Y */
  publicKey: string;
  /** hex of the private key under the SM2 LMK (docs/host-protocol.md 2.6) */
  privateKey: string;
  updateTime: string;
}

export interface AuthPolicy {
  m: number;
  /** hex of 65-byte SM2 public keys, in the order the policy was set */
  publicKeys: string[];
}

export interface DeviceState {
  format: number;
  deviceId: string;
  /** device SM2 private key (hex): components and shares are encrypted to its public key */
  deviceKey: string;
  /** DMK (hex), null on a factory device */
  dmk: string | null;
  auth: AuthPolicy | null;
  /** internal symmetric keys, sorted by index */
  keys: StoredKey[];
  /** internal SM2 key pairs, sorted by index */
  sm2Keys: StoredSm2Key[];
  /** increases with every write; lets tests tell old state from new */
  revision: number;
}
