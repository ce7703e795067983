/**
 * Builds the harness's device view from a bench slot: an EVSM client on that one host (the
 * application's own client, drivers/evsm) plus the slot's control. Every host command the
 * harness sends goes into the test's transcript (facts only: command, index, KCV, result).
 *
 * How the view verifies (types.ts `VerificationMode`):
 *  - emulator targets (embedded, containers): listing by the X4 extension, the DMK check value by
 *    the X8 extension; key info by KG, key use by S0 / S3 / A8.
 *  - `hardware` (rehearsal included): only commands a real SJJ1310 has — listing by KG per index
 *    (1-2048), DMK comparison by NC's LMK check value, key info by KG, key use by S0 / S3 / A8.
 *    The DMK check value itself comes from the management port when the lab file gives one (the
 *    VsmManager side); a real SJJ1310 has no host command for it.
 */
import { commands, EvsmClient, EvsmCommandError, EvsmUnavailableError, keyAt, type KeyFlag, type StoredKeyInfo } from '../../drivers/evsm/index.ts';
import { ManagementError, ManagerClient } from '../../drivers/evsm/manager/index.ts';
import type { Evidence } from '../evidence/evidence.ts';
import { errorText } from '../evidence/transcript.ts';
import type { DeviceSlot, TargetName } from '../targets/bench.ts';
import { algorithmOf, behaviourOf, typeName } from './behaviour.ts';
import type { Behaviour, KeyInfo, LabDevice, ProbeZmk, VerificationMode } from './types.ts';
import { noteCheck, noteMode } from './verification.ts';

/** Every index an SJJ1310 can hold a key at (protocol decision 7). */
export const ALL_INDICES: readonly number[] = Array.from({ length: 2048 }, (_, i) => i + 1);
const FACTORY_LMK_KCV = '0000000000000000';
/** X8: device not initialized (no DMK). */
const NO_DMK = '13';
/** How long a verification waits for a device its client still marks down (just restarted). */
const REJOIN_MS = 15_000;

export interface ConnectedDevice extends LabDevice {
  /** The application client on this device alone (for scenarios that use keys directly). */
  readonly client: EvsmClient;
  readonly slot: DeviceSlot;
  /** The management connection (VsmManager's side); undefined on a bench device without one. */
  readonly management: ManagerClient | undefined;
  close(): Promise<void>;
}

function keyInfoOf(k: StoredKeyInfo): KeyInfo {
  return { index: k.index, type: typeName(k.keyType), flag: k.scheme, algorithm: algorithmOf(k.scheme), kcv: k.kcv };
}

/** What the bench says about how its devices are verified (harness/targets/bench.ts). */
export interface VerifiedOn {
  readonly target: TargetName;
  readonly verification: VerificationMode;
}

