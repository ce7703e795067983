/**
 * MACs: S0 (binary data), D0/D1 (hex data) of the SJJ1310 with ISO/IEC 9797-1 MAC algorithms
 * 1 and 3, and the payShield-style M6/M8.
 */
import { constantTimeEqual, hex, wipe, xorBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { type KeyTypeCode, blockSizeOf, familyOf } from '../../device/keytypes.ts';
import { ecb, run } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler, HostContext } from '../handler.ts';
import { type ClearKey, readKeyRef, readKeyType, requireFlags, resolveKey } from '../keyref.ts';
import { readMessage } from './data.ts';
import { derive, readDerivation } from './derive.ts';
import { type PadMode, pad, padMode } from './padding.ts';

/**
 * Key types S0/D0/D1 accept (the SDK's list: MDK MK-SMI KEK KMC ZAK TAK) less the KEK: a
 * CBC-MAC of one block under a key-encrypting key is an encryption under it.
 */
export const MAC_KEY_TYPES: readonly KeyTypeCode[] = ['008', '003', '109', '209', '011'];

/**
 * ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC with the whole key; the IV is the initial chaining
 * value) or 3 (retail MAC: single DES under K1 over every block, 3DES K1K2 on the last; X/U only).
 * `data` is already padded. Returns the last chaining block.
 */
export function macBlock(alg: 1 | 3, k: ClearKey, iv: Buffer, data: Buffer): Buffer {
  const family = familyOf(k.flag);
  const block = blockSizeOf(k.flag);
  if (alg === 1) {
    const c = run(family, k.key, 'cbc', true, iv, data);
    return c.subarray(c.length - block);
  }
  requireFlags(k, ['X', 'U'], 'MAC algorithm 3 (retail MAC)');
  const k1 = k.key.subarray(0, 8);
  let h: Buffer = Buffer.from(iv);
  for (let off = 0; off < data.length - 8; off += 8) h = ecb('DES', k1, true, xorBytes(h, data.subarray(off, off + 8)));
  return ecb('DES', k.key, true, xorBytes(h, data.subarray(data.length - 8)));
}

/**
 * MAC value type 2N: the last digit is the MAC length in bytes (1-8); a tens digit of 0 takes
 * the leftmost bytes of the last block, 1 the rightmost (e.g. 08 → 16H, 04 → 8H, 16 → the
 * rightmost 6 bytes, 12H). Others → 35.
 */
export function macValue(valueType: number, last: Buffer): string {
  const n = valueType % 10;
  const side = Math.floor(valueType / 10);
  if (n < 1 || n > 8 || side > 1 || n > last.length) throw new HostError('35', `MAC value type ${String(valueType).padStart(2, '0')} is not 01-08 or 11-18`);
  return hex(side === 0 ? last.subarray(0, n) : last.subarray(last.length - n));
}

interface MacRequest {
  alg: 1 | 3;
  valueType: number;
  key: ClearKey;
  padding: PadMode;
  data: Buffer;
  iv: Buffer;
}

/** Fields shared by S0, D0, D1, up to and including the IV (the MAC of D1 follows). */
function readMacRequest(ctx: HostContext, f: Fields, hexData: boolean, trailing: (valueType: number) => number): MacRequest {
  const algN = f.digits(2, 'MAC algorithm', '34');
  if (algN !== 1 && algN !== 3) throw new HostError('34', `MAC algorithm ${algN} is not 01 or 03`);
  const valueType = f.digits(2, 'MAC value type', '35');
  const type = readKeyType(f, MAC_KEY_TYPES);
  const ref = readKeyRef(f, 'key');
  const derivation = readDerivation(f);
  const padding = padMode(f.digits(2, 'padding mode', '39'));
  const n = f.hexNumber(4, 'data length');
  const data = hexData ? f.hex(2 * n, 'data') : Buffer.from(f.bytes(n, 'data'));
  const key = derive(resolveKey(ctx.device, type, ref), derivation);
  try {
    const block = blockSizeOf(key.flag);
    const after = trailing(valueType);
    if (f.remaining !== 2 * block + after) throw new HostError('15', `IV must be ${2 * block} hex digits for a key of ${block}-byte blocks`);
    const iv = f.hex(2 * block, 'IV');
    return { alg: algN, valueType, key, padding, data, iv };
  } catch (e) {
    wipe(key.key);
    throw e;
  }
}

function computeMac(r: MacRequest): string {
  const block = blockSizeOf(r.key.flag);
  return macValue(r.valueType, macBlock(r.alg, r.key, r.iv, pad(r.padding, r.data, block)));
}

function macOnly(hexData: boolean): Handler {
  return (ctx, f) => {
    const r = readMacRequest(ctx, f, hexData, () => 0);
    try {
      f.end();
      return computeMac(r);
    } finally {
      wipe(r.key.key);
    }
  };
}

