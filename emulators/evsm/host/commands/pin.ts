/**
 * PIN commands: CC translate ZPK→ZPK, TI translate (ZPK or TPK), BA encrypt a clear PIN under
 * the LMK, JA random PIN under the LMK, JE ZPK→LMK, JG LMK→ZPK. A PIN under the LMK is 32H:
 * SM4-ECB under the device's PIN LMK of the 16-byte format-0 block bound to the account
 * (docs/host-protocol.md 2.9), so it can be translated to any ZPK.
 */
import { fromHex, hex, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import type { Device } from '../../device/device.ts';
import { type KeyTypeCode, blockSizeOf, familyOf } from '../../device/keytypes.ts';
import { ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { type ClearKey, readKeyRef, resolveKey } from '../keyref.ts';
import { accountDigits, buildBlock, checkFormat, parseBlock, randomPin } from './pinblock.ts';

const two = (n: number): string => String(n).padStart(2, '0');

function pinLmk(device: Device): Buffer {
  return device.lmks.lmk('PIN', 'SM4');
}

/** Clear PIN → PIN under the LMK (32H). */
function toLmk(device: Device, pin: Buffer, account12: string): string {
  const clear = buildBlock(pin, account12, 16);
  try {
    return hex(ecb('SM4', pinLmk(device), true, clear));
  } finally {
    wipe(clear);
  }
}

/** PIN under the LMK (32H) → clear PIN (20 when it is not a PIN of this account). Caller wipes. */
function fromLmk(device: Device, field: string, account12: string): Buffer {
  if (!/^[0-9A-Fa-f]{32}$/.test(field)) throw new HostError('15', 'a PIN under the LMK is 32 hex digits');
  const clear = ecb('SM4', pinLmk(device), false, fromHex(field));
  try {
    return parseBlock(clear, account12);
  } finally {
    wipe(clear);
  }
}

/** Encrypted PIN block under a PIN key → clear PIN. Caller wipes. */
function openBlock(k: ClearKey, block: Buffer, account12: string, maxLength?: number): Buffer {
  const clear = ecb(familyOf(k.flag), k.key, false, block);
  try {
    return parseBlock(clear, account12, maxLength);
  } finally {
    wipe(clear);
  }
}

/** Clear PIN → PIN block under a PIN key (16H for DES keys, 32H for SM4/AES). */
function sealBlock(k: ClearKey, pin: Buffer, account12: string): string {
  const clear = buildBlock(pin, account12, blockSizeOf(k.flag));
  try {
    return hex(ecb(familyOf(k.flag), k.key, true, clear));
  } finally {
    wipe(clear);
  }
}

function readPinBlock(f: Fields, k: ClearKey): Buffer {
  return f.hex(2 * blockSizeOf(k.flag), 'PIN block', '20');
}

function readMaxLength(f: Fields): number {
  const max = f.digits(2, 'maximum PIN length', '24');
  if (max < 4 || max > 12) throw new HostError('24', 'maximum PIN length must be 04-12');
  return max;
}

/** Runs `body` and wipes every clear key and PIN it registered, whatever happens. */
function withWipe<T>(body: (keep: <B extends { key: Buffer } | Buffer>(b: B) => B) => T): T {
  const held: Buffer[] = [];
  try {
    return body((b) => {
      held.push(Buffer.isBuffer(b) ? b : b.key);
      return b;
    });
  } finally {
    wipe(...held);
  }
}

/** `CC` + src ZPK + dst ZPK + max 2N + PIN block + src fmt 2N + dst fmt 2N + account → PIN len 2N + block + fmt 2N. */
export const CC: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const srcRef = readKeyRef(f, 'source ZPK');
    const dstRef = readKeyRef(f, 'destination ZPK');
    const max = readMaxLength(f);
    const src = keep(resolveKey(device, '001', srcRef));
    const block = readPinBlock(f, src);
    const srcFmt = f.digits(2, 'source PIN block format', '23');
    const dstFmt = f.digits(2, 'destination PIN block format', '23');
    const account = accountDigits(f.rest().toString('latin1'));
    checkFormat(srcFmt);
    checkFormat(dstFmt);
    const dst = keep(resolveKey(device, '001', dstRef));
    const pin = keep(openBlock(src, block, account, max));
    return two(pin.length) + sealBlock(dst, pin, account) + two(dstFmt);
  });