export async function connectDevice(slot: DeviceSlot, on: VerifiedOn, evidence: Evidence): Promise<ConnectedDevice> {
  const target = on.target;
  // The SDK's 1-second heartbeat: after a kill and restart (HA scenarios) the view's own client
  // sees the device again within a second, as an application would.
  const client = await EvsmClient.fromConfig({ logger: { categories: [], logPath: undefined }, hosts: [slot.host] }, { heartbeatIntervalMs: 1000 });
  const name = slot.name;
  const mode = on.verification;
  const management = slot.managementPort === undefined ? undefined : await ManagerClient.connect({ host: slot.host.host, port: slot.managementPort });
  // While a KG scan runs, its 2048 commands are counted into one transcript entry instead of 2048.
  let scanning = 0;
  // Every host command, the scenario's own included: name, result, time, failover tries.
  client.onCommand((ev) => {
    if (scanning > 0 && ev.command.startsWith('KG')) return;
    device.evidence.transcript.record(name, ev.command, ev.ok ? 'ok' : errorText(ev.error), undefined, { ms: ev.ms, tries: ev.tries });
  });
  const note = (check: string, how: string) => noteCheck(device.evidence, mode, check, how);
  // Right after a restart the client may still mark the device down (it re-probes each second,
  // and fails at once while every host is down, as the SDK): wait for it to rejoin, once.
  const onDevice = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof EvsmUnavailableError)) throw e;
      await client.waitForHost(slot.host.name, 'up', REJOIN_MS);
      return fn();
    }
  };

  async function scan(indices: readonly number[]): Promise<KeyInfo[]> {
    scanning++;
    try {
      try {
        const found = await onDevice(() => client.scanKeys(indices));
        return found.map(keyInfoOf);
      } catch (e) {
        // a device with no DMK (factory, or just wiped) holds no keys: KG answers 13 for every index
        if (e instanceof EvsmCommandError && e.errorCode === NO_DMK) return [];
        throw e;
      }
    } finally {
      scanning--;
    }
  }

  const device: ConnectedDevice = {
    name,
    slot,
    client,
    management,
    evidence,
    verification: mode,
    info: { name, model: slot.model, serial: slot.serial, host: slot.host.host, port: slot.host.port, managementPort: slot.managementPort, target },
    control: slot.control,

    async listKeys(): Promise<KeyInfo[]> {
      const t = device.evidence.transcript;
      if (mode === 'emulator') {
        note('key listing', 'X4 (emulator extension)');
        return t.around(name, 'X4 list keys (emulator extension)', undefined, async () => (await onDevice(() => client.listKeys())).map(keyInfoOf), (r) => ({ count: r.length }));
      }
      note('key listing', `KG per index 1-${ALL_INDICES.length}`);
      return t.around(name, `KG scan of indices 1-${ALL_INDICES.length}`, { commands: ALL_INDICES.length }, () => scan(ALL_INDICES), (r) => ({ count: r.length }));
    },

    async keyAt(index: number): Promise<KeyInfo | undefined> {
      note('key info and check value', 'KG');
      try {
        const k = await device.evidence.transcript.around(name, 'KG key info', { index }, () => onDevice(() => client.keyInfo(index)), (r) => ({ type: typeName(r.keyType), flag: r.scheme, kcv: r.kcv }));
        return keyInfoOf({ ...k, index });
      } catch (e) {
        if (e instanceof EvsmCommandError && e.errorCode === commands.KG_NO_KEY) return undefined;
        throw e;
      }
    },

    async behaviour(index: number, options: { key?: KeyInfo; zmk?: ProbeZmk } = {}): Promise<Behaviour> {
      const key = options.key ?? (await device.keyAt(index));
      if (!key) return { operation: 'key use', output: `no key at index ${index}` };
      const check = behaviourOf(client, keyAt(index), key, options.zmk);
      note(`key use (${check.operation})`, check.command);
      return onDevice(() => check.run());
    },

    async probeZmk(flag: string): Promise<ProbeZmk> {
      note('probe ZMK for exports', 'A0 on the first device, its cryptogram used on every device with the same DMK');
      const g = await device.evidence.transcript.around(name, 'A0 probe ZMK', { flag }, () => onDevice(() => client.generateKey('ZMK', flag as KeyFlag)), (r) => ({ kcv: r.kcv }));
      return { ref: g.keyUnderLmk, flag, what: `the A0 probe ZMK (${flag}) made on ${name}` };
    },

    async dmkKcv(): Promise<string | undefined> {
      const t = device.evidence.transcript;
      if (mode === 'emulator') {
        note('DMK check value', 'X8 (emulator extension)');
        try {
          return await t.around(name, 'X8 DMK check value (emulator extension)', undefined, () => onDevice(() => client.dmkCheckValue()), (r) => ({ kcv: r }));
        } catch (e) {
          if (e instanceof EvsmCommandError && e.errorCode === NO_DMK) return undefined;
          throw e;
        }
      }
      // A real SJJ1310 has no host command for it: the management side (VsmManager's) reports it.
      // A connection of its own per read: the fixture's may be stale after a power cycle (HA-01).
      if (slot.managementPort === undefined) return undefined;
      note('DMK check value', 'management port (getDmkKcv), not a host command');
      const fresh = await ManagerClient.connect({ host: slot.host.host, port: slot.managementPort });
      try {
        return await t.around(name, 'management getDmkKcv', undefined, async () => (await fresh.getDmkKcv()).dmkKcv, (r) => ({ kcv: r }));
      } catch (e) {
        if (e instanceof ManagementError && e.code === 'NOT_INITIALIZED') return undefined;
        throw e;
      } finally {
        fresh.close();
      }
    },

    async lmkKcv(): Promise<string | undefined> {
      note('DMK comparison', 'NC LMK check value');
      const kcv = await device.evidence.transcript.around(name, 'NC LMK check value', undefined, async () => (await onDevice(() => client.diagnostics())).lmkCheckValue, (r) => ({ kcv: r }));
      return kcv === FACTORY_LMK_KCV ? undefined : kcv;
    },

    async close() {
      client.close();
      management?.close();
    },
  };
  evidence.device({ name, model: slot.model, serial: slot.serial, host: slot.host.host, port: slot.host.port, target });
  noteMode(evidence, mode);
  return device;
}
