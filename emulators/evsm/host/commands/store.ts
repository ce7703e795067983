/**
 * The internal key store: KG key info, KF delete (SJJ1310), and the EXTENSIONS X4 (list keys)
 * and X8 (DMK check value), which a real SJJ1310 does not have (decision 10).
 */
import { HostError } from '../../errors.ts';
import type { Handler } from '../handler.ts';
import { idx4, readIndex, readIndexDigits, storedKey } from '../keyref.ts';
import { labelField } from './label.ts';

/** `KG` + index 4N → type 3H + flag + CV 16H + label length 2N + label + `14` + update time. */
export const KG: Handler = ({ device }, f) => {
  const index = readIndexDigits(f);
  f.end();
  const k = storedKey(device, index);
  return Buffer.concat([Buffer.from(k.type + k.flag + k.kcv, 'latin1'), labelField(k.label), Buffer.from(String(k.updateTime.length).padStart(2, '0') + k.updateTime, 'latin1')]);
};

/**
 * `KF` + kind 2N + `K` + index 4N → `KG00` (the SDK's table gives KF the response code KG).
 * Kind 01 = symmetric key (KG's store), 03 = SM2 key pair (E7's store); 02 (RSA) holds nothing
 * here, so it answers 45 like an empty index. No key at the index → 45.
 */
export const KF: Handler = ({ device }, f) => {
  const kind = f.digits(2, 'key kind');
  const index = readIndex(f);
  f.end();
  void device.lmks;
  if (kind === 1) {
    storedKey(device, index);
    device.deleteKey(index);
  } else if (kind === 3) {
    if (!device.getSm2Key(index)) throw new HostError('45', `no SM2 key pair stored at index ${idx4(index)}`);
    device.deleteSm2Key(index);
  } else if (kind === 2) {
    throw new HostError('45', `no RSA key at index ${idx4(index)}: this emulator holds no RSA keys`);
  } else {
    throw new HostError('15', `key kind ${kind} is not 01 (symmetric), 02 (RSA) or 03 (SM2)`);
  }
  return '';
};

const LIST_MAX = 500;

/**
 * EXTENSION: list internal keys from an index on (`X4` [+ index 4N]) →
 * count 3N + more flag 1N + entries of index 4N + type 3H + flag 1A + CV 16H.
 */
export const X4: Handler = ({ device }, f) => {
  const from = f.remaining > 0 ? readIndexDigits(f) : 1;
  f.end();
  void device.lmks;
  const all = device.state.keys.filter((k) => k.index >= from);
  const page = all.slice(0, LIST_MAX);
  return String(page.length).padStart(3, '0') + (all.length > page.length ? '1' : '0') + page.map((k) => idx4(k.index) + k.type + k.flag + k.kcv).join('');
};

/** EXTENSION: the DMK check value (16H); 13 on a factory device. */
export const X8: Handler = ({ device }, f) => {
  f.end();
  const v = device.dmkKcv();
  if (!v) throw new HostError('13', 'device not initialized: no DMK; run original init or recovery init');
  return v;
};