export const S0: Handler = macOnly(false);
export const D0: Handler = macOnly(true);

/** D1 verify: the MAC (2 × value-type length hex) follows the IV. A mismatch → 90 (see docs). */
export const D1: Handler = (ctx, f) => {
  const r = readMacRequest(ctx, f, true, (vt) => 2 * (vt % 10));
  try {
    const given = f.hex(f.remaining, 'MAC');
    f.end();
    const expect = Buffer.from(computeMac(r), 'hex');
    if (!constantTimeEqual(given, expect)) throw new HostError('90', 'MAC verification failed');
    return '';
  } finally {
    wipe(r.key.key);
  }
};

interface PayShieldMac {
  macHexLength: number;
  algorithm: 1 | 3;
  padding: '0' | '1' | '2';
  key: ClearKey;
  message: Buffer;
}

function readPayShieldMac(ctx: HostContext, f: Fields): PayShieldMac {
  f.choice('mode flag', ['0']);
  const format = f.choice('input format flag', ['0', '1']);
  const size = f.choice('MAC size', ['0', '1']);
  const algorithm = f.choice('MAC algorithm', ['1', '3'], '34');
  const padding = f.choice('padding method', ['0', '1', '2'], '39');
  readKeyType(f, ['008']);
  const ref = readKeyRef(f, 'ZAK');
  const message = readMessage(f, format);
  const key = resolveKey(ctx.device, '008', ref);
  return { macHexLength: size === '0' ? 8 : 16, algorithm: algorithm === '1' ? 1 : 3, padding, key, message };
}

/** payShield paddings: 0 none, 1 zeros (ISO 9797-1 method 1), 2 ISO 9797-1 method 2. */
function payShieldMac(r: PayShieldMac): string {
  const block = blockSizeOf(r.key.flag);
  if (r.padding === '0' && (r.message.length === 0 || r.message.length % block !== 0)) {
    throw new HostError('80', `with padding method 0 the message must be a whole number of ${block}-byte blocks`);
  }
  const mode: PadMode = r.padding === '0' ? 5 : r.padding === '1' ? 2 : 1;
  return hex(macBlock(r.algorithm, r.key, Buffer.alloc(block), pad(mode, r.message, block))).slice(0, r.macHexLength);
}

export const M6: Handler = (ctx, f) => {
  const r = readPayShieldMac(ctx, f);
  try {
    f.end();
    return payShieldMac(r);
  } finally {
    wipe(r.key.key);
  }
};

export const M8: Handler = (ctx, f) => {
  const r = readPayShieldMac(ctx, f);
  try {
    const given = f.hex(r.macHexLength, 'MAC');
    f.end();
    if (!constantTimeEqual(given, Buffer.from(payShieldMac(r), 'hex'))) throw new HostError('01', 'MAC verification failed');
    return '';
  } finally {
    wipe(r.key.key);
  }
};

/**
 * `MU` + `0110` + ZAK + len 4H + data → 16H: the UnionPay (银联) POS "ECB" MAC. X = XOR of the
 * zero-padded 8-byte blocks; its 16 hex characters A; E(E(A[0..8]) XOR A[8..16]) under the
 * DES-family key. The SDK's String overload sends the data (binary), its byte[] overload sends
 * X already as its 16 hex characters: 16 bytes that are all hex characters are taken as A.
 * `0110` is what the SDK sends; its meaning is not known, so nothing else is accepted.
 */
export const MU: Handler = (ctx, f) => {
  if (f.text(4, 'MU mode') !== '0110') throw new HostError('15', 'MU mode must be 0110 (as the SDK sends it)');
  const ref = readKeyRef(f, 'ZAK');
  const n = f.hexNumber(4, 'data length');
  const data = Buffer.from(f.bytes(n, 'data'));
  f.end();
  const k = resolveKey(ctx.device, '008', ref);
  try {
    if (familyOf(k.flag) !== 'DES') throw new HostError('26', `the UnionPay MAC needs a DES-family ZAK, not flag ${k.flag}`);
    let ascii: Buffer;
    if (data.length === 16 && /^[0-9A-Fa-f]{16}$/.test(data.toString('latin1'))) {
      ascii = Buffer.from(data.toString('latin1').toUpperCase(), 'latin1');
    } else {
      let x: Buffer = Buffer.alloc(8);
      const padded = pad(2, data, 8);
      for (let off = 0; off < padded.length; off += 8) x = xorBytes(x, padded.subarray(off, off + 8));
      ascii = Buffer.from(hex(x), 'latin1');
    }
    const e1 = ecb('DES', k.key, true, ascii.subarray(0, 8));
    return hex(ecb('DES', k.key, true, xorBytes(e1, ascii.subarray(8, 16))));
  } finally {
    wipe(k.key);
  }
};
