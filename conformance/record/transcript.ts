/**
 * The transcript file format (protocol decision 13; docs/conformance.md): what the vendor SDK
 * sent for each call, what the device answered, and what the SDK made of it.
 */

export interface TranscriptExchange {
  /** hex of the payload after the 2-byte length and the header */
  request: string;
  /** hex of the answer payload after the length and the header */
  response: string;
}

export interface TranscriptCall {
  /** the call as Java source, e.g. genWorkKey("00A",'X',1,"test") */
  call: string;
  method: string;
  /** char → {"char":"X"}, byte[] → {"bytes":"HEX"}, null → null */
  args: unknown[];
  exchanges: TranscriptExchange[];
  /** what the SDK returned (absent when it threw) */
  returned?: unknown;
  threw?: { code?: number; exception?: string; message: string };
}

export interface Transcript {
  sdk: string;
  recordedAt: string;
  against: string;
  headerLength: number;
  /** the conformance group this file holds (docs/conformance.md) */
  group: string;
  /**
   * The device the recording ran on: the DMK check value of the test components
   * (conformance/record/device.ts), so a replay can tell it runs on the same DMK.
   */
  device: { dmkCheckValue: string };
  /**
   * Exchanges sent before the SDK started, not by the SDK: the emulator EXTENSION XK that forms
   * the fixture ZMK. A replay sends them first.
   */
  setup: TranscriptExchange[];
  calls: TranscriptCall[];
  /** CR0016 exchanges left out (the SDK's heartbeat; see decision 13) */
  heartbeatsDropped: number;
  /**
   * Conformance checks of this group that failed when it was recorded (recorded with
   * --allow-failures): the SDK accepted these answers, but they were not all correct.
   */
  failedChecks: Array<{ check: string; detail: string }>;
}

export const SDK_VERSION = 'hsmGeneralFinance 1.47.2529 / SJJ1310 driver 3.83.2529';

/** The SDK's heartbeat request: never part of a call. */
export const HEARTBEAT = Buffer.from('CR0016', 'latin1');

export function isTranscript(x: unknown): x is Transcript {
  const t = x as Transcript;
  return typeof t === 'object' && t !== null && typeof t.headerLength === 'number' && Array.isArray(t.calls) && Array.isArray(t.setup);
}