/** TI key kind: 1 = ZPK (001), 2 = TPK (002). */
function readPinKey(device: Device, f: Fields, name: string): ClearKey {
  const kind = f.choice(`${name} kind`, ['1', '2'], '04');
  const type: KeyTypeCode = kind === '1' ? '001' : '002';
  return resolveKey(device, type, readKeyRef(f, name));
}

/**
 * `TI` + src kind 1N + src key + dst kind 1N + dst key + max 2N + PIN block + src fmt 2N +
 * src account 12N + dst fmt 2N + dst account 12N → the PIN block alone (16H or 32H). Unlike CC's
 * answer, no PIN length and no format: the SDK's transferPin refuses anything after the block
 * ("Response Buffer abnormal"), as found with the SDK on 2026-12-02.
 */
export const TI: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const src = keep(readPinKey(device, f, 'source key'));
    const dst = keep(readPinKey(device, f, 'destination key'));
    const max = readMaxLength(f);
    const block = readPinBlock(f, src);
    const srcFmt = f.digits(2, 'source PIN block format', '23');
    const srcAccount = accountDigits(f.text(12, 'source account'));
    const dstFmt = f.digits(2, 'destination PIN block format', '23');
    const dstAccount = accountDigits(f.text(12, 'destination account'));
    f.end();
    checkFormat(srcFmt);
    checkFormat(dstFmt);
    const pin = keep(openBlock(src, block, srcAccount, max));
    return sealBlock(dst, pin, dstAccount);
  });

/** `BA` + PIN + `F`… + account 12N → PIN under the LMK (32H). */
export const BA: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const all = keep(Buffer.from(f.rest()));
    if (all.length < 12 + 5) throw new HostError('15', 'BA is the PIN, F padding and 12 account digits');
    const account = accountDigits(all.subarray(all.length - 12).toString('latin1'));
    const field = all.subarray(0, all.length - 12);
    let n = 0;
    while (n < field.length && field[n] >= 0x30 && field[n] <= 0x39) n++;
    if (n === field.length || !field.subarray(n).every((b) => b === 0x46)) throw new HostError('15', 'the PIN field is the PIN digits followed by F padding');
    return toLmk(device, keep(Buffer.from(field.subarray(0, n))), account);
  });

/** `JA` + account 12N + PIN length 2N → a random PIN under the LMK (32H). */
export const JA: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const account = accountDigits(f.text(12, 'account'));
    const n = f.digits(2, 'PIN length', '24');
    f.end();
    void device.lmks;
    return toLmk(device, keep(randomPin(n)), account);
  });

/** `JE` + ZPK + PIN block + fmt 2N + account → PIN under the LMK (32H). */
export const JE: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const ref = readKeyRef(f, 'ZPK');
    const zpk = keep(resolveKey(device, '001', ref));
    const block = readPinBlock(f, zpk);
    const fmt = f.digits(2, 'PIN block format', '23');
    const account = accountDigits(f.rest().toString('latin1'));
    checkFormat(fmt);
    return toLmk(device, keep(openBlock(zpk, block, account)), account);
  });

/** `JG` + ZPK + fmt 2N + account 12N + PIN under the LMK (32H) → PIN block under the ZPK. */
export const JG: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const ref = readKeyRef(f, 'ZPK');
    const fmt = f.digits(2, 'PIN block format', '23');
    const account = accountDigits(f.text(12, 'account'));
    const field = f.rest().toString('latin1');
    checkFormat(fmt);
    const zpk = keep(resolveKey(device, '001', ref));
    return sealBlock(zpk, keep(fromLmk(device, field, account)), account);
  });

/**
 * `NG` + account 12N + PIN under the LMK (32H) → the clear PIN + `F` (the BA request's PIN
 * field). The SDK's decPinByZpk sends JE then NG. A real device answers NG only when authorized
 * (17 otherwise); this emulator is test equipment and always answers.
 */
export const NG: Handler = ({ device }, f) =>
  withWipe((keep) => {
    const account = accountDigits(f.text(12, 'account'));
    const field = f.rest().toString('latin1');
    const pin = keep(fromLmk(device, field, account));
    return Buffer.concat([pin, Buffer.from('F', 'latin1')]);
  });
