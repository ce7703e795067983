/**
 * MACs (sjj1310-wire.md §1): S0 on binary data (generalCalMAC / generalVerifyMAC), D0/D1 on hex
 * data (calMAC / verifyMAC), MU (the 银联 style generalCalMAC(key, data)), and the payShield-style
 * M6/M8 the emulator keeps.
 */
import { timingSafeEqual } from 'node:crypto';
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command, readerOf, statusCommand } from './command.ts';
import { commandError } from './codec.ts';
import { dec, disperField, hexLen4, keyRef, sessionField, type KeyUseArgs, type SdkKey } from './fields.ts';
import { keyTypeCode, type KeyType } from './key-types.ts';

export interface MacArgs extends KeyUseArgs {
  /** MAC algorithm: S0 and D1 take 1 or 3; D0 sends 01 for 1 and 03 for anything else (the SDK's rule). */
  algorithm: number;
  /** MAC value type 0-44; its last digit is the MAC length in bytes (0 = 16). */
  valueType: number;
  /** Pad flag, sent as 2 decimal digits. */
  padFlag: number;
  /** 16H or 32H, required. */
  iv: string | null | undefined;
}

/** MAC length in bytes for a value type: its last decimal digit, 0 meaning 16. */
export function macBytes(valueType: number): number {
  const d = valueType % 10;
  return d === 0 ? 16 : d;
}

function checkValueType(vt: number): void {
  if (!Number.isInteger(vt) || vt < 0 || vt > 44) throw new EvsmParameterError(`the value <${vt}> is error`);
}

function macPrefix(alg: string, a: MacArgs): string {
  return (
    alg +
    dec(a.valueType, 2) +
    keyTypeCode(a.keyType) +
    keyRef(a.key, 'key') +
    disperField(a.disperFactor) +
    sessionField(a.sessionKeyType ?? 0, a.sessionKeyFactor) +
    dec(a.padFlag, 2)
  );
}

/**
 * S0: MAC over binary data. Request: alg(2n) + valueType(2n) + keyType + key + disper + session +
 * pad(2n) + len(4H) + data + IV. Answer: the MAC as hex text; the first 2·N characters are taken
 * (N from the value type). Returned as the text (the String overload) — decode for the byte[] one.
 */
export function s0Mac(a: MacArgs, data: Buffer | null | undefined): WireCommand<string> {
  if (a.algorithm !== 1 && a.algorithm !== 3) throw new EvsmParameterError('algType error ...');
  checkValueType(a.valueType);
  if (a.iv === null || a.iv === undefined) throw new EvsmParameterError('IV length is error ... ');
  if (a.iv.length !== 16 && a.iv.length !== 32) throw new EvsmParameterError(`Value of parameter IV <${a.iv}> Invalid.`);
  if (!data || data.length === 0) throw new EvsmParameterError("Invalid null value of parameter 'inData'", -601);
  const n = macBytes(a.valueType);
  const fields: Array<string | Buffer> = [macPrefix(dec(a.algorithm, 2), a) + hexLen4(data.length, 'inData'), data, a.iv];
  return command('S0', 'MAC', true, fields, (r) => {
    // A 1-byte MAC is refused by the SDK too (it reports the MAC text as an error code).
    if (n === 1) r.fail('a 1-byte MAC (value type ending in 1) is not returned by the SDK');
    return r.text(2 * n, 'MAC');
  });
}

