/** CC: translate a PIN block (ISO 9564 format 0) from one ZPK to another. */
import { hex, wipe, xorBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { algorithmOf, type KeyScheme } from '../../device/keytypes.ts';
import { ecb } from '../cipher.ts';
import type { Handler } from '../handler.ts';
import { readKeyRef, resolveKey } from '../keyref.ts';

const FILLER = Buffer.alloc(8, 0xff);

function panField(account: string): Buffer {
  return Buffer.from(`0000${account}`, 'hex');
}

/** Clear format-0 block → PIN length (validated); the PIN itself never leaves this function. */
function checkFormat0(clear: Buffer, account: string, maxLength: number): number {
  const pinField = xorBytes(clear, panField(account));
  try {
    const h = hex(pinField);
    const len = parseInt(h[1], 16);
    if (h[0] !== '0' || len < 4 || len > 12) throw new HostError('20', 'PIN block does not contain valid values (format 0 control or length)');
    if (!/^[0-9]+$/.test(h.slice(2, 2 + len)) || !/^F*$/.test(h.slice(2 + len))) {
      throw new HostError('20', 'PIN block does not contain valid values (wrong ZPK or account number?)');
    }
    if (len > maxLength) throw new HostError('24', `PIN is longer than the maximum PIN length ${maxLength}`);
    return len;
  } finally {
    wipe(pinField);
  }
}

function blockFor(scheme: KeyScheme): number {
  return algorithmOf(scheme) === 'SM4' ? 16 : 8;
}

export const CC: Handler = (ctx, f) => {
  const srcRef = readKeyRef(f, 'source ZPK');
  const dstRef = readKeyRef(f, 'destination ZPK');
  const maxLength = f.digits(2, 'maximum PIN length');
  if (maxLength < 4 || maxLength > 12) throw new HostError('15', 'maximum PIN length must be 04-12');
  const src = resolveKey(ctx.device, '001', srcRef);
  let dst: ReturnType<typeof resolveKey> | undefined;
  let clear: Buffer | undefined;
  try {
    dst = resolveKey(ctx.device, '001', dstRef);
    const block = f.hex(blockFor(src.scheme) * 2, 'source PIN block');
    const srcFormat = f.digits(2, 'source PIN block format');
    const dstFormat = f.digits(2, 'destination PIN block format');
    const account = f.text(12, 'account number');
    f.end();
    if (!/^[0-9]{12}$/.test(account)) throw new HostError('15', 'account number must be 12 digits');
    if (srcFormat !== 1 || dstFormat !== 1) throw new HostError('23', 'only PIN block format 01 (ISO 9564 format 0) is supported');
    clear = ecb(src.scheme, false, src.key, block);
    if (clear.length === 16 && !clear.subarray(8).equals(FILLER)) {
      throw new HostError('20', 'PIN block does not contain valid values (SM4 filler is not FF; wrong ZPK?)');
    }
    const fmt0 = clear.subarray(0, 8);
    const len = checkFormat0(fmt0, account, maxLength);
    const outClear = blockFor(dst.scheme) === 16 ? Buffer.concat([fmt0, FILLER]) : Buffer.from(fmt0);
    const out = ecb(dst.scheme, true, dst.key, outClear);
    wipe(outClear);
    return String(len).padStart(2, '0') + hex(out) + '01';
  } finally {
    wipe(src.key, dst?.key, clear);
  }
};
