/**
 * Symmetric key commands: A0 generate (mode 0, or 1 = also under a ZMK; optional store part),
 * A6 import from under a ZMK, A8 export under a ZMK, BU check value (payShield style), and the
 * EXTENSION XK (form a key from clear components; not an SJJ1310 command).
 */
import { combineXor, DuplicateComponentError, hasOddParity, hex, setOddParity, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import type { Device } from '../../device/device.ts';
import { type KeyFlag, type KeyTypeCode, familyOf, keyLengthOf } from '../../device/keytypes.ts';
import { updateTimeOf } from '../../device/state.ts';
import { checkValue, wrapEcb } from '../cipher.ts';
import { keyRandom } from '../key-random.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { type ClearKey, readFlag, readKeyRef, readKeyType, resolveKey } from '../keyref.ts';
import { type StorePart, readStorePart } from './label.ts';

/** A fresh random key with odd parity on every byte (decision 4). Caller wipes. */
export function newKey(flag: KeyFlag): Buffer {
  const key = keyRandom(keyLengthOf(flag));
  setOddParity(key);
  return key;
}

/** Wraps a clear key under the LMK, stores it when asked, and returns the answer's key + CV. */
export function keepKey(device: Device, type: KeyTypeCode, flag: KeyFlag, key: Uint8Array, store: StorePart | undefined): { lmkKey: string; cv: string } {
  const lmkKey = device.lmks.wrap(type, flag, key);
  const cv = checkValue(flag, key);
  if (store) device.putKey({ index: store.index, type, flag, lmkKey, kcv: cv, label: store.label, updateTime: updateTimeOf() });
  return { lmkKey, cv };
}

function readZmk(device: Device, f: Fields): ClearKey {
  return resolveKey(device, '000', readKeyRef(f, 'ZMK'));
}

/** flag + hex(ECB(ZMK, key)): the key under a ZMK has the same length as under the LMK. */
export function underZmk(zmk: ClearKey, flag: KeyFlag, key: Uint8Array): string {
  return flag + hex(wrapEcb(familyOf(zmk.flag), zmk.key, true, key));
}

export const A0: Handler = ({ device }, f) => {
  const mode = f.choice('mode', ['0', '1']);
  const type = readKeyType(f);
  const flag = readFlag(f);
  let zmk: ClearKey | undefined;
  let key: Buffer | undefined;
  try {
    if (mode === '1') {
      zmk = readZmk(device, f);
      // Documented by the vendor as the ZMK's algorithm flag; the ZMK's own flag is what counts.
      readFlag(f, 'ZMK flag');
    }
    const store = readStorePart(f);
    f.end();
    void device.lmks;
    key = newKey(flag);
    const zmkPart = zmk ? underZmk(zmk, flag, key) : '';
    const { lmkKey, cv } = keepKey(device, type, flag, key, store);
    return lmkKey + zmkPart + cv;
  } finally {
    wipe(key, zmk?.key);
  }
};

export const A6: Handler = ({ device }, f) => {
  const type = readKeyType(f);
  const zmk = readZmk(device, f);
  let key: Buffer | undefined;
  try {
    if (f.peek() === 'K') throw new HostError('15', 'the key under the ZMK must be a cryptogram (flag + hex), not an index');
    const inFlag = readFlag(f, 'flag of the key under the ZMK');
    const cipher = f.hex(2 * keyLengthOf(inFlag), 'key under the ZMK');
    const flag = readFlag(f);
    const store = readStorePart(f);
    f.end();
    if (familyOf(flag) !== familyOf(inFlag) || keyLengthOf(flag) !== keyLengthOf(inFlag)) {
      throw new HostError('26', `the key under the ZMK (flag ${inFlag}) and the key flag ${flag} must name the same algorithm and length`);
    }
    key = wrapEcb(familyOf(zmk.flag), zmk.key, false, cipher);
    if (!hasOddParity(key)) throw new HostError('10', 'the key under the ZMK fails its parity check: wrong ZMK or altered cryptogram');
    const { lmkKey, cv } = keepKey(device, type, flag, key, store);
    return lmkKey + cv;
  } finally {
    wipe(zmk.key, key);
  }
};

export const A8: Handler = ({ device }, f) => {
  const type = readKeyType(f);
  const zmk = readZmk(device, f);
  let clear: ClearKey | undefined;
  try {
    const ref = readKeyRef(f, 'key');
    // Documented by the vendor as the ZMK's algorithm flag: checked, not otherwise used.
    readFlag(f, 'ZMK flag');
    f.end();
    clear = resolveKey(device, type, ref);
    return underZmk(zmk, clear.flag, clear.key) + checkValue(clear.flag, clear.key);
  } finally {
    wipe(zmk.key, clear?.key);
  }
};

/** payShield-style check value of a key (type 3H + key): 16H. */
export const BU: Handler = ({ device }, f) => {
  const type = readKeyType(f);
  const ref = readKeyRef(f, 'key');
  f.end();
  const { flag, key } = resolveKey(device, type, ref);
  try {
    return checkValue(flag, key);
  } finally {
    wipe(key);
  }
};

/** XOR of clear components, parity-adjusted; two equal components → 06 (decision 10). */
export function formKey(components: Buffer[]): Buffer {
  let key: Buffer;
  try {
    key = combineXor(components);
  } catch (e) {
    if (e instanceof DuplicateComponentError) throw new HostError('06', `${e.message}; nothing was created`);
    throw e;
  }
  setOddParity(key);
  return key;
}

/**
 * EXTENSION (not an SJJ1310 command): form a key from n clear components.
 * `XK` + type 3H + flag 1A + n 1N (2-9) + n × component (hex of the key length) → key under LMK + CV.
 */
export const XK: Handler = ({ device }, f) => {
  const type = readKeyType(f);
  const flag = readFlag(f);
  const n = f.digits(1, 'number of components', '06');
  if (n < 2) throw new HostError('06', 'number of components must be 2-9');
  const components: Buffer[] = [];
  try {
    // f.hex returns fresh buffers (not views of the request), so wiping them below is enough.
    for (let i = 0; i < n; i++) components.push(f.hex(keyLengthOf(flag) * 2, `component ${i + 1}`));
    f.end();
    void device.lmks;
    const key = formKey(components);
    try {
      const { lmkKey, cv } = keepKey(device, type, flag, key, undefined);
      return lmkKey + cv;
    } finally {
      wipe(key);
    }
  } finally {
    wipe(...components);
  }
};
