/** NC status and CR random (SJJ1310); B2 echo, N0 random, NO status (payShield style). */
import { hex, randomBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { FIRMWARE } from '../../device/device.ts';
import type { Handler } from '../handler.ts';

/** LMK check value 16H (zeros on a factory device) + firmware 9A + serial 12A (decision 8). */
export const NC: Handler = ({ device }, f) => {
  f.end();
  const check = device.hasDmk() ? device.lmks.checkValue() : '0'.repeat(16);
  return check + FIRMWARE + device.serial;
};

/** `CR` + count 4N → count raw random bytes; the SDK's heartbeat is CR0016 (decision 9). */
export const CR: Handler = (_ctx, f) => {
  const n = f.digits(4, 'random length');
  f.end();
  if (n < 1 || n > 4096) throw new HostError('15', 'random length must be 0001-4096');
  return randomBytes(n);
};

export const B2: Handler = (_ctx, f) => {
  const n = f.hexNumber(4, 'data length');
  const data = f.bytes(n, 'data');
  f.end();
  return Buffer.from(data);
};

export const N0: Handler = (_ctx, f) => {
  const n = f.digits(3, 'random length');
  f.end();
  if (n < 1 || n > 256) throw new HostError('15', 'random length must be 001-256');
  return hex(randomBytes(n));
};

export const NO: Handler = ({ device }, f) => {
  if (f.remaining > 0) {
    const mode = f.text(2, 'mode');
    if (mode !== '00') throw new HostError('15', 'status mode must be 00');
  }
  f.end();
  const s = device.state;
  const state = !s.dmk ? 'F' : s.keys.length > 0 ? 'K' : 'I';
  return state + String(s.keys.length).padStart(4, '0') + FIRMWARE + s.deviceId.padEnd(16).slice(0, 16);
};
