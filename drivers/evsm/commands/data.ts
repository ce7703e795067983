/**
 * Data encryption (sjj1310-wire.md §1): S3/S4 on binary data (generalDataEnc/Dec), D3/D4 on hex
 * data (dataEnc/dataDec), and the payShield-style M0/M2 the emulator keeps. The device pads per
 * the pad flag; the client neither pads nor unpads.
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command } from './command.ts';
import { dec, disperField, hexInt, hexLen4, keyRef, sessionField, type KeyUseArgs, type SdkKey } from './fields.ts';
import { keyTypeCode, type KeyType } from './key-types.ts';

/** The shared arguments of S3/S4/D3/D4 (and S0/D0/D1), in the SDK's order and spelling. */
export interface CipherArgs extends KeyUseArgs {
  /** 0 ECB, 1 CBC, 2 CFB, 3 OFB. */
  algorithm: number;
  /** Pad flag as the SDK numbers it (S3/D3 send it as 2 hex digits). */
  padFlag: number;
  /** Sent verbatim after the data when the algorithm is not ECB. */
  iv?: string | null;
}

/** alg(2n) + keyType + key + disper + session: the prefix every S3/S4/D3/D4 request shares. */
function cipherPrefix(a: CipherArgs): string {
  return (
    dec(a.algorithm, 2) +
    keyTypeCode(a.keyType) +
    keyRef(a.key, 'rsaKey') +
    disperField(a.disperFactor) +
    sessionField(a.sessionKeyType ?? 0, a.sessionKeyFactor)
  );
}

function checkAlgorithm(alg: number): void {
  if (!Number.isInteger(alg) || alg < 0) throw new EvsmParameterError('algType is error ...');
  // The SDK does something of its own for 4 (it re-blocks the data locally); not offered here.
  if (alg === 4) throw new EvsmParameterError('encFlag 4 is not supported by this client (the SDK handles it locally)');
  if (alg > 4) throw new EvsmParameterError(`Value of parameter encFlag <${alg}> Invalid.`);
}

/**
 * S3 (encrypt) / S4 (decrypt), binary data. Request: prefix + pad(2H) + len(4H) + data + [IV when
 * not ECB]. Answer: len(4H) + exactly len bytes.
 */
export function s3s4Cipher(direction: 'encrypt' | 'decrypt', a: CipherArgs, data: Buffer | null | undefined): WireCommand<Buffer> {
  checkAlgorithm(a.algorithm);
  if (a.algorithm !== 0 && (a.iv === null || a.iv === undefined)) {
    throw new EvsmParameterError(`Value of parameter iv <null> Invalid when encFlag=${a.algorithm}`);
  }
  const bytes = data ?? Buffer.alloc(0);
  const fields: Array<string | Buffer> = [cipherPrefix(a) + hexInt(a.padFlag, 2) + hexLen4(bytes.length, 'data'), bytes];
  if (a.algorithm !== 0) fields.push(a.iv as string);
  const code = direction === 'encrypt' ? 'S3' : 'S4';
  return command(code, `${direction} data`, true, fields, (r) => {
    const len = r.hexNumber(4, 'data length');
    if (len === 0) r.fail('empty result');
    const out = Buffer.from(r.bytes(len, 'data'));
    r.end();
    return out;
  });
}

/**
 * D3 (encrypt) / D4 (decrypt), hex data. Request: prefix + pad(2H) + len(4H, bytes = hex/2) +
 * the hex as given + [IV when not ECB]. Answer: len(4H) + 2·len hex characters (more are ignored).
 */
export function d3d4Cipher(direction: 'encrypt' | 'decrypt', a: CipherArgs, hex: string | null | undefined): WireCommand<string> {
  checkAlgorithm(a.algorithm);
  if (!hex) throw new EvsmParameterError('Value of parameter inData <> Invalid.');
  if (a.algorithm !== 0 && !a.iv) throw new EvsmParameterError('Value of parameter IV <> Invalid.');
  const fields = [cipherPrefix({ ...a, disperFactor: a.disperFactor ?? '' }) + hexInt(a.padFlag, 2) + hexLen4(Math.floor(hex.length / 2), 'inData') + hex];
  if (a.algorithm !== 0) fields.push(a.iv as string);
  const code = direction === 'encrypt' ? 'D3' : 'D4';
  return command(code, `${direction} hex data`, true, fields, (r) => {
    const len = r.hexNumber(4, 'data length');
    if (len === 0) r.fail('empty result');
    return r.text(len * 2, 'data');
  });
}

/** Options of the payShield-style M0/M2 (kept by the emulator). */
export interface DataCipherOptions {
  /** `ECB` (default) or `CBC` (then `iv` is required: 16 bytes for SM4/AES, 8 for the DES family). */
  mode?: 'ECB' | 'CBC';
  iv?: Buffer;
}

export interface DataCipherResult {
  data: Buffer;
  /** CBC only: the IV to chain the next call. */
  iv?: Buffer;
}

/** M0 (encrypt) / M2 (decrypt) with a ZEK; whole blocks, no padding added. */
export function m0m2Cipher(direction: 'encrypt' | 'decrypt', key: string, data: Buffer, options: DataCipherOptions = {}): WireCommand<DataCipherResult> {
  const code = direction === 'encrypt' ? 'M0' : 'M2';
  const cbc = (options.mode ?? 'ECB') === 'CBC';
  if (cbc && !options.iv) throw new EvsmParameterError('CBC needs an iv (16 bytes for SM4/AES, 8 for the DES family)');
  const hex = data.toString('hex').toUpperCase();
  const fields = [cbc ? '01' : '00', '1', '1', '00A', key];
  if (cbc && options.iv) fields.push(options.iv.toString('hex').toUpperCase());
  fields.push(hexLen4(hex.length, 'data'), hex);
  return command(code, `${direction} data`, true, fields, (r) => {
    // The answer's IV has the length of the one sent (the key's block size).
    const iv = cbc && options.iv ? Buffer.from(r.text(options.iv.length * 2, 'IV'), 'hex') : undefined;
    const len = r.hexNumber(4, 'message length');
    const out = Buffer.from(r.text(len, 'message'), 'hex');
    r.end();
    return iv ? { data: out, iv } : { data: out };
  });
}
