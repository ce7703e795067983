/** M0 encrypt, M2 decrypt data under a ZEK (ECB or CBC, no padding). */
import { hex, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { blockSize, cbc, ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler, HostContext } from '../handler.ts';
import { readKeyRef, readKeyType, resolveKey } from '../keyref.ts';
import { readMessage } from './mac.ts';

function crypt(ctx: HostContext, f: Fields, encrypt: boolean): Buffer {
  const mode = f.text(2, 'mode flag');
  if (mode !== '00' && mode !== '01') throw new HostError('15', 'mode flag must be 00 (ECB) or 01 (CBC)');
  const inFormat = f.choice('input format flag', ['0', '1']);
  const outFormat = f.choice('output format flag', ['0', '1']);
  readKeyType(f, ['00A']);
  const ref = readKeyRef(f, 'ZEK');
  const { scheme, key } = resolveKey(ctx.device, '00A', ref);
  try {
    const block = blockSize(scheme);
    const iv = mode === '01' ? f.hex(block * 2, 'IV') : undefined;
    const message = readMessage(f, inFormat);
    f.end();
    if (message.length === 0 || message.length % block !== 0) throw new HostError('80', `message must be a whole number of ${block}-byte blocks`);
    const out = iv ? cbc(scheme, encrypt, key, iv, message) : ecb(scheme, encrypt, key, message);
    const chain = encrypt ? out : message;
    const ivOut = iv ? hex(chain.subarray(chain.length - block)) : '';
    const body = outFormat === '1' ? Buffer.from(hex(out), 'latin1') : out;
    const len = body.length.toString(16).toUpperCase().padStart(4, '0');
    if (body.length > 0xffff) throw new HostError('80', 'answer would be too long');
    return Buffer.concat([Buffer.from(ivOut + len, 'latin1'), body]);
  } finally {
    wipe(key);
  }
}

export const M0: Handler = (ctx, f) => crypt(ctx, f, true);
export const M2: Handler = (ctx, f) => crypt(ctx, f, false);
