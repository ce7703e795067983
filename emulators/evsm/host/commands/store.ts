/** Extension commands: internal key store (X0 X2 X4 X6) and DMK check value (X8). */
import { wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import type { Handler } from '../handler.ts';
import { readIndex, readKeyType, readLmkScheme } from '../keyref.ts';
import { keyKcv, newKey } from './keys.ts';

const LIST_MAX = 500;
const idx = (i: number): string => String(i).padStart(4, '0');

export const X0: Handler = ({ device }, f) => {
  const index = readIndex(f);
  const type = readKeyType(f);
  const scheme = readLmkScheme(f);
  const overwrite = f.choice('overwrite flag', ['0', '1']);
  f.end();
  const lmks = device.lmks;
  if (overwrite === '0' && device.getKey(index)) throw new HostError('14', `index ${idx(index)} already holds a key; send overwrite flag 1 to replace it or delete it first`);
  const key = newKey(scheme);
  try {
    const kcv = keyKcv(scheme, key);
    device.putKey({ index, type, scheme, lmkKey: lmks.wrap(type, scheme, key), kcv });
    return kcv;
  } finally {
    wipe(key);
  }
};

function stored({ device }: Parameters<Handler>[0], index: number) {
  void device.lmks; // the getter refuses with 13 on a factory device
  const k = device.getKey(index);
  if (!k) throw new HostError('12', `no key stored at index ${idx(index)}`);
  return k;
}

export const X2: Handler = (ctx, f) => {
  const index = readIndex(f);
  f.end();
  const k = stored(ctx, index);
  return k.type + k.scheme + k.kcv;
};

export const X4: Handler = ({ device }, f) => {
  const from = f.remaining > 0 ? readIndex(f) : 1;
  f.end();
  const all = device.state.keys.filter((k) => k.index >= from);
  const page = all.slice(0, LIST_MAX);
  return String(page.length).padStart(3, '0') + (all.length > page.length ? '1' : '0') + page.map((k) => idx(k.index) + k.type + k.scheme + k.kcv).join('');
};

export const X6: Handler = (ctx, f) => {
  const index = readIndex(f);
  f.end();
  stored(ctx, index);
  ctx.device.deleteKey(index);
  return '';
};

export const X8: Handler = ({ device }, f) => {
  f.end();
  const v = device.dmkKcv();
  if (!v) throw new HostError('13', 'device not initialized: no DMK; run original init or recovery init');
  return v;
};
