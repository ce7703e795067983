/**
 * A bench: what one target offers a worker, as a strategy the fixtures ask (harness/fixtures.ts
 * never branches on the target's name). Each target file `harness/targets/NAME.target.ts` provides
 * one (its `open`), found by the registry in open.ts:
 *  - its devices in factory state for the current test, and their control (kill/restart/power);
 *  - its token store (virtual UKEYs, a SoftHSM2 pool, the bench's PKCS#11 module);
 *  - the procedure driver for each device (management protocol, or the operator in VsmManager);
 *  - how its devices are verified over the host protocol;
 *  - its own checks (`Target.checks`), which `evsm-lab doctor` prints and opening the bench repeats.
 * Worker-scoped: opening one may build an image, create a SoftHSM2 token store, start a
 * rehearsal's emulators.
 */
// Types only, and helpers that import nothing: every Playwright process loads the target files
// (playwright.config.ts builds its projects from them), and they load this file.
import type { HostConfig } from '../../drivers/evsm/index.ts';
import type { DeviceControl, DeviceName, VerificationMode } from '../devices/types.ts';
import type { ManagedDevice, ProcedureDeps, ProcedureDriver } from '../procedures/driver.ts';
import type { PromptMode } from '../procedures/runner.ts';
import type { CheckResult } from '../system/checks.ts';
import type { TokenStore } from '../tokens/pool-source.ts';

/** A target's name: its file's (`NAME.target.ts`), its Playwright project's and `run --target`'s. */
export type TargetName = string;

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

/** What `open` is given: the run's lab file (EVSM_LAB_FILE, `run --lab`) and the worker's index (port offsets). */
export interface BenchOptions {
  labFile: string | undefined;
  parallelIndex: number;
}

/** Options of a target's Playwright project beyond what every target gets (name, scenarios/, `metadata.target`). */
export interface TargetProject {
  /** Workers of this project; undefined: the run's (playwright.config.ts `workers`). */
  workers?: number;
  /**
   * Whether the catalog's tests may be spread over the workers one by one instead of file by file
   * (Playwright's `fullyParallel`). A target whose every worker has devices of its own says yes:
   * with whole files per worker, one worker ran dmk.spec.ts while the other ran the rest and the
   * first sat idle for the last third of the run.
   */
  fullyParallel?: boolean;
  /** Projects that must run first (e.g. `hardware-lab`, the lab file check). */
  dependencies?: string[];
  /** More metadata for the reports (`target` is set by the registry). */
  metadata?: Record<string, unknown>;
}

/**
 * One target, the default export of `harness/targets/NAME.target.ts`: its name, a line saying what
 * it runs on, its Playwright project, its prerequisites and its bench. The file is loaded by every
 * Playwright process (the config builds the projects from it): it imports only light modules at
 * its top and loads the rest inside `checks` and `open` (`await import(…)`).
 */
export interface Target {
  /** Equal to the file's NAME. */
  readonly name: TargetName;
  /** One line: what the catalog runs on (`run --help`, `doctor`, docs). */
  readonly description: string;
  /** Sorts the targets in `doctor`, `run --help` and the project list (then by name); default 100. */
  readonly order?: number;
  /** Whether the target reads the run's lab file (`run --lab FILE` then needs it among the targets). */
  readonly readsLabFile?: boolean;
  /** Its Playwright project's own options, read when playwright.config.ts loads. */
  project?(): TargetProject;
  /** Every prerequisite of this target on this machine, each with its fix (`evsm-lab doctor`). */
  checks(options: BenchOptions): Promise<CheckResult[]>;
  open(options: BenchOptions): Promise<Bench>;
}

/** The management driver for every device (targets whose devices all have a management port), loaded when a bench opens. */
export async function managementProcedures(): Promise<(device: ManagedDevice, deps: ProcedureDeps) => ProcedureDriver> {
  const { ManagementDriver } = await import('../procedures/management-driver.ts');
  return (device, deps) => new ManagementDriver(device, deps);
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
