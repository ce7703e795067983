/**
 * Device commands: NC status (sent at connect; getDeviceSerial), CR random (also the SDK's
 * 1-second heartbeat `CR0016`), and the payShield-style B2 echo, N0 random and NO status the
 * emulator keeps (brief decision 11).
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command, statusCommand } from './command.ts';
import { dec, hexInt } from './fields.ts';

/** What NC says: the fields of the emulator's layout, and the serial the SDK derives. */
export interface NcAnswer {
  /** Error code of the NC answer (an NC error does not fail the SDK's init). */
  errorCode: string;
  /** The text after `ND00` (empty on an error). */
  payload: string;
}

/** NC; the answer is free text for the SDK, so any error code is an answer here. */
export function ncStatus(): WireCommand<NcAnswer> {
  return statusCommand('NC', 'device status', true, [], (s) => ({ errorCode: s.errorCode, payload: s.body.toString('latin1') }));
}

/**
 * The SDK's getDeviceSerial entry for one NC answer: the last 12 characters of the payload when
 * it has at least 13, otherwise (short payload or an error code) 12 spaces.
 */
export function serialFromNc(nc: NcAnswer): string {
  if (nc.errorCode !== '00' || nc.payload.length < 13) return ' '.repeat(12);
  return nc.payload.slice(-12);
}

/** CR: `count` random bytes (the SDK takes the first `count` bytes of the answer, extra ignored). */
export function crRandom(count: number): WireCommand<Buffer> {
  if (!Number.isInteger(count) || count < 0) throw new EvsmParameterError('the length must larger than 0 ...', -602);
  return command('CR', 'random', true, [dec(count, 4)], (r) => Buffer.from(r.bytes(count, 'random bytes')));
}

/** The heartbeat: CR0016; any `CS00…` answer keeps the host alive. */
export function heartbeat(): WireCommand<void> {
  return command('CR', 'heartbeat', true, ['0016'], () => undefined);
}

/** B2: the device sends `data` back. */
export function b2Echo(data: string | Buffer): WireCommand<string> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return command('B2', 'echo', true, [hexInt(bytes.length, 4), bytes], (r) => r.restText());
}

/** N0: 1-256 random bytes as hex. */
export function n0Random(count: number): WireCommand<Buffer> {
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new EvsmParameterError(`random byte count ${count} is not 1-256`);
  return command('N0', 'random', true, [dec(count, 3)], (r) => {
    const hex = r.text(count * 2, 'random bytes');
    r.end();
    return Buffer.from(hex, 'hex');
  });
}

export interface DeviceStatus {
  /** `F` factory (no DMK), `I` initialized without internal keys, `K` with internal keys. */
  state: 'F' | 'I' | 'K';
  internalKeyCount: number;
  firmware: string;
  deviceId: string;
}

/** NO: state, internal key count, firmware, device id. */
export function noStatus(): WireCommand<DeviceStatus> {
  return command('NO', 'status', true, ['00'], (r) => {
    const status: DeviceStatus = {
      state: r.text(1, 'state') as DeviceStatus['state'],
      internalKeyCount: r.decimal(4, 'internal key count'),
      firmware: r.text(9, 'firmware'),
      deviceId: r.text(16, 'device id'),
    };
    r.end();
    return status;
  });
}
