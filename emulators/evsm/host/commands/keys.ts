/** A0 generate, BU check value, A6 import under ZMK, A8 export under ZMK, XA form from clear components. */
import { combineXor, DuplicateComponentError, kcv, hex, randomBytes, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { algorithmOf, keyLengthOf, type KeyScheme } from '../../device/keytypes.ts';
import { hasOddParity, setOddParity } from '../../device/parity.ts';
import { ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { type ClearKey, readKeyRef, readKeyType, readLmkScheme, readZmkKey, readZmkScheme, resolveKey } from '../keyref.ts';

/** A fresh random key; 3DES keys get odd parity. Caller wipes. */
export function newKey(scheme: KeyScheme): Buffer {
  const key = randomBytes(keyLengthOf(scheme));
  if (algorithmOf(scheme) === '3DES') setOddParity(key);
  return key;
}

export function keyKcv(scheme: KeyScheme, key: Uint8Array): string {
  return kcv(algorithmOf(scheme), key);
}

function readZmk(ctx: Parameters<Handler>[0], f: Fields): ClearKey {
  return resolveKey(ctx.device, '000', readKeyRef(f, 'ZMK'));
}

function wrapUnderZmk(zmk: ClearKey, key: Buffer): Buffer {
  if (algorithmOf(zmk.scheme) === 'SM4' && key.length % 16 !== 0) {
    throw new HostError('26', 'an SM4 ZMK cannot wrap a triple-length 3DES key; use a 3DES ZMK');
  }
  return ecb(zmk.scheme, true, zmk.key, key);
}

function sameScheme(lmkScheme: KeyScheme, zmkScheme: KeyScheme): void {
  if (lmkScheme !== zmkScheme) throw new HostError('26', `key scheme under ZMK (${zmkScheme}) and under LMK (${lmkScheme}) must name the same algorithm and length`);
}

export const A0: Handler = (ctx, f) => {
  const mode = f.choice('mode', ['0', '1']);
  const type = readKeyType(f);
  const scheme = readLmkScheme(f);
  let zmk: ClearKey | undefined;
  let zmkTag = '';
  if (mode === '1') {
    zmk = readZmk(ctx, f);
    const z = readZmkScheme(f);
    zmkTag = z.tag;
    sameScheme(scheme, z.scheme);
  }
  f.end();
  const lmks = ctx.device.lmks;
  const key = newKey(scheme);
  try {
    let out = lmks.wrap(type, scheme, key);
    if (zmk) out += zmkTag + hex(wrapUnderZmk(zmk, key));
    return out + keyKcv(scheme, key).slice(0, 6);
  } finally {
    wipe(key, zmk?.key);
  }
};

export const BU: Handler = (ctx, f) => {
  const type = readKeyType(f);
  const ref = readKeyRef(f, 'key');
  f.end();
  const { scheme, key } = resolveKey(ctx.device, type, ref);
  try {
    return keyKcv(scheme, key);
  } finally {
    wipe(key);
  }
};

export const A6: Handler = (ctx, f) => {
  const type = readKeyType(f);
  const zmk = readZmk(ctx, f);
  let key: Buffer | undefined;
  try {
    const under = readZmkKey(f, 'key under ZMK');
    const scheme = readLmkScheme(f);
    f.end();
    sameScheme(scheme, under.scheme);
    if (algorithmOf(zmk.scheme) === 'SM4' && under.cipher.length % 16 !== 0) {
      throw new HostError('26', 'an SM4 ZMK cannot wrap a triple-length 3DES key; use a 3DES ZMK');
    }
    key = ecb(zmk.scheme, false, zmk.key, under.cipher);
    if (algorithmOf(scheme) === '3DES' && !hasOddParity(key)) {
      throw new HostError('11', 'key under ZMK fails the parity check: wrong ZMK or altered cryptogram');
    }
    return ctx.device.lmks.wrap(type, scheme, key) + keyKcv(scheme, key).slice(0, 6);
  } finally {
    wipe(zmk.key, key);
  }
};

export const A8: Handler = (ctx, f) => {
  const type = readKeyType(f);
  const zmk = readZmk(ctx, f);
  let key: Buffer | undefined;
  try {
    const ref = readKeyRef(f, 'key');
    const z = readZmkScheme(f);
    f.end();
    const clear = resolveKey(ctx.device, type, ref);
    key = clear.key;
    sameScheme(clear.scheme, z.scheme);
    return z.tag + hex(wrapUnderZmk(zmk, key)) + keyKcv(clear.scheme, key).slice(0, 6);
  } finally {
    wipe(zmk.key, key);
  }
};

/** Forms a key as the XOR of clear components; shared by XA and tests of the store. */
export function formKey(scheme: KeyScheme, components: Buffer[]): Buffer {
  let key: Buffer;
  try {
    key = combineXor(components);
  } catch (e) {
    if (e instanceof DuplicateComponentError) throw new HostError('16', `${e.message}; nothing was created`);
    throw e;
  }
  if (algorithmOf(scheme) === '3DES') setOddParity(key);
  return key;
}

export const XA: Handler = (ctx, f) => {
  const type = readKeyType(f);
  const scheme = readLmkScheme(f);
  const n = f.digits(1, 'number of components');
  if (n < 2) throw new HostError('15', 'number of components must be 2-9');
  const components: Buffer[] = [];
  try {
    // f.hex returns fresh buffers (not views of the request), so wiping them below is enough.
    for (let i = 0; i < n; i++) components.push(f.hex(keyLengthOf(scheme) * 2, `component ${i + 1}`));
    f.end();
    const lmks = ctx.device.lmks;
    const key = formKey(scheme, components);
    try {
      return lmks.wrap(type, scheme, key) + keyKcv(scheme, key);
    } finally {
      wipe(key);
    }
  } finally {
    wipe(...components);
  }
};
