/**
 * CW generate / CY verify a Visa CVV (also CVC, CVV2 with service code 000) under a
 * double-length DES CVK (type 402, flag X or U). Standard algorithm: PAN || expiry || service
 * code, zero-filled to 32 nibbles; DES(KA) on the first 8 bytes, XOR the second 8, 3DES(KA,KB);
 * decimalize (digits first, then A-F minus 10) and keep 3 digits.
 */
import { constantTimeEqual, wipe, xorBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { type ClearKey, readKeyRef, requireFlags, resolveKey } from '../keyref.ts';

export function visaCvv(cvk: Buffer, pan: string, expiry: string, service: string): string {
  const data = Buffer.from((pan + expiry + service).padEnd(32, '0'), 'hex');
  const a = ecb('DES', cvk.subarray(0, 8), true, data.subarray(0, 8));
  const r = ecb('DES', cvk, true, xorBytes(a, data.subarray(8, 16)));
  const h = r.toString('hex').toUpperCase();
  const digits = [...h].filter((c) => c <= '9').join('') + [...h].filter((c) => c > '9').map((c) => String(c.charCodeAt(0) - 65)).join('');
  return digits.slice(0, 3);
}

interface Card {
  pan: string;
  expiry: string;
  service: string;
}

/** PAN (up to `;`) + `;` + expiry 4N + service code 3N, after the key (and CY's CVV). */
function readCard(f: Fields): Card {
  const rest = f.rest().toString('latin1');
  const m = /^([0-9]{1,19});([0-9]{4})([0-9]{3})$/.exec(rest);
  if (!m) {
    if (!/^[0-9]{1,19};/.test(rest)) throw new HostError('22', 'account (PAN) must be 1-19 digits followed by ;');
    throw new HostError('15', 'expiry must be 4 digits and the service code 3 digits after the ;');
  }
  if (m[1].length + 7 > 32) throw new HostError('22', 'PAN too long for the CVV data block');
  return { pan: m[1], expiry: m[2], service: m[3] };
}

function cvk(ctx: Parameters<Handler>[0], f: Fields): ClearKey {
  const k = resolveKey(ctx.device, '402', readKeyRef(f, 'CVK'));
  try {
    requireFlags(k, ['X', 'U'], 'the Visa CVV');
  } catch (e) {
    wipe(k.key);
    throw e;
  }
  return k;
}

/** `CW` + CVK + PAN + `;` + expiry 4N + service 3N → CVV 3N. */
export const CW: Handler = (ctx, f) => {
  const k = cvk(ctx, f);
  try {
    const card = readCard(f);
    return visaCvv(k.key, card.pan, card.expiry, card.service);
  } finally {
    wipe(k.key);
  }
};

/** `CY` + CVK + CVV 3N + PAN + `;` + expiry + service → `CZ00`, or 01 when the CVV differs. */
export const CY: Handler = (ctx, f) => {
  const k = cvk(ctx, f);
  try {
    const given = f.text(3, 'CVV');
    if (!/^[0-9]{3}$/.test(given)) throw new HostError('15', 'CVV must be 3 digits');
    const card = readCard(f);
    const expect = visaCvv(k.key, card.pan, card.expiry, card.service);
    if (!constantTimeEqual(Buffer.from(given), Buffer.from(expect))) throw new HostError('01', 'CVV verification failed');
    return '';
  } finally {
    wipe(k.key);
  }
};
