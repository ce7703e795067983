/**
 * A bench: what one target offers a worker, as a strategy the fixtures ask (harness/fixtures.ts
 * never branches on the target's name). Each target file under harness/targets/ provides one:
 *  - its devices in factory state for the current test, and their control (kill/restart/power);
 *  - its token store (virtual UKEYs, a SoftHSM2 pool, the bench's PKCS#11 module);
 *  - the procedure driver for each device (management protocol, or the operator in VsmManager);
 *  - how its devices are verified over the host protocol;
 *  - its own checks (`Target.checks`), which `evsm-lab doctor` prints and opening the bench repeats.
 * Worker-scoped: opening one may build an image, create a SoftHSM2 token store, start a
 * rehearsal's emulators.
 */
import type { HostConfig } from '../../drivers/evsm/index.ts';
import type { DeviceControl, DeviceName, VerificationMode } from '../devices/types.ts';
import type { ManagedDevice, ProcedureDeps, ProcedureDriver } from '../procedures/driver.ts';
import { ManagementDriver } from '../procedures/management-driver.ts';
import type { PromptMode } from '../procedures/runner.ts';
import type { CheckResult } from '../system/checks.ts';
import type { TokenStore } from '../tokens/pool-source.ts';

export const TARGETS = ['embedded', 'containers', 'hardware'] as const;
export type TargetName = (typeof TARGETS)[number];

/** Where a device is reached and how it is controlled, for one test. */
export interface DeviceSlot {
  name: DeviceName;
  /** Host-protocol address, as a cacipher [HOSTn] section (timeouts included). */
  host: HostConfig;
  /** Management-protocol port; undefined when the operator does device steps in VsmManager. */
  managementPort: number | undefined;
  model: string;
  serial: string;
  control: DeviceControl;
}

export interface Bench {
  readonly target: TargetName;
  /** Lab name for evidence and reports. */
  readonly lab: string;
  /** Why this target cannot run here, one line; undefined when it can. */
  readonly unavailable: string | undefined;
  /** How prompts are answered: `automatic` (the harness does it), else the lab file's operator mode. */
  readonly operatorMode: PromptMode;
  /** Which host commands verify keys and DMKs (harness/devices/types.ts). */
  readonly verification: VerificationMode;
  /** A device in factory state for the current test. */
  device(name: DeviceName): Promise<DeviceSlot>;
  /** Where this worker's UKEYs come from. */
  tokenStore(): Promise<TokenStore>;
  /** Who performs the procedures on `device` for the current test: asked once per device. */
  procedureDriver(device: ManagedDevice, deps: ProcedureDeps): ProcedureDriver;
  /** End of test: stops or resets what `device` handed out. */
  releaseDevices(): Promise<void>;
  close(): Promise<void>;
}

/** What `open` is given: the lab file (hardware) and the worker's index (port offsets). */
export interface BenchOptions {
  labFile: string | undefined;
  parallelIndex: number;
}

/** One target: its prerequisites and its bench. */
export interface Target {
  readonly name: TargetName;
  /** Every prerequisite of this target on this machine, each with its fix (`evsm-lab doctor`). */
  checks(options: BenchOptions): Promise<CheckResult[]>;
  open(options: BenchOptions): Promise<Bench>;
}

/** The management driver for every device: targets whose devices all have a management port. */
export function managementProcedures(device: ManagedDevice, deps: ProcedureDeps): ProcedureDriver {
  return new ManagementDriver(device, deps);
}

/** A bench for a target that cannot run here: every test skips with `reason`. */
export function unavailableBench(target: TargetName, reason: string): Bench {
  const fail = (): never => {
    throw new Error(`${target}: ${reason}`);
  };
  return {
    target,
    lab: target,
    unavailable: `${target}: ${reason}`,
    operatorMode: 'automatic',
    verification: 'emulator',
    device: async () => fail(),
    tokenStore: async () => fail(),
    procedureDriver: () => fail(),
    releaseDevices: async () => {},
    close: async () => {},
  };
}

/** The first failed check as one line (`what: detail — fix`), for a bench that cannot open. */
export function firstFailure(checks: readonly CheckResult[]): string | undefined {
  const f = checks.find((c) => !c.ok);
  return f ? `${f.detail}${f.fix ? ` — ${f.fix}` : ''}` : undefined;
}

/** A [HOSTn]-shaped address for a device on 127.0.0.1 (emulator processes and containers). */
export function loopbackHost(index: number, port: number): HostConfig {
  return {
    index,
    name: `HOST${index}`,
    hsmModel: 'SJJ1310',
    host: '127.0.0.1',
    port,
    linkNum: -4,
    timeout: 6,
    connTimeout: 6,
    readTimeout: 30,
    socketProtocol: 'TCP',
    tls: undefined,
  };
}

export const DEVICE_INDEX: Record<DeviceName, number> = { A: 1, B: 2, C: 3 };
