/** M6 generate MAC, M8 verify MAC (ISO 9797-1 algorithms 1 and 3, paddings 0/1/2). */
import { constantTimeEqual, hex, padIso9797M2, tdesEcbEncrypt, wipe, xorBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { algorithmOf } from '../../device/keytypes.ts';
import { blockSize, cbc } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler, HostContext } from '../handler.ts';
import { type ClearKey, readKeyRef, readKeyType, resolveKey } from '../keyref.ts';

interface MacRequest {
  macHexLength: number;
  algorithm: '1' | '3';
  padding: '0' | '1' | '2';
  key: ClearKey;
  message: Buffer;
}

/** Reads a message length (4H) and the message in the given format. */
export function readMessage(f: Fields, format: '0' | '1'): Buffer {
  const n = f.hexNumber(4, 'message length');
  if (format === '1') {
    if (n % 2 !== 0) throw new HostError('80', 'hex message length must be even');
    return f.hex(n, 'message');
  }
  return f.bytes(n, 'message');
}

function readMacRequest(ctx: HostContext, f: Fields): MacRequest {
  f.choice('mode flag', ['0']);
  const format = f.choice('input format flag', ['0', '1']);
  const size = f.choice('MAC size', ['0', '1']);
  const algorithm = f.choice('MAC algorithm', ['1', '3']);
  const padding = f.choice('padding method', ['0', '1', '2']);
  readKeyType(f, ['008']);
  const ref = readKeyRef(f, 'ZAK');
  const message = readMessage(f, format);
  const key = resolveKey(ctx.device, '008', ref);
  return { macHexLength: size === '0' ? 8 : 16, algorithm, padding, key, message };
}

function pad(data: Buffer, method: '0' | '1' | '2', block: number): Buffer {
  if (method === '2') return padIso9797M2(data, block);
  if (method === '1') {
    const n = data.length === 0 ? block : Math.ceil(data.length / block) * block;
    const out = Buffer.alloc(n);
    data.copy(out);
    return out;
  }
  if (data.length === 0 || data.length % block !== 0) throw new HostError('80', `with padding method 0 the message must be a whole number of ${block}-byte blocks`);
  return data;
}

export function computeMac(r: MacRequest): string {
  const block = blockSize(r.key.scheme);
  const data = pad(r.message, r.padding, block);
  let mac: Buffer;
  if (r.algorithm === '1') {
    const c = cbc(r.key.scheme, true, r.key.key, Buffer.alloc(block), data);
    mac = c.subarray(c.length - block);
  } else {
    if (algorithmOf(r.key.scheme) !== '3DES' || r.key.key.length !== 16) {
      throw new HostError('26', 'MAC algorithm 3 (retail MAC) needs a double-length 3DES ZAK');
    }
    // Retail MAC: single-DES CBC under K1 over all blocks but the last, then 3DES(K1,K2) on the last.
    const k1 = r.key.key.subarray(0, 8);
    const single = Buffer.concat([k1, k1]);
    let h: Buffer = Buffer.alloc(8);
    for (let off = 0; off < data.length - 8; off += 8) h = tdesEcbEncrypt(single, xorBytes(h, data.subarray(off, off + 8)));
    mac = tdesEcbEncrypt(r.key.key, xorBytes(h, data.subarray(data.length - 8)));
    wipe(single);
  }
  return hex(mac).slice(0, r.macHexLength);
}

export const M6: Handler = (ctx, f) => {
  const r = readMacRequest(ctx, f);
  try {
    f.end();
    return computeMac(r);
  } finally {
    wipe(r.key.key);
  }
};

export const M8: Handler = (ctx, f) => {
  const r = readMacRequest(ctx, f);
  try {
    const given = f.hex(r.macHexLength, 'MAC');
    f.end();
    const expect = Buffer.from(computeMac(r), 'hex');
    if (!constantTimeEqual(given, expect)) throw new HostError('01', 'MAC verification failed');
    return '';
  } finally {
    wipe(r.key.key);
  }
};
