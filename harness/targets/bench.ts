/**
 * A bench: what one target offers a worker. Worker-scoped (opening it may build an image,
 * create a SoftHSM2 token store, start the rehearsal's emulators); each test then asks it for
 * devices in factory state and releases them at the end.
 */
import type { HostConfig } from '../../drivers/evsm/config/types.ts';
import type { DeviceControl, DeviceName } from '../devices/types.ts';

export const TARGETS = ['embedded', 'containers', 'hardware'] as const;
export type TargetName = (typeof TARGETS)[number];

/** Where a device is reached and how it is controlled, for one test. */
export interface DeviceSlot {
  name: DeviceName;
  /** Host-protocol address, as a cacipher [HOSTn] section (timeouts included). */
  host: HostConfig;
  /** Management-protocol port; undefined when the operator does device steps in VsmManager. */
  mgmtPort: number | undefined;
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
  /** How operator prompts are answered: `automatic` (the harness does it), `pool` (rehearsal), `console` (a person). */
  readonly operatorMode: 'automatic' | 'pool' | 'console';
  /** A device in factory state for the current test. */
  device(name: DeviceName): Promise<DeviceSlot>;
  /** End of test: stops or resets what `device` handed out. */
  releaseDevices(): Promise<void>;
  close(): Promise<void>;
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
    device: async () => fail(),
    releaseDevices: async () => {},
    close: async () => {},
  };
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
