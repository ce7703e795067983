/**
 * What a key *does*, with commands a real SJJ1310 has, on every target: MAC keys compute a MAC
 * (S0, the SDK's generalCalMAC), data keys encrypt (S3, generalDataEnc), every other key type
 * (ZMK, ZPK, …) is exported under a probe ZMK (A8). The input is fixed public test data, so the
 * same key gives the same output on every device and a different key a different one.
 *
 * The probe ZMK is chosen by the matcher (harness/matchers.ts), because it must be one key all
 * compared devices can use:
 *  - devices with one DMK (same LMK check value): a ZMK generated once with A0 on the first device;
 *    its cryptogram under the LMK is valid on every device with the same DMK (external storage);
 *  - devices with different DMKs (internal keys moved by backup and restore): a ZMK stored at the
 *    same index on every device with the same check value (already compared);
 *  - neither: the export is not checked, and the behaviour says so.
 */
import { EvsmCommandError } from '../../drivers/evsm/index.ts';
import { blockSizeOf, isKeyFlag, KEY_FLAG_ALGORITHMS, KEY_FLAG_LENGTHS, keyTypeCode, keyTypeName, type KeyFlag } from '../../drivers/evsm/commands/key-types.ts';
import type { EvsmClient } from '../../drivers/evsm/index.ts';
import type { Behaviour, KeyInfo, ProbeZmk } from './types.ts';
import { encryptS3, macS0, PAD_NONE } from './key-use.ts';

/** Fixed public test data (not a secret: the same on every run). 32 bytes: whole blocks of 8 and 16. */
export const PROBE_DATA = Buffer.from('evsm-lab behaviour probe block!!', 'latin1');

/** Key types whose natural operation is a MAC (S0) or encryption (S3) — what the emulator and the SDK accept there. */
const MAC_TYPES = new Set(['008', '003']);
const DATA_TYPES = new Set(['00A', '00B', '007']);

export type Operation = 'mac' | 'encrypt' | 'export';

export function operationOf(type: string): Operation {
  const code = keyTypeCode(type);
  if (MAC_TYPES.has(code)) return 'mac';
  if (DATA_TYPES.has(code)) return 'encrypt';
  return 'export';
}

/** The flag of the probe ZMK for a key of `flag`: same family where the ECB fits, 3DES otherwise. */
export function probeZmkFlag(flag: string): 'P' | 'X' | 'R' {
  if (flag === 'P') return 'P';
  if (flag === 'R' || flag === 'N') return 'R';
  return 'X';
}

/** Whether a ZMK of `zmkFlag` can wrap a key of `keyFlag` in ECB (the key is whole cipher blocks). */
export function canWrap(zmkFlag: string, keyFlag: string): boolean {
  if (!isKeyFlag(zmkFlag) || !isKeyFlag(keyFlag) || zmkFlag === 'L' || keyFlag === 'L') return false;
  return KEY_FLAG_LENGTHS[keyFlag] % blockSizeOf(zmkFlag) === 0;
}

/** A8's flag field: the SDK's exportWorkKey takes Z X Y P R L (U, T are X, Y there; M, N are AES). */
export function exportFlag(flag: string): string {
  return ({ U: 'X', T: 'Y', M: 'R', N: 'R' } as Record<string, string>)[flag] ?? flag;
}

export function algorithmOf(flag: string): string {
  return isKeyFlag(flag) ? KEY_FLAG_ALGORITHMS[flag] : flag;
}

export function typeName(t: string): string {
  return keyTypeName(t);
}

/** `refused 10` for a device error code, so a comparison reports it instead of stopping. */
async function orRefusal(fn: () => Promise<string>): Promise<string> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EvsmCommandError) return `refused ${e.errorCode}`;
    throw e;
  }
}

export interface BehaviourRun {
  operation: Operation;
  /** The command, for the transcript and the verification facts. */
  command: string;
  run(): Promise<Behaviour>;
}

/** The behaviour check of the key at `ref` (`K0001`), with the commands a real SJJ1310 has. */
export function behaviourOf(client: EvsmClient, ref: string, key: KeyInfo, zmk: ProbeZmk | undefined): BehaviourRun {
  const code = keyTypeCode(key.type);
  const op = operationOf(code);
  const k = { keyType: code, key: ref, flag: key.flag };
  // [command, what the output is, the call]; MAC: algorithm 1, 8 bytes, pad 05 (none: whole blocks).
  const checks: Record<'mac' | 'encrypt', [string, string, () => Promise<string>]> = {
    mac: ['S0 MAC (generalCalMAC)', 'MAC (S0, ISO 9797-1 alg. 1, 8 bytes) of the probe block', () => macS0(client, k, PROBE_DATA, PAD_NONE)],
    encrypt: ['S3 encrypt (generalDataEnc)', 'encrypt (S3, ECB, no padding) of the probe block', () => encryptS3(client, k, PROBE_DATA)],
  };
  if (op !== 'export') {
    const [command, operation, call] = checks[op];
    return { operation: op, command, run: async () => ({ operation, output: await orRefusal(call) }) };
  }
  return {
    operation: op,
    command: 'A8 export under a probe ZMK',
    run: async () => {
      if (!zmk) return { operation: 'export (A8): not checked, no ZMK the devices share', output: 'not checked' };
      return {
        operation: `export (A8) under ${zmk.what}`,
        output: await orRefusal(async () => (await client.exportKey(code, zmk.ref, ref, exportFlag(zmk.flag) as KeyFlag)).keyUnderZmk),
      };
    },
  };
}
