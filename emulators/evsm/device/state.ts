/**
 * The persisted device state (docs/emulator.md, "State file"). One JSON file, replaced
 * atomically as a whole; the in-memory copy is immutable and swapped after each write.
 * Format 2 (this one): SJJ1310 key store (indices 1-2048, key flags, labels, update times, SM2
 * key pairs) under v2 LMKs. A format-1 file is migrated on load (device/migrate.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hex, randomBytes, sm2GenerateKeyPair } from '../../../crypto/index.ts';
import { writeFileAtomic, writeFileAtomicSync } from './persist.ts';
import { migrateFormat1 } from './migrate.ts';

export const STATE_FORMAT = 2;
export const STATE_FILE = 'state.json';
/** Where a migrated format-1 file is kept, untouched, next to the new one. */
export const FORMAT1_COPY = 'state.format1.json';

export type { AuthPolicy, DeviceState, StoredKey, StoredSm2Key } from './state-types.ts';
import type { DeviceState } from './state-types.ts';

export class StateFileError extends Error {}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

/** yyyymmddhhmmss in UTC. */
export function updateTimeOf(d = new Date()): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Reads the state of DIR (migrating format 1), or makes a factory state and writes it. */
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
    if (typeof s !== 'object' || s === null || typeof s.deviceId !== 'string' || !Array.isArray(s.keys)) {
      throw new StateFileError(`${path} is not an evsm-lab state file`);
    }
    if (s.format === 1) {
      let migrated: DeviceState;
      try {
        migrated = migrateFormat1(s as unknown as Parameters<typeof migrateFormat1>[0], path, updateTimeOf());
      } catch (e) {
        throw new StateFileError((e as Error).message);
      }
      // Keep the old file as it was: a refused or regretted migration can go back to it.
      copyFileSync(path, join(dir, FORMAT1_COPY));
      saveState(dir, migrated);
      return migrated;
    }
    if (s.format !== STATE_FORMAT || !Array.isArray(s.sm2Keys)) {
      throw new StateFileError(`${path} is an evsm-lab state file of format ${String(s.format)}, this emulator reads formats 1 and ${STATE_FORMAT}: use the emulator version that wrote it`);
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
    sm2Keys: [],
    revision: 0,
  };
  pair.privateKey.fill(0);
  saveState(dir, state);
  return state;
}

function encodeState(state: DeviceState): Buffer {
  return Buffer.from(JSON.stringify(state, null, 1) + '\n', 'utf8');
}

export function saveState(dir: string, state: DeviceState): void {
  writeFileAtomicSync(statePath(dir), encodeState(state));
}

/** saveState off the event loop (the running device's group commit). */
export function saveStateAsync(dir: string, state: DeviceState): Promise<void> {
  return writeFileAtomic(statePath(dir), encodeState(state));
}
