/**
 * General data encryption: S3/S4 (binary data) and D3/D4 (hex data) of the SJJ1310, and the
 * payShield-style M0/M2 (ECB/CBC, no padding) under a ZEK.
 */
import { hex, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import type { KeyTypeCode } from '../../device/keytypes.ts';
import { blockSizeOf, familyOf } from '../../device/keytypes.ts';
import { type Mode, run } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler, HostContext } from '../handler.ts';
import { readKeyRef, readKeyType, resolveKey } from '../keyref.ts';
import { derive, readDerivation } from './derive.ts';
import { pad, padMode, unpad } from './padding.ts';

const MODES: readonly Mode[] = ['ecb', 'cbc', 'cfb', 'ofb'];

/**
 * Key types S3/S4 and D3/D4 accept (the SDK's list: KEK MDK MK-SMC ZEK/DEK TEK EDK) less the
 * KEK: general encryption under a key-encrypting key would turn keys under it into clear keys.
 */
export const DATA_KEY_TYPES: readonly KeyTypeCode[] = ['00A', '00B', '007', '109', '309'];

/** The algorithm mode 2N (00 ECB, 01 CBC, 02 CFB, 03 OFB); others → 03. */
export function readMode(f: Fields): Mode {
  const m = f.digits(2, 'algorithm mode', '03');
  if (m > 3) throw new HostError('03', `algorithm mode ${m} is not 00 (ECB), 01 (CBC), 02 (CFB) or 03 (OFB)`);
  return MODES[m];
}

/** The IV: the rest of the request, 2 × block size hex digits (only when the mode is not ECB). */
export function readIv(f: Fields, mode: Mode, block: number): Buffer | null {
  if (mode === 'ecb') return null;
  if (f.remaining !== 2 * block) throw new HostError('15', `IV must be ${2 * block} hex digits for a key of ${block}-byte blocks (${f.remaining} sent)`);
  return f.hex(2 * block, 'IV');
}

function crypt(ctx: HostContext, f: Fields, encrypt: boolean, hexData: boolean): Buffer {
  const mode = readMode(f);
  const type = readKeyType(f, DATA_KEY_TYPES);
  const ref = readKeyRef(f, 'key');
  const derivation = readDerivation(f);
  const padding = padMode(f.hexNumber(2, 'padding mode'));
  const n = f.hexNumber(4, 'data length');
  const data = hexData ? f.hex(2 * n, 'data') : f.bytes(n, 'data');
  const base = resolveKey(ctx.device, type, ref);
  const k = derive(base, derivation);
  try {
    const block = blockSizeOf(k.flag);
    const iv = readIv(f, mode, block);
    f.end();
    const stream = mode === 'cfb' || mode === 'ofb';
    let out: Buffer;
    if (encrypt) {
      out = run(familyOf(k.flag), k.key, mode, true, iv, pad(padding, data, block, stream));
    } else {
      if (!stream && data.length % block !== 0) throw new HostError('15', `cipher data must be a whole number of ${block}-byte blocks`);
      out = unpad(padding, run(familyOf(k.flag), k.key, mode, false, iv, data), block);
    }
    const len = out.length.toString(16).toUpperCase().padStart(4, '0');
    if (out.length > 0xffff) throw new HostError('80', 'answer would be too long');
    return Buffer.concat([Buffer.from(len, 'latin1'), hexData ? Buffer.from(hex(out), 'latin1') : out]);
  } finally {
    wipe(k.key);
  }
}

export const S3: Handler = (ctx, f) => crypt(ctx, f, true, false);
export const S4: Handler = (ctx, f) => crypt(ctx, f, false, false);
export const D3: Handler = (ctx, f) => crypt(ctx, f, true, true);
export const D4: Handler = (ctx, f) => crypt(ctx, f, false, true);

/** Reads a message length (4H) and the message in the given format (payShield style). */
export function readMessage(f: Fields, format: '0' | '1'): Buffer {
  const n = f.hexNumber(4, 'message length');
  if (format === '1') {
    if (n % 2 !== 0) throw new HostError('80', 'hex message length must be even');
    return f.hex(n, 'message');
  }
  return f.bytes(n, 'message');
}

/** payShield-style M0/M2: mode 00/01, in/out format, type 00A, key, [IV], length 4H, message. */
function payShieldCrypt(ctx: HostContext, f: Fields, encrypt: boolean): Buffer {
  const mode = f.text(2, 'mode flag');
  if (mode !== '00' && mode !== '01') throw new HostError('03', 'mode flag must be 00 (ECB) or 01 (CBC)');
  const inFormat = f.choice('input format flag', ['0', '1']);
  const outFormat = f.choice('output format flag', ['0', '1']);
  readKeyType(f, ['00A']);
  const ref = readKeyRef(f, 'ZEK');
  const { flag, key } = resolveKey(ctx.device, '00A', ref);
  try {
    const block = blockSizeOf(flag);
    const iv = mode === '01' ? f.hex(block * 2, 'IV') : null;
    const message = readMessage(f, inFormat);
    f.end();
    if (message.length === 0 || message.length % block !== 0) throw new HostError('80', `message must be a whole number of ${block}-byte blocks`);
    const out = run(familyOf(flag), key, iv ? 'cbc' : 'ecb', encrypt, iv, message);
    const chain = encrypt ? out : message;
    const ivOut = iv ? hex(chain.subarray(chain.length - block)) : '';
    const body = outFormat === '1' ? Buffer.from(hex(out), 'latin1') : out;
    if (body.length > 0xffff) throw new HostError('80', 'answer would be too long');
    const len = body.length.toString(16).toUpperCase().padStart(4, '0');
    return Buffer.concat([Buffer.from(ivOut + len, 'latin1'), body]);
  } finally {
    wipe(key);
  }
}

export const M0: Handler = (ctx, f) => payShieldCrypt(ctx, f, true);
export const M2: Handler = (ctx, f) => payShieldCrypt(ctx, f, false);
