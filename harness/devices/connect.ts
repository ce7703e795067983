/**
 * Builds the harness's device view from a bench slot: an EVSM client on that one host (the
 * application's own client, drivers/evsm) plus the slot's control. Every host command the
 * harness sends goes into the test's transcript (facts only: command, index, KCV, result).
 */
import { EvsmClient, EvsmCommandError } from '../../drivers/evsm/index.ts';
import { ManagerClient } from '../../drivers/evsm/manager/index.ts';
import type { KeyTypeName } from '../../drivers/evsm/commands/types.ts';
import type { Evidence } from '../evidence/evidence.ts';
import { errorText } from '../evidence/transcript.ts';
import type { DeviceSlot, TargetName } from '../targets/bench.ts';
import type { Behaviour, KeyInfo, LabDevice } from './types.ts';

/** Fixed public test data for behaviour checks (not secrets: the same on every run). */
const PROBE_DATA = Buffer.from('evsm-lab behaviour probe block!!', 'latin1'); // 32 bytes
/** Clear components of the probe ZMK each device forms for itself (public test values). */
const PROBE_ZMK_SM4 = ['0123456789ABCDEF0123456789ABCDEF', 'FEDCBA9876543210FEDCBA9876543210'];
const PROBE_ZMK_3DES = ['0123456789ABCDEF0123456789ABCDEF', '1032547698BADCFE1032547698BADCFE'];

const TYPE_NAMES: Record<string, KeyTypeName> = { '000': 'ZMK', '001': 'ZPK', '008': 'ZAK', '00A': 'ZEK' };

export function typeName(t: string): string {
  return TYPE_NAMES[t] ?? t;
}

export function algorithmOf(scheme: string): string {
  return scheme === 'P' ? 'SM4' : scheme === 'T' ? '3DES-3' : '3DES';
}

export interface ConnectedDevice extends LabDevice {
  /** The application client on this device alone (for scenarios that use keys directly). */
  readonly client: EvsmClient;
  readonly slot: DeviceSlot;
  /** The management connection (VsmManager's side); undefined on a bench device without one. */
  readonly management: ManagerClient | undefined;
  close(): Promise<void>;
}

export async function connectDevice(slot: DeviceSlot, target: TargetName, evidence: Evidence): Promise<ConnectedDevice> {
  const client = await EvsmClient.fromConfig({ logger: { categories: [], logPath: undefined }, hosts: [slot.host] }, { healthIntervalMs: 60_000 });
  const name = slot.name;
  const management = slot.mgmtPort === undefined ? undefined : await ManagerClient.connect({ host: slot.host.host, port: slot.mgmtPort });
  const probeZmk = new Map<string, string>();
  // Every host command, the scenario's own included: name, result, time, failover tries.
  client.onCommand((ev) => device.evidence.transcript.record(name, ev.command, ev.ok ? 'ok' : errorText(ev.error), undefined, { ms: ev.ms, tries: ev.tries }));

  const device: ConnectedDevice = {
    name,
    slot,
    client,
    management,
    evidence,
    info: { name, model: slot.model, serial: slot.serial, host: slot.host.host, port: slot.host.port, mgmtPort: slot.mgmtPort, target },
    control: slot.control,

    async listKeys(): Promise<KeyInfo[]> {
      const keys = await device.evidence.transcript.around(name, 'X4 list keys', undefined, () => client.listKeys(), (r) => ({ count: r.length }));
      return keys.map((k) => ({ index: k.index, type: typeName(k.keyType), algorithm: algorithmOf(k.scheme), kcv: k.kcv }));
    },

    async keyAt(index: number): Promise<KeyInfo | undefined> {
      try {
        const k = await device.evidence.transcript.around(name, 'X2 key info', { index }, () => client.keyInfo(index), (r) => ({ type: typeName(r.keyType), kcv: r.kcv }));
        return { index, type: typeName(k.keyType), algorithm: algorithmOf(k.scheme), kcv: k.kcv };
      } catch (e) {
        if (e instanceof EvsmCommandError && e.errorCode === '12') return undefined;
        throw e;
      }
    },

    async behaviour(index: number): Promise<Behaviour> {
      const info = await client.keyInfo(index);
      const type = typeName(info.keyType);
      const ref = `K${String(index).padStart(4, '0')}`;
      const t = device.evidence.transcript;
      if (type === 'ZAK') {
        const mac = await t.around(name, 'M6 MAC', { index, bytes: PROBE_DATA.length }, () => client.generateMac(ref, PROBE_DATA, { size: 16 }));
        return { operation: 'MAC(M6) of the probe block', output: mac };
      }
      if (type === 'ZEK') {
        const out = await t.around(name, 'M0 encrypt', { index, bytes: PROBE_DATA.length }, () => client.encryptData(ref, PROBE_DATA));
        return { operation: 'encrypt(M0, ECB) of the probe block', output: out.data.toString('hex').toUpperCase() };
      }
      // ZMK, ZPK: export under a probe ZMK that each device forms from the same public components.
      const sm4 = info.scheme === 'P';
      const zmkKey = sm4 ? 'P' : 'U';
      let zmk = probeZmk.get(zmkKey);
      if (!zmk) {
        zmk = (await t.around(name, 'XA form probe ZMK', { scheme: zmkKey }, () => client.formKey('ZMK', zmkKey, sm4 ? PROBE_ZMK_SM4 : PROBE_ZMK_3DES))).keyUnderLmk;
        probeZmk.set(zmkKey, zmk);
      }
      const z = zmk;
      const exp = await t.around(name, 'A8 export under probe ZMK', { index }, () => client.exportKey(type as KeyTypeName, z, ref, sm4 ? 'P' : info.scheme === 'T' ? 'T' : 'U'));
      return { operation: 'export(A8) under the probe ZMK', output: exp.keyUnderZmk };
    },

    async dmkKcv(): Promise<string | undefined> {
      try {
        return await device.evidence.transcript.around(name, 'X8 DMK check value', undefined, () => client.dmkCheckValue(), (r) => ({ kcv: r }));
      } catch (e) {
        if (e instanceof EvsmCommandError && e.errorCode === '13') return undefined;
        throw e;
      }
    },

    async close() {
      client.close();
      management?.close();
    },
  };
  evidence.device({ name, model: slot.model, serial: slot.serial, host: slot.host.host, port: slot.host.port, target });
  return device;
}