/** Constant-time, case-insensitive comparison of two MAC texts (generalVerifyMAC compares locally). */
export function macTextEquals(a: string, b: string): boolean {
  const x = Buffer.from(a.toUpperCase(), 'latin1');
  const y = Buffer.from(b.toUpperCase(), 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

function d0d1Fields(a: MacArgs, hex: string | null | undefined): string {
  checkValueType(a.valueType);
  if (!hex) throw new EvsmParameterError("Invalid null value of parameter 'inData'", -601);
  return macPrefix(a.algorithm === 1 ? '01' : '03', a) + hexLen4(Math.floor(hex.length / 2), 'inData') + hex;
}

/** D0: MAC over hex data; the whole answer (hex) is the MAC. */
export function d0Mac(a: MacArgs, hex: string | null | undefined): WireCommand<string> {
  const body = d0d1Fields(a, hex);
  const iv = a.iv ?? '';
  if (iv.length !== 16 && iv.length !== 32) throw new EvsmParameterError(`Length of parameter IV <${iv.length}> Invalid.`);
  return command('D0', 'MAC (hex data)', true, [body, iv], (r) => {
    const mac = r.restText();
    if (!/^[0-9A-Fa-f]+$/.test(mac)) r.fail(`MAC "${mac}" is not hex`);
    return mac;
  });
}

/**
 * D1: verify a MAC over hex data. `D200` → true; `D201` is not understood by the SDK (protocol
 * fault); any other error code → false.
 */
export function d1VerifyMac(a: MacArgs, hex: string | null | undefined, mac: string | null | undefined): WireCommand<boolean> {
  if (a.algorithm !== 1 && a.algorithm !== 3) throw new EvsmParameterError('algType error ...');
  if (a.iv === null || a.iv === undefined) throw new EvsmParameterError('IV length is error ... ');
  if (mac === null || mac === undefined) throw new EvsmParameterError('MAC length is error ...');
  const body = d0d1Fields(a, hex);
  if (a.iv.length !== 16 && a.iv.length !== 32) throw new EvsmParameterError(`Length of parameter IV <${a.iv.length}> Invalid.`);
  return statusCommand('D1', 'verify MAC (hex data)', true, [body, a.iv, mac], (s, host) => {
    if (s.errorCode === '00') return true;
    if (s.errorCode === '01') readerOf('D1', s.body, host).fail('answer D201 is not understood by the vendor SDK ("Response Buffer abnormal")');
    return false;
  });
}

/**
 * MU (generalCalMAC(key, data)): `0110` + key + len(4H) + data. The SDK zero-pads the data to whole
 * 8-byte blocks and XORs them locally; the String overload (hex data) sends the 8-byte result as
 * binary, the byte[] overload as 16 hex characters. Answer: the rest, verbatim.
 */
export function muMac(key: string, data: Buffer, sendAsHex: boolean): WireCommand<string> {
  const x = Buffer.alloc(8);
  for (let i = 0; i < data.length; i++) x[i % 8] ^= data[i];
  const payload = sendAsHex ? Buffer.from(x.toString('hex').toUpperCase(), 'latin1') : x;
  return command('MU', 'MAC (UnionPay)', true, ['0110', key, hexLen4(payload.length, 'data'), payload], (r) => {
    const mac = r.restText();
    if (mac === '') r.fail('no MAC in the answer');
    return mac;
  });
}

/** Options of the payShield-style M6/M8. */
export interface MacOptions {
  /** `1` ISO 9797-1 algorithm 1 (CBC-MAC, default), `3` retail MAC (3DES double-length only). */
  algorithm?: 1 | 3;
  /** `0` none (whole blocks), `1` zeros (ISO 9797-1 method 1, default), `2` `80 00…` (method 2). */
  padding?: 0 | 1 | 2;
  /** MAC length in hex digits: 8 (default) or 16. */
  size?: 8 | 16;
}

function m6Fields(key: string, data: Buffer, o: MacOptions): string[] {
  const size = o.size ?? 8;
  const hex = data.toString('hex').toUpperCase();
  // Hex input format: the message stays printable ASCII on the wire.
  return ['0', '1', size === 16 ? '1' : '0', String(o.algorithm ?? 1), String(o.padding ?? 1), '008', key, hexLen4(hex.length, 'data'), hex];
}

/** M6: MAC over `data` with a ZAK; the MAC in hex (8 or 16 digits). */
export function m6Mac(key: string, data: Buffer, options: MacOptions = {}): WireCommand<string> {
  const size = options.size ?? 8;
  return command('M6', 'generate MAC', true, m6Fields(key, data, options), (r) => {
    const mac = r.text(size, 'MAC');
    r.end();
    return mac;
  });
}

/** M8: true when `mac` matches, false on error 01; other errors throw. */
export function m8VerifyMac(key: string, data: Buffer, mac: string, options: MacOptions = {}): WireCommand<boolean> {
  const size = mac.length === 16 ? 16 : 8;
  return statusCommand('M8', 'verify MAC', true, [...m6Fields(key, data, { ...options, size }), mac], (s, host) => {
    // 01 is the device's "no match": an answer, not a failure.
    if (s.errorCode === '01') return false;
    if (s.errorCode !== '00') throw commandError('M8', s.errorCode, host);
    readerOf('M8', s.body, host).end();
    return true;
  });
}
