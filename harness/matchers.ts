/**
 * Custom matchers. They prove key identity two ways: the KCV the device reports, and what the
 * key does (same MAC / same ciphertext for the same input on every device), because a device
 * could report a copied KCV for a key it does not hold. Where a clear key is known, the KCV is
 * also checked against the independent implementation (sm-crypto). Every KCV read is recorded
 * as evidence on the first device's evidence collector.
 */
import { expect as base } from '@playwright/test';
import { refSm4EcbEncrypt } from '../crypto/reference.ts';
import { kcv as kcvOf, type KeyAlgorithm } from '../crypto/index.ts';
import type { LabDevice, KeyInfo } from './devices/types.ts';

/** The independent reference KCV of a clear key: sm-crypto for SM4, the crypto core for 3DES. */
export function referenceKcv(algorithm: string, clearKey: Uint8Array): string {
  if (algorithm === 'SM4') return refSm4EcbEncrypt(clearKey, Buffer.alloc(16)).subarray(0, 8).toString('hex').toUpperCase();
  return kcvOf(algorithm as KeyAlgorithm, clearKey);
}

export interface IdenticalKeysOptions {
  /** Clear keys known to the scenario, by index: the KCVs must also equal the reference. */
  reference?: Record<number, { algorithm: string; clearKey: Uint8Array }>;
  /** Compare behaviour too (default true). */
  behaviour?: boolean;
}

interface Mismatch {
  index: number;
  problem: string;
}

async function compareKeys(devices: LabDevice[], indices: number[] | 'all', options: IdenticalKeysOptions): Promise<{ mismatches: Mismatch[]; checked: number[] }> {
  const ev = devices[0].evidence;
  const list = indices === 'all' ? (await devices[0].listKeys()).map((k) => k.index) : indices;
  const mismatches: Mismatch[] = [];
  // Devices are read in parallel, indices in sequence: bounded load on a 2-core machine.
  for (const index of list) {
    const infos: Array<KeyInfo | undefined> = await Promise.all(devices.map((d) => d.keyAt(index)));
    const ref = options.reference?.[index];
    const refKcv = ref ? referenceKcv(ref.algorithm, ref.clearKey) : undefined;
    infos.forEach((k, i) => ev.kcv({ device: devices[i].name, index, type: k?.type, algorithm: k?.algorithm, kcv: k?.kcv ?? null, ...(refKcv ? { reference: refKcv } : {}) }));
    const missing = infos.map((k, i) => (k ? undefined : devices[i].name)).filter(Boolean);
    if (missing.length) {
      mismatches.push({ index, problem: `no key on ${missing.join(', ')}` });
      continue;
    }
    const kcvs = infos.map((k) => k!.kcv);
    if (new Set(kcvs).size > 1) mismatches.push({ index, problem: `KCVs differ: ${devices.map((d, i) => `${d.name}=${kcvs[i]}`).join(' ')}` });
    const types = infos.map((k) => `${k!.type}/${k!.algorithm}`);
    if (new Set(types).size > 1) mismatches.push({ index, problem: `types differ: ${devices.map((d, i) => `${d.name}=${types[i]}`).join(' ')}` });
    if (refKcv && kcvs.some((k) => k !== refKcv)) mismatches.push({ index, problem: `KCV is not the reference ${refKcv} (sm-crypto): ${devices.map((d, i) => `${d.name}=${kcvs[i]}`).join(' ')}` });
    if (options.behaviour !== false) {
      const outs = await Promise.all(devices.map((d) => d.behaviour(index)));
      if (new Set(outs.map((o) => `${o.operation}:${o.output}`)).size > 1) {
        mismatches.push({ index, problem: `behaviour differs (${outs[0].operation}): ${devices.map((d, i) => `${d.name}=${outs[i].output.slice(0, 16)}…`).join(' ')}` });
      }
    }
  }
  return { mismatches, checked: list };
}

export const expect = base.extend({
  /** `expect([A, B]).toHaveIdenticalKeys([1, 2, 3])` or `('all')`: same KCV, type and behaviour everywhere. */
  async toHaveIdenticalKeys(devices: LabDevice[], indices: number[] | 'all', options: IdenticalKeysOptions = {}) {
    const name = 'toHaveIdenticalKeys';
    const { mismatches, checked } = await compareKeys(devices, indices, options);
    const who = devices.map((d) => d.name).join(', ');
    const empty = checked.length === 0;
    const pass = !empty && mismatches.length === 0;
    return {
      name,
      pass,
      message: () =>
        pass
          ? `${this.utils.matcherHint(name, undefined, undefined, { isNot: this.isNot })}\n\nDevices ${who} hold identical keys at ${checked.length} indices`
          : `${this.utils.matcherHint(name, undefined, undefined, { isNot: this.isNot })}\n\n` +
            (empty ? `No keys to compare on ${devices[0].name}` : `Devices ${who} differ at ${mismatches.length} of ${checked.length} checks:\n` + mismatches.slice(0, 20).map((m) => `  index ${m.index}: ${m.problem}`).join('\n')),
    };
  },

  /** `expect([A, B, C]).toShareDmk()`: every device reports the same DMK check value. */
  async toShareDmk(devices: LabDevice[]) {
    const name = 'toShareDmk';
    const kcvs = await Promise.all(devices.map((d) => d.dmkKcv()));
    devices.forEach((d, i) => devices[0].evidence.dmkKcvs.push({ device: d.name, kcv: kcvs[i] ?? '(no DMK)', when: 'compare' }));
    const pass = kcvs.every((k) => k !== undefined) && new Set(kcvs).size === 1;
    const table = devices.map((d, i) => `${d.name}=${kcvs[i] ?? '(no DMK)'}`).join(' ');
    return {
      name,
      pass,
      message: () => `${this.utils.matcherHint(name, undefined, undefined, { isNot: this.isNot })}\n\nDMK check values: ${table}${pass ? ' (all equal)' : ' — MISMATCH: the devices do not hold the same DMK'}`,
    };
  },

  /** `expect(B).toHaveKeysAt([1, 4])`: exactly these indices hold keys, nothing else. */
  async toHaveExactlyKeysAt(device: LabDevice, indices: number[]) {
    const name = 'toHaveExactlyKeysAt';
    const got = (await device.listKeys()).map((k) => k.index).sort((a, b) => a - b);
    const want = [...indices].sort((a, b) => a - b);
    const pass = got.length === want.length && got.every((x, i) => x === want[i]);
    return {
      name,
      pass,
      message: () => `${this.utils.matcherHint(name, undefined, undefined, { isNot: this.isNot })}\n\n${device.name} holds keys at [${got.join(', ')}], expected exactly [${want.join(', ')}]`,
    };
  },
});
