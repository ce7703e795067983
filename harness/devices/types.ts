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
  /** Key type as the device reports it (ZMK, ZPK, ZAK, DEK, …). */
  type: string;
  algorithm: string;
  /** 16 hex digits (docs/crypto.md). */
  kcv: string;
}

/** A fingerprint of what a key *does*: the same input through the key's natural operation. */
export interface Behaviour {
  /** e.g. `MAC(M6) of 32 bytes`, `encrypt(M0) of 32 bytes`. */
  operation: string;
  /** Output, hex. Not a secret: it is a MAC or ciphertext of fixed public test data. */
  output: string;
}

/** Internal-storage key operations over the host protocol. */
export interface DeviceKeys {
  listKeys(): Promise<KeyInfo[]>;
  /** undefined when the index is empty. */
  keyAt(index: number): Promise<KeyInfo | undefined>;
  /** Runs the key's natural operation on fixed test data (by key type). */
  behaviour(index: number): Promise<Behaviour>;
  /** DMK check value (16 hex digits), or undefined on a factory (uninitialized) device. */
  dmkKcv(): Promise<string | undefined>;
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
  mgmtPort: number | undefined;
  target: string;
}

export interface LabDevice extends DeviceKeys {
  readonly name: DeviceName;
  readonly info: DeviceInfo;
  readonly control: DeviceControl;
  /** The evidence of the test currently using the device (set by the fixtures per test). */
  evidence: Evidence;
}
