/**
 * What the real bench (hardware.target.ts) and the rehearsal (rehearsal.target.ts) share: the devices a lab file
 * names (docs/lab-file.md), the operator's confirmations for reset / power off / power on, and the
 * choice of procedure driver per device — the management driver where the lab entry gives a
 * `managementPort`, else the operator driver with whoever does VsmManager's steps.
 */
import { EvsmClient } from '../../drivers/evsm/index.ts';
import type { DeviceName } from '../devices/types.ts';
import type { LabFile } from '../lab/lab-file.ts';
import { extendTestTimeout } from '../lab/test-clock.ts';
import type { BenchAnswers } from '../operator/select.ts';
import { ManagementDriver } from '../procedures/management-driver.ts';
import { OperatorDriver } from '../procedures/operator-driver.ts';
import type { Bench, DeviceSlot } from './bench.ts';

/** What stands behind the lab's devices besides the person: the rehearsal's emulators. */
export interface StandIns {
  /** After the operator confirmed "reset device X": bring it to factory state on these ports. */
  reset(name: DeviceName, port: number, managementPort: number | undefined): Promise<void>;
  kill(name: DeviceName): Promise<void>;
  restart(name: DeviceName): Promise<void>;
  close(): Promise<void>;
}

export interface LabBenchParts {
  /** The target whose bench this is: `rehearsal`, or (the default) `hardware`. */
  target?: string;
  lab: LabFile;
  answers: BenchAnswers;
  /** Added to every port of the lab file (the rehearsal's worker stride); 0 on a real bench. */
  portOffset: number;
  standIns?: StandIns;
}

/** Waits until the device answers an echo on its host port (after the operator switched it on). */
async function waitForAnswer(slot: { host: DeviceSlot['host'] }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const c = await EvsmClient.fromConfig({ logger: { categories: [], logPath: undefined }, hosts: [{ ...slot.host, connTimeout: 2, readTimeout: 2 }] });
      c.close();
      return;
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`hardware: device at ${slot.host.host}:${slot.host.port} did not answer within ${timeoutMs} ms: ${last}`);
}

export function labBench({ target = 'hardware', lab, answers, portOffset, standIns }: LabBenchParts): Bench {
  const { operator } = answers;
  return {
    target,
    lab: lab.lab,
    unavailable: undefined,
    operatorMode: lab.operator.mode,
    verification: 'sjj1310',
    async device(name: DeviceName): Promise<DeviceSlot> {
      const entry = lab.devices.find((d) => d.name === name);
      if (!entry) throw new Error(`${target}: lab file ${lab.path} names no device ${name} (it has ${lab.devices.map((d) => d.name).join(', ')})`);
      const host = { ...entry.host, port: entry.host.port + portOffset };
      const managementPort = entry.managementPort === undefined ? undefined : entry.managementPort + portOffset;
      await operator.confirm({ en: `Reset device ${name} to its factory state (no DMK, no keys), then confirm.`, zh: `将设备 ${name} 恢复出厂状态（无 DMK、无密钥），然后确认。` }, name);
      await standIns?.reset(name, host.port, managementPort);
      const slot: DeviceSlot = {
        name,
        host,
        managementPort,
        model: host.hsmModel,
        serial: entry.serial ?? `${host.host}:${host.port}`,
        control: {
          async kill() {
            await operator.confirm({ en: `Switch device ${name} off now (pull the power), then confirm.`, zh: `立即关闭设备 ${name}（断电），然后确认。` }, name);
            await standIns?.kill(name);
          },
          async restart() {
            await operator.confirm({ en: `Switch device ${name} on again, then confirm.`, zh: `重新开启设备 ${name}，然后确认。` }, name);
            await standIns?.restart(name);
            if (lab.operator.mode !== 'pool') extendTestTimeout(lab.operator.timeoutSeconds * 1000);
            await waitForAnswer(slot, lab.operator.timeoutSeconds * 1000);
          },
        },
      };
      return slot;
    },
    tokenStore: () => answers.tokenStore(),
    procedureDriver(device, deps) {
      if (device.management) return new ManagementDriver(device, deps);
      const vsmManager = answers.vsmManager(deps.tokens);
      // Nobody to do VsmManager's steps: the management driver skips each procedure with its one-line reason.
      return vsmManager ? new OperatorDriver(device, deps, vsmManager) : new ManagementDriver(device, deps);
    },
    async releaseDevices() {},
    async close() {
      await standIns?.close();
    },
  };
}
