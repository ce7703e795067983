/**
 * The persisted device state (docs/emulator.md, "State file"). One JSON file, replaced
 * atomically as a whole; the in-memory copy is immutable and swapped after each write.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hex, randomBytes, sm2GenerateKeyPair } from '../../../crypto/index.ts';
import { writeFileAtomicSync } from './persist.ts';
import type { KeyScheme, KeyTypeCode } from './keytypes.ts';

export const STATE_FORMAT = 1;
export const STATE_FILE = 'state.json';

export interface StoredKey {
  index: number;
  type: KeyTypeCode;
  scheme: KeyScheme;
  /** the key under this device's LMK (a key field, docs/host-protocol.md 2.3) */
  lmkKey: string;
  /** 16H */
  kcv: string;
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
  /** internal keys, sorted by index */
  keys: StoredKey[];
  /** increases with every write; lets tests tell old state from new */
  revision: number;
}

export class StateFileError extends Error {}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

/** Reads the state of DIR, or makes a factory state (new device id and key) and writes it. */
export function loadOrCreateState(dir: string): DeviceState {
  mkdirSync(dir, { recursive: true });
  const path = statePath(dir);
  if (existsSync(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new StateFileError(`${path} is not valid JSON (${(e as Error).message}); restore it from a copy or move it away to start as a factory device`);
    }
    const s = parsed as DeviceState;
    if (s.format !== STATE_FORMAT || typeof s.deviceId !== 'string' || !Array.isArray(s.keys)) {
      throw new StateFileError(`${path} is not an evsm-lab state file of format ${STATE_FORMAT}`);
    }
    return s;
  }
  const pair = sm2GenerateKeyPair();
  const state: DeviceState = {
    format: STATE_FORMAT,
    deviceId: `EVSM${hex(randomBytes(6))}`,
    deviceKey: hex(pair.privateKey),
    dmk: null,
    auth: null,
    keys: [],
    revision: 0,
  };
  pair.privateKey.fill(0);
  saveState(dir, state);
  return state;
}

export function saveState(dir: string, state: DeviceState): void {
  writeFileAtomicSync(statePath(dir), Buffer.from(JSON.stringify(state, null, 1) + '\n', 'utf8'));
}
