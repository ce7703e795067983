/**
 * State file format 1 → format 2. Format 1 kept payShield-style key schemes (U/T 3DES, P SM4
 * with a check field) under v1 LMKs and indices 1-9999. Each internal key is opened under its
 * v1 LMK and wrapped again under the v2 LMK of its type; DMK, authorization policy and device
 * key are kept. An entry that format 2 cannot hold (index over 2048, an SM4 key without odd
 * parity, a cryptogram that does not open) refuses the whole file with one line saying what to
 * do: nothing is written then.
 */
import { constantTimeEqual, fromHex, hasOddParity, hmacSm3, kcv, sm4EcbDecrypt, tdesEcbDecrypt, wipe } from '../../../crypto/index.ts';
import { LmkSet } from './lmk.ts';
import { type KeyFlag, type KeyTypeCode, isKeyType } from './keytypes.ts';
import type { DeviceState, StoredKey } from './state-types.ts';

export interface Format1Key {
  index: number;
  type: string;
  scheme: string;
  lmkKey: string;
  kcv: string;
}

export interface Format1State extends Omit<DeviceState, 'keys' | 'sm2Keys'> {
  keys: Format1Key[];
}

/** Format 2 indices. */
const MAX_INDEX = 2048;
const FLAG_OF: Record<string, KeyFlag> = { U: 'X', T: 'Y', P: 'P' };

class MigrationRefused extends Error {}

/** Opens a format-1 key field (v1 derivation: HMAC-SM3(DMK, "evsm-lab/lmk/v1/<type>/<alg>")). */
function openV1(dmk: Buffer, k: Format1Key): Buffer {
  const alg = k.scheme === 'P' ? 'SM4' : '3DES';
  const m = hmacSm3(dmk, Buffer.from(`evsm-lab/lmk/v1/${k.type}/${alg}`, 'ascii'));
  try {
    if (alg === 'SM4') {
      const c = fromHex(k.lmkKey.slice(1, 33));
      const check = hmacSm3(m.subarray(16, 32), Buffer.from('P'), c).subarray(0, 4);
      if (k.lmkKey.length !== 41 || !constantTimeEqual(check, fromHex(k.lmkKey.slice(33, 41)))) throw new MigrationRefused('its cryptogram fails its check');
      return sm4EcbDecrypt(m.subarray(0, 16), c);
    }
    const key = tdesEcbDecrypt(m.subarray(0, 24), fromHex(k.lmkKey.slice(1)));
    if (key.length !== (k.scheme === 'T' ? 24 : 16) || !hasOddParity(key)) throw new MigrationRefused('its cryptogram fails its parity check');
    return key;
  } finally {
    wipe(m);
  }
}

function idx(i: number): string {
  return String(i).padStart(4, '0');
}

/** Returns the format-2 state, or throws a StateFileError-like Error with one line of advice. */
export function migrateFormat1(old: Format1State, path: string, now: string): DeviceState {
  const refuse = (k: Format1Key, why: string, todo: string): Error =>
    new Error(`${path} (state format 1): key at index ${idx(k.index)} cannot be migrated to format 2 (${why}); ${todo}, or move ${path} away to start as a factory device`);
  const keys: StoredKey[] = [];
  if (old.keys.length > 0) {
    if (!old.dmk) throw new Error(`${path} (state format 1) holds keys but no DMK: the file is damaged; restore it from a copy or move it away to start as a factory device`);
    const dmk = fromHex(old.dmk);
    const lmks = new LmkSet(Buffer.from(dmk));
    try {
      for (const k of old.keys) {
        const flag = FLAG_OF[k.scheme];
        if (!isKeyType(k.type) || !flag) throw refuse(k, `unknown type ${k.type} or scheme ${k.scheme}`, 'restore the file from a copy');
        if (k.index < 1 || k.index > MAX_INDEX) throw refuse(k, 'format 2 keeps indices 1-2048', 'delete it with the previous emulator version (X6) after exporting it under a ZMK (A8)');
        let key: Buffer;
        try {
          key = openV1(dmk, k);
        } catch (e) {
          throw refuse(k, (e as Error).message, 'restore the file from a copy');
        }
        try {
          if (!hasOddParity(key)) {
            throw refuse(k, 'it is an SM4 key without odd parity, and format 2 requires odd parity on every key', 'delete it with the previous emulator version (X6) and generate a new key');
          }
          const type: KeyTypeCode = k.type;
          const check = kcv(flag === 'P' ? 'SM4' : '3DES', key);
          keys.push({ index: k.index, type, flag, lmkKey: lmks.wrap(type, flag, key), kcv: check, label: '', updateTime: now });
        } finally {
          wipe(key);
        }
      }
    } finally {
      lmks.wipe();
      wipe(dmk);
    }
  }
  return { format: 2, deviceId: old.deviceId, deviceKey: old.deviceKey, dmk: old.dmk, auth: old.auth, keys, sm2Keys: [], revision: old.revision + 1 };
}
