/**
 * Custom matchers. They prove key identity two ways: the KCV the device reports, and what the
 * key does (same MAC / same ciphertext for the same input on every device), because a device
 * could report a copied KCV for a key it does not hold. Where a clear key is known, the KCV is
 * also checked against the independent implementation (sm-crypto). Every KCV read is recorded
 * as evidence on the first device's evidence collector.
 */
import { expect as base } from '@playwright/test';
import { refSm4EcbEncrypt } from '../crypto/reference.ts';
import { hex, kcv as kcvOf, sm3 } from '../crypto/index.ts';
import { keyAt } from '../drivers/evsm/index.ts';
import { keyTypeCode } from '../drivers/evsm/commands/key-types.ts';
import { canWrap, operationOf, probeZmkFlag } from './devices/behaviour.ts';
import type { LabDevice, KeyInfo, ProbeZmk } from './devices/types.ts';

/**
 * The independent reference KCV of a clear key: sm-crypto for SM4, the crypto core for 3DES
 * (`3DES`, `3DES-2`, `3DES-3`: the key's length decides). 16 hex digits, as every device answer.
 */
export function referenceKcv(algorithm: string, clearKey: Uint8Array): string {
  if (algorithm === 'SM4') return refSm4EcbEncrypt(clearKey, Buffer.alloc(16)).subarray(0, 8).toString('hex').toUpperCase();
  if (algorithm.startsWith('3DES')) return kcvOf('3DES', clearKey);
  throw new RangeError(`no reference KCV for ${algorithm} (SM4 and 3DES only)`);
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

/** Per index: what each device reported (KG), in the devices' order. */
type Reported = Map<number, Array<KeyInfo | undefined>>;

/**
 * Picks, once per comparison, the ZMK each export check runs under (harness/devices/behaviour.ts):
 * devices with one DMK share an A0 probe ZMK made on the first device; devices with different
 * DMKs use a ZMK stored at the same index on all of them with the same check value.
 */
function probeZmks(devices: LabDevice[], reported: Reported, matched: number[]): (key: KeyInfo) => Promise<ProbeZmk | undefined> {
  let sameDmk: Promise<boolean> | undefined;
  const made = new Map<string, Promise<ProbeZmk>>();
  const sharedZmks = matched.map((i) => reported.get(i)![0]!).filter((k) => operationOf(k.type) === 'export' && keyTypeCode(k.type) === '000');
  return async (key) => {
    sameDmk ??= Promise.all(devices.map((d) => d.lmkKcv())).then((v) => v[0] !== undefined && v.every((x) => x === v[0]));
    if (await sameDmk) {
      const flag = probeZmkFlag(key.flag);
      let z = made.get(flag);
      if (!z) made.set(flag, (z = devices[0].probeZmk(flag)));
      return z;
    }
    const shared = sharedZmks.find((z) => canWrap(z.flag, key.flag));
    return shared && { ref: keyAt(shared.index), flag: shared.flag, what: `the ZMK at index ${shared.index} (same check value on every device)` };
  };
}

async function compareKeys(devices: LabDevice[], indices: number[] | 'all', options: IdenticalKeysOptions): Promise<{ mismatches: Mismatch[]; checked: number[] }> {
  const ev = devices[0].evidence;
  const list = indices === 'all' ? (await devices[0].listKeys()).map((k) => k.index) : indices;
  const mismatches: Mismatch[] = [];
  const reported: Reported = new Map();
  const matched: number[] = [];
  // First what every device reports (KG): devices in parallel, indices in sequence (bounded load on 2 cores).
  for (const index of list) {
    const infos: Array<KeyInfo | undefined> = await Promise.all(devices.map((d) => d.keyAt(index)));
    reported.set(index, infos);
    const ref = options.reference?.[index];
    const refKcv = ref ? referenceKcv(ref.algorithm, ref.clearKey) : undefined;
    infos.forEach((k, i) => ev.kcv({ device: devices[i].name, index, type: k?.type, algorithm: k?.algorithm, kcv: k?.kcv ?? null, ...(refKcv ? { reference: refKcv } : {}) }));
    const missing = infos.map((k, i) => (k ? undefined : devices[i].name)).filter(Boolean);
    if (missing.length) {
      mismatches.push({ index, problem: `no key on ${missing.join(', ')}` });
      continue;
    }
    const before = mismatches.length;
    const kcvs = infos.map((k) => k!.kcv);
    if (new Set(kcvs).size > 1) mismatches.push({ index, problem: `KCVs differ: ${devices.map((d, i) => `${d.name}=${kcvs[i]}`).join(' ')}` });
    const types = infos.map((k) => `${k!.type}/${k!.algorithm}`);
    if (new Set(types).size > 1) mismatches.push({ index, problem: `types differ: ${devices.map((d, i) => `${d.name}=${types[i]}`).join(' ')}` });
    if (refKcv && kcvs.some((k) => k !== refKcv)) mismatches.push({ index, problem: `KCV is not the reference ${refKcv} (sm-crypto): ${devices.map((d, i) => `${d.name}=${kcvs[i]}`).join(' ')}` });
    if (mismatches.length === before) matched.push(index);
  }
  // Then what each key does, for the keys every device reports alike.
  if (options.behaviour !== false) {
    const zmkFor = probeZmks(devices, reported, matched);
    const unchecked: number[] = [];
    for (const index of matched) {
      const infos = reported.get(index)!;
      const exported = operationOf(infos[0]!.type) === 'export';
      const zmk = exported ? await zmkFor(infos[0]!) : undefined;
      if (exported && !zmk) unchecked.push(index);
      const outs = await Promise.all(devices.map((d, i) => d.behaviour(index, { key: infos[i], zmk })));
      if (new Set(outs.map((o) => `${o.operation}:${o.output}`)).size > 1) {
        // An export's output is a key under the probe ZMK: shown as a fingerprint, not as the cryptogram.
        const shown = (o: string) => (exported && !o.startsWith('refused') ? `sm3:${hex(sm3(Buffer.from(o))).slice(0, 8)}` : `${o.slice(0, 16)}…`);
        mismatches.push({ index, problem: `behaviour differs (${outs[0].operation}): ${devices.map((d, i) => `${d.name}=${shown(outs[i].output)}`).join(' ')}` });
      }
    }
    if (unchecked.length) ev.fact(`key use not checked (no ZMK shared by ${devices.map((d) => d.name).join(', ')})`, unchecked);
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

  /**
   * `expect([A, B, C]).toShareDmk()`: every device holds the same DMK. Proved on every target by
   * NC's LMK check value (the LMKs derive from the DMK); where the DMK check value is readable
   * (X8 on emulator targets, the management port on a bench) it must agree too, and the message
   * lists both. `read` gives DMK check values read elsewhere (`procedures.dmkKcvs`: VsmManager's
   * screen on the operator path): used where the device view has none, and where it has one they
   * must agree.
   */
  async toShareDmk(devices: LabDevice[], read: Readonly<Record<string, string>> = {}) {
    const name = 'toShareDmk';
    const [own, lmk] = await Promise.all([Promise.all(devices.map((d) => d.dmkKcv())), Promise.all(devices.map((d) => d.lmkKcv()))]);
    const given = devices.map((d) => read[d.name]);
    // A device view and a value read elsewhere that differ: shown as both, and no match.
    const disagree = own.some((k, i) => k !== undefined && given[i] !== undefined && given[i] !== k);
    const dmk = own.map((k, i) => (k !== undefined && given[i] !== undefined && given[i] !== k ? `${k} (read: ${given[i]})` : (k ?? given[i])));
    const ev = devices[0].evidence;
    devices.forEach((d, i) => {
      if (dmk[i] !== undefined || d.verification === 'emulator') ev.dmkKcvs.push({ device: d.name, kcv: dmk[i] ?? '(no DMK)', when: 'compare' });
      ev.dmkKcvs.push({ device: d.name, kcv: lmk[i] ?? '(no DMK)', when: 'compare (NC LMK check value)' });
    });
    const allEqual = (v: Array<string | undefined>) => v.every((k) => k !== undefined) && new Set(v).size === 1;
    const dmkRead = dmk.some((k) => k !== undefined) || devices.some((d) => d.verification === 'emulator');
    const pass = !disagree && allEqual(lmk) && (!dmkRead || allEqual(dmk));
    const table = (v: Array<string | undefined>) => devices.map((d, i) => `${d.name}=${v[i] ?? '(no DMK)'}`).join(' ');
    const shown = [...(dmkRead ? [`DMK check values: ${table(dmk)}`] : []), `LMK check values (NC): ${table(lmk)}`].join('; ');
    return {
      name,
      pass,
      message: () => `${this.utils.matcherHint(name, undefined, undefined, { isNot: this.isNot })}\n\n${shown}${pass ? ' (all equal)' : ' — MISMATCH: the devices do not hold the same DMK'}`,
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
