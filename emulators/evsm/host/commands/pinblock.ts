/**
 * PIN blocks, ISO 9564-1 format 0 (the SDK's format 01), on 8-byte blocks (DES-family keys)
 * and on 16-byte blocks (SM4, AES). The 16-byte form is the UnionPay-style extension of format 0
 * (docs/host-protocol.md 2.9): PIN field `0` + L + PIN + `F` fill to 32 nibbles, XOR a PAN field
 * of 20 zero nibbles + the 12 account digits. Clear PINs never leave this module except as a
 * length; the buffers that held them are wiped.
 */
import { randomInt } from 'node:crypto';
import { wipe, xorBytes } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';

export const FORMAT_0 = 1;

/** The 12 account digits a PIN block uses: 12 as given, or the rightmost 12 before the check digit. */
export function accountDigits(account: string): string {
  if (!/^[0-9]{12,19}$/.test(account)) throw new HostError('22', 'account must be 12-19 digits (12 = the account digits themselves, more = the whole PAN)');
  return account.length === 12 ? account : account.slice(-13, -1);
}

function panField(account12: string, block: number): Buffer {
  return Buffer.from(account12.padStart(2 * block, '0'), 'hex');
}

export function checkFormat(fmt: number): void {
  if (fmt !== FORMAT_0) throw new HostError('23', `PIN block format ${String(fmt).padStart(2, '0')} is not supported; use 01 (ISO 9564 format 0)`);
}

/** Clear PIN digits → clear PIN block of `block` bytes (8 or 16). Caller wipes. */
export function buildBlock(pin: Buffer, account12: string, block: number): Buffer {
  if (pin.length < 4 || pin.length > 12) throw new HostError('24', 'a PIN has 4-12 digits');
  const field = Buffer.alloc(block, 0xff);
  field[0] = pin.length;
  for (let i = 0; i < pin.length; i++) {
    const d = pin[i] - 0x30;
    const nib = 2 + i;
    field[nib >> 1] = nib & 1 ? (field[nib >> 1] & 0xf0) | d : (d << 4) | (field[nib >> 1] & 0x0f);
  }
  try {
    return xorBytes(field, panField(account12, block));
  } finally {
    wipe(field);
  }
}

/** Clear PIN block → PIN digits (ASCII), validated (20 when not a format-0 block for this account). Caller wipes. */
export function parseBlock(clear: Buffer, account12: string, maxLength = 12): Buffer {
  const field = xorBytes(clear, panField(account12, clear.length));
  try {
    const len = field[0] & 0x0f;
    if (field[0] >> 4 !== 0 || len < 4 || len > 12) throw new HostError('20', 'PIN block does not contain valid values (format 0 control or length): wrong key or account?');
    const pin = Buffer.alloc(len);
    for (let i = 0; i < 2 * clear.length - 2; i++) {
      const nib = 2 + i;
      const v = nib & 1 ? field[nib >> 1] & 0x0f : field[nib >> 1] >> 4;
      if (i < len ? v > 9 : v !== 0xf) {
        wipe(pin);
        throw new HostError('20', 'PIN block does not contain valid values: wrong key or account?');
      }
      if (i < len) pin[i] = 0x30 + v;
    }
    if (len > maxLength) {
      wipe(pin);
      throw new HostError('24', `PIN is longer than the maximum PIN length ${maxLength}`);
    }
    return pin;
  } finally {
    wipe(field);
  }
}

/** A random PIN of n digits. Caller wipes. */
export function randomPin(n: number): Buffer {
  if (n < 4 || n > 12) throw new HostError('24', 'a PIN has 4-12 digits');
  const pin = Buffer.alloc(n);
  for (let i = 0; i < n; i++) pin[i] = 0x30 + randomInt(10);
  return pin;
}
