/**
 * The harness's view of one device under test, the same on every target. Scenarios and
 * matchers use this; target drivers (harness/targets/) build it from the EVSM client, the
 * management client and whatever controls the device (a child process, a container, an
 * operator at the bench).
 */
import type { Evidence } from '../evidence/evidence.ts';
import type { DeviceName } from '../lab/lab-file.ts';

export type { DeviceName };

export interface KeyInfo {
  index: number;
  /** Key type by name where it has one (ZMK, ZPK, ZAK, ZEK, …), else its 3-hex-digit code. */
  type: string;
  /** The key's algorithm flag (Z X U Y T P R M N L). */
  flag: string;
  /** SM4, 3DES-2, 3DES-3, DES, AES-128, … (from the flag). */
  algorithm: string;
  /** 16 hex digits (docs/crypto.md). */
  kcv: string;
}

/** A fingerprint of what a key *does*: the same input through the key's natural operation. */
export interface Behaviour {
  /** e.g. `MAC (S0) of the probe block`, `encrypt (S3, ECB) of the probe block`. */
  operation: string;
  /** Output, hex, or `refused NN` when the device refused the key. Not a secret: a MAC, a ciphertext of public test data, or a key under a probe ZMK. */
  output: string;
}

/**
 * How a device's keys and DMK are verified over the host protocol:
 *  - `emulator`: listing by the emulator's X4 extension, the DMK check value by its X8
 *    extension (and NC's LMK check value); everything else with SJJ1310 commands.
 *  - `sjj1310`: only commands a real SJJ1310 has: KG per index (listing and key info), NC's LMK
 *    check value (DMK comparison), S0 / S3 / A8 (key use). The `hardware` target, rehearsal included.
 */
export type VerificationMode = 'emulator' | 'sjj1310';

/** A ZMK every compared device can use for A8 (harness/devices/behaviour.ts): a cryptogram under the LMK, or `Kdddd`. */
export interface ProbeZmk {
  ref: string;
  /** The ZMK's algorithm flag. */
  flag: string;
  /** For the evidence: `the A0 probe ZMK (P) made on A`, `the ZMK at index 12`. */
  what: string;
}

/** Internal-storage key operations over the host protocol. */
export interface DeviceKeys {
  readonly verification: VerificationMode;
  listKeys(): Promise<KeyInfo[]>;
  /** undefined when the index is empty. */
  keyAt(index: number): Promise<KeyInfo | undefined>;
  /**
   * Runs the key's natural operation on fixed test data (by key type): S0 MAC, S3 encryption, or
   * A8 export under `zmk` (without one, the export is reported as not checked). `key` saves a KG
   * when the caller already read it.
   */
  behaviour(index: number, options?: { key?: KeyInfo; zmk?: ProbeZmk }): Promise<Behaviour>;
  /** A new ZMK of `flag` under this device's LMK (A0), to share with devices of the same DMK. */
  probeZmk(flag: string): Promise<ProbeZmk>;
  /**
   * DMK check value (16 hex digits), or undefined on a factory (uninitialized) device, or where
   * the target cannot read it: X8 on emulator targets; on `hardware` the management port's
   * answer when the lab file gives one (a real SJJ1310 has no host command for it).
   */
  dmkKcv(): Promise<string | undefined>;
  /**
   * NC's LMK check value (16 hex digits), undefined on a factory device (NC answers zeros). The
   * LMKs derive from the DMK, so two devices with the same DMK report the same value.
   */
  lmkKcv(): Promise<string | undefined>;
}

/** What the target can do to the device itself (HA scenarios). */
export interface DeviceControl {
  /** Crash: SIGKILL / container kill / operator pulls the power. */
  kill(): Promise<void>;
  /** Back up on the same address with the same persistent state. */
  restart(): Promise<void>;
}

export interface DeviceInfo {
  name: DeviceName;
  model: string;
  serial: string;
  host: string;
  port: number;
  /** Management protocol port, when the target has one. */
  managementPort: number | undefined;
  target: string;
}

export interface LabDevice extends DeviceKeys {
  readonly name: DeviceName;
  readonly info: DeviceInfo;
  readonly control: DeviceControl;
  /** The evidence of the test currently using the device (set by the fixtures per test). */
  evidence: Evidence;
}
