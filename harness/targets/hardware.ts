/**
 * `hardware`: the devices named in a lab file (docs/lab-file.md). On a real bench the harness
 * can only ask the operator to reset, switch off or switch on a device; in the bench rehearsal
 * (lab/rehearsal.json) the "bench" is emulator processes this bench starts on the lab file's
 * loopback ports, and the operator's answers come from the harness itself, so the same code
 * path runs in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvsmClient } from '../../drivers/evsm/index.ts';
import { loadLabFile, type LabFile } from '../lab/lab-file.ts';
import { extendTestTimeout, promptClock } from '../lab/test-clock.ts';
import { consoleOperator, poolOperator, type Operator } from '../operator/operator.ts';
import { checkEmulatorProgram } from '../system/checks.ts';
import { promptingVsmManager, type VsmManagerOperator } from '../operator/vsm-manager.ts';
import { scriptedVsmManager } from '../operator/scripted-bench.ts';
import type { Token, TokenSource } from '../../drivers/ukey/token.ts';
import { EmulatorProcess } from './emulator-process.ts';
import { unavailableBench, type Bench, type DeviceSlot } from './bench.ts';
import type { DeviceName } from '../devices/types.ts';

export interface HardwareOptions {
  labFile: string | undefined;
  /** Playwright's parallelIndex: the rehearsal offsets its ports per worker. */
  parallelIndex: number;
}

export interface HardwareBench extends Bench {
  readonly labFile: LabFile | undefined;
  readonly operator: Operator;
  /**
   * Who does VsmManager's steps on a device without a management port: the person at the bench
   * (console), or in the operator rehearsal a scripted operator on the emulators' management
   * ports; undefined in a pool rehearsal that names no such ports (those scenarios skip).
   */
  vsmManager(tokens: TokenSource & { loginToken(token: Token): Promise<void> }, log: (line: string) => void): VsmManagerOperator | undefined;
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

export async function openHardwareBench(options: HardwareOptions): Promise<Bench> {
  if (!options.labFile) {
    return unavailableBench('hardware', 'no lab file — pass `evsm-lab run --target hardware --lab FILE` or set EVSM_LAB_FILE (lab/rehearsal.json rehearses the bench on emulators)');
  }
  let lab: LabFile;
  try {
    lab = loadLabFile(options.labFile);
  } catch (e) {
    return unavailableBench('hardware', (e as Error).message);
  }
  // A person's prompts each add their own timeout to the test's (harness/lab/test-clock.ts).
  const operator = lab.operator.mode === 'pool' ? poolOperator() : promptClock(consoleOperator(lab.operator.timeoutSeconds), lab.operator.timeoutSeconds);
  const rehearsal = lab.rehearsal?.startEmulators ? lab.rehearsal : undefined;
  if (rehearsal) {
    const program = checkEmulatorProgram();
    if (!program.ok) return unavailableBench('hardware', `rehearsal: ${program.detail} — ${program.fix}`);
  }
  const offset = rehearsal ? options.parallelIndex * rehearsal.portStride : 0;
  // The rehearsal's "physical" devices: one emulator per lab device, kept for the worker's life.
  const emulators = new Map<DeviceName, { proc: EmulatorProcess; dir: string }>();
  const handedOut = new Set<DeviceName>();

  async function rehearsalDevice(name: DeviceName, port: number, mgmtPort: number): Promise<EmulatorProcess> {
    const dir = mkdtempSync(join(tmpdir(), `evsm-lab-bench-${name}-`));
    const had = emulators.get(name);
    if (had) {
      // The rehearsal's answer to "reset device X to factory state": an empty data directory.
      await had.proc.restartFresh(dir);
      rmSync(had.dir, { recursive: true, force: true });
      had.dir = dir;
      return had.proc;
    }
    const proc = await EmulatorProcess.start({ name, dataDir: dir, port, mgmtPort });
    emulators.set(name, { proc, dir });
    return proc;
  }

  const bench: HardwareBench = {
    target: 'hardware',
    lab: lab.lab,
    labFile: lab,
    operator,
    unavailable: undefined,
    operatorMode: lab.operator.mode,
    async device(name: DeviceName): Promise<DeviceSlot> {
      const entry = lab.devices.find((d) => d.name === name);
      if (!entry) throw new Error(`hardware: lab file ${lab.path} names no device ${name} (it has ${lab.devices.map((d) => d.name).join(', ')})`);
      const host = { ...entry.host, port: entry.host.port + offset };
      const mgmtPort = entry.managementPort === undefined ? undefined : entry.managementPort + offset;
      const reset = { en: `Reset device ${name} to its factory state (no DMK, no keys), then confirm.`, zh: `将设备 ${name} 恢复出厂状态（无 DMK、无密钥），然后确认。` };
      await operator.confirm(reset, name);
      // The operator rehearsal starts the emulator with a management port the harness is not given.
      const operatorPort = rehearsal?.operatorManagementPorts[name];
      if (rehearsal) await rehearsalDevice(name, host.port, mgmtPort ?? (operatorPort === undefined ? 0 : operatorPort + offset));
      handedOut.add(name);
      const slot: DeviceSlot = {
        name,
        host,
        mgmtPort,
        model: host.hsmModel,
        serial: entry.serial ?? `${host.host}:${host.port}`,
        control: {
          async kill() {
            await operator.confirm({ en: `Switch device ${name} off now (pull the power), then confirm.`, zh: `立即关闭设备 ${name}（断电），然后确认。` }, name);
            if (rehearsal) await emulators.get(name)!.proc.kill();
          },
          async restart() {
            await operator.confirm({ en: `Switch device ${name} on again, then confirm.`, zh: `重新开启设备 ${name}，然后确认。` }, name);
            if (rehearsal) await emulators.get(name)!.proc.restart();
            if (lab.operator.mode !== 'pool') extendTestTimeout(lab.operator.timeoutSeconds * 1000);
            await waitForAnswer(slot, lab.operator.timeoutSeconds * 1000);
          },
        },
      };
      return slot;
    },
    vsmManager(tokens, log) {
      if (lab.operator.mode === 'console') return promptingVsmManager(operator);
      const ports = rehearsal?.operatorManagementPorts ?? {};
      if (Object.keys(ports).length === 0) return undefined;
      return scriptedVsmManager({
        tokens,
        log,
        endpoint(device) {
          const entry = lab.devices.find((d) => d.name === device);
          const port = ports[device as DeviceName];
          return entry && port !== undefined ? { host: entry.host.host, port: port + offset } : undefined;
        },
      });
    },
    async releaseDevices() {
      handedOut.clear();
    },
    async close() {
      const all = [...emulators.values()];
      emulators.clear();
      await Promise.all(all.map((e) => e.proc.stop()));
      for (const e of all) rmSync(e.dir, { recursive: true, force: true });
    },
  };
  return bench;
}
