/**
 * SM2 (GM/T 0003) on curve code 07, with the request layouts the vendor SDK sends
 * (sjj1310-wire.md §1 E2-E7): E7 key pair (stored at index 1-64 with a label, or only returned),
 * E2 public key, E3/E4 encrypt/decrypt (C1 || C3 || C2, C1 = 04 || X || Y), E5/E6 sign/verify
 * with SM3 (`20`) and a user ID (empty → the standard 1234567812345678).
 *
 * Keys in requests: `K` + index (a stored pair), or `K9999` + the key as bytes — a public key as
 * 04||X||Y or DER SubjectPublicKeyInfo, a private key as length(4n) + its cryptogram.
 * Private key cryptogram (docs/host-protocol.md "SM2 keys"): SM4-ECB under the device's SM2 LMK
 * of d (32 bytes) || the first 16 bytes of SM3(d): 48 bytes; a cryptogram whose check fails
 * (another device's DMK, altered) is refused with 10.
 */
import {
  constantTimeEqual,
  sm2Decrypt,
  sm2Encrypt,
  sm2GenerateKeyPair,
  sm2IsValidPublicKey,
  sm2PublicKeyOf,
  sm2Sign,
  sm2Verify,
  sm3,
  wipe,
} from '../../../../crypto/index.ts';
import type { Device } from '../../device/device.ts';
import { updateTimeOf } from '../../device/state.ts';
import { HostError } from '../../errors.ts';
import { ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { Handler } from '../handler.ts';
import { idx4, readIndexDigits } from '../keyref.ts';
import { rawSm2PublicKey } from './hash.ts';
import { labelField, readStorePart } from './label.ts';

export const MAX_SM2_INDEX = 64;
const SM2_CURVE = '07';
/** DER SubjectPublicKeyInfo prefix for an SM2 public key (id-ecPublicKey, curve 1.2.156.10197.1.301). */
const SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');

export const spki = (raw: Buffer): Buffer => Buffer.concat([SPKI_PREFIX, raw]);

function readCurve(f: Fields): void {
  const c = f.text(2, 'curve');
  if (c !== SM2_CURVE) throw new HostError('58', `curve ${c} is not supported (07 = SM2)`);
}

function wrapPrivate(device: Device, d: Buffer): Buffer {
  const block = Buffer.concat([d, sm3(d).subarray(0, 16)]);
  try {
    return ecb('SM4', device.lmks.lmk('SM2', 'SM4'), true, block);
  } finally {
    wipe(block);
  }
}

/** Cryptogram → d (the caller wipes it); 10 when it was not made under this device's LMK. */
function unwrapPrivate(device: Device, c: Buffer): Buffer {
  if (c.length !== 48) throw new HostError('78', `an SM2 private key cryptogram is 48 bytes, got ${c.length}`);
  const block = ecb('SM4', device.lmks.lmk('SM2', 'SM4'), false, c);
  const d = Buffer.from(block.subarray(0, 32));
  const ok = constantTimeEqual(block.subarray(32), sm3(d).subarray(0, 16));
  wipe(block);
  if (!ok) {
    wipe(d);
    throw new HostError('10', 'SM2 private key cryptogram fails its check: made under another DMK, or altered');
  }
  return d;
}

function stored(device: Device, index: number): { publicKey: Buffer; privateKey: () => Buffer } {
  void device.lmks;
  if (index > MAX_SM2_INDEX) throw new HostError('55', `SM2 key index ${idx4(index)} is out of range 0001-00${MAX_SM2_INDEX}`);
  const k = device.getSm2Key(index);
  if (!k) throw new HostError('45', `no SM2 key pair at index ${idx4(index)}`);
  return { publicKey: Buffer.from(k.publicKey, 'hex'), privateKey: () => unwrapPrivate(device, Buffer.from(k.privateKey, 'hex')) };
}

/** `K9999` or `K` + index. */
function readKeyTag(f: Fields): number | 'bytes' {
  if (f.text(1, 'SM2 key') !== 'K') throw new HostError('21', 'an SM2 key is K followed by 4 digits');
  const digits = f.text(4, 'SM2 key index');
  if (digits === '9999') return 'bytes';
  if (!/^\d{4}$/.test(digits)) throw new HostError('21', 'an SM2 key index is 4 digits');
  const i = Number(digits);
  if (i < 1) throw new HostError('55', 'SM2 key index 0000 is out of range');
  return i;
}

/** A public key given as bytes: DER (length from its header) or 04||X||Y. */
function readPublicBytes(f: Fields): Buffer {
  const first = f.peekByte();
  let n: number;
  if (first === 0x04) n = 65;
  else if (first === 0x30) {
    const head = f.bytes(2, 'public key');
    if (head[1] >= 0x80) throw new HostError('76', 'DER public key with a long length is not an SM2 key');
    return rawSm2PublicKey(Buffer.concat([head, f.bytes(head[1], 'public key')]));
  } else throw new HostError('76', 'public key is neither 04||X||Y nor DER');
  return rawSm2PublicKey(f.bytes(n, 'public key'));
}

function checkedPublic(pub: Buffer): Buffer {
  if (!sm2IsValidPublicKey(pub)) throw new HostError('57', 'public key is not a point on the SM2 curve');
  return pub;
}

/** E7: curve(2n) + [store part] → DER public key + privLen(4n) + private key cryptogram. */
export const E7: Handler = ({ device }, f) => {
  readCurve(f);
  const store = readStorePart(f);
  f.end();
  if (store && store.index > MAX_SM2_INDEX) throw new HostError('55', `SM2 key index ${idx4(store.index)} is out of range 0001-00${MAX_SM2_INDEX}`);
  void device.lmks;
  const pair = sm2GenerateKeyPair();
  try {
    const cryptogram = wrapPrivate(device, pair.privateKey);
    if (store) {
      device.putSm2Key({ index: store.index, label: store.label, publicKey: pair.publicKey.toString('hex'), privateKey: cryptogram.toString('hex'), updateTime: updateTimeOf() });
    }
    return Buffer.concat([spki(pair.publicKey), Buffer.from(String(cryptogram.length).padStart(4, '0'), 'latin1'), cryptogram]);
  } finally {
    wipe(pair.privateKey);
  }
};

/** E2: `K` + index → DER public key. */
export const E2: Handler = ({ device }, f) => {
  if (f.text(1, 'key index') !== 'K') throw new HostError('21', 'a key index is K followed by 4 digits');
  const index = readIndexDigits(f);
  f.end();
  return spki(stored(device, index).publicKey);
};

/** E3: curve + len(4n) + data + `;` + public key + 1 trailing character → len(4n) + cipher. */
export const E3: Handler = ({ device }, f) => {
  readCurve(f);
  const data = f.bytes(f.digits(4, 'data length'), 'data');
  if (data.length === 0) throw new HostError('15', 'nothing to encrypt');
  f.expect(';', 'separator');
  const tag = readKeyTag(f);
  const pub = tag === 'bytes' ? checkedPublic(readPublicBytes(f)) : stored(device, tag).publicKey;
  f.bytes(1, 'trailing flag');
  f.end();
  const c = sm2Encrypt(pub, data);
  return Buffer.concat([Buffer.from(String(c.length).padStart(4, '0'), 'latin1'), c]);
};

function readPrivate(device: Device, f: Fields): Buffer {
  const tag = readKeyTag(f);
  if (tag !== 'bytes') return stored(device, tag).privateKey();
  const c = f.bytes(f.digits(4, 'private key length'), 'private key');
  return unwrapPrivate(device, c);
}

/**
 * E4: curve + len(**5n**) + cipher + `;` + private key → len(4n) + plain. The SDK sends the
 * cipher's length with 5 digits here (`E40700111…` for 111 bytes), unlike E3's 4.
 */
export const E4: Handler = ({ device }, f) => {
  readCurve(f);
  const cipher = f.bytes(f.digits(5, 'cipher length'), 'cipher');
  f.expect(';', 'separator');
  const d = readPrivate(device, f);
  try {
    f.end();
    let plain: Buffer;
    try {
      plain = sm2Decrypt(d, cipher);
    } catch (e) {
      throw new HostError('70', `SM2 decryption failed: ${(e as Error).message}`);
    }
    return Buffer.concat([Buffer.from(String(plain.length).padStart(4, '0'), 'latin1'), plain]);
  } finally {
    wipe(d);
  }
};

function readUserId(f: Fields): string | undefined {
  const uid = f.bytes(f.digits(4, 'user ID length'), 'user ID');
  return uid.length ? uid.toString('latin1') : undefined;
}

function readHashSm3(f: Fields): void {
  const h = f.text(2, 'hash algorithm');
  if (h !== '20') throw new HostError('74', `SM2 signatures use SM3 (20), not ${h}`);
}

/** DER SEQUENCE { INTEGER r, INTEGER s } of a raw r||s signature. */
function derSignature(raw: Buffer): Buffer {
  const int = (b: Buffer): Buffer => {
    let v = b;
    while (v.length > 1 && v[0] === 0 && v[1] < 0x80) v = v.subarray(1);
    if (v[0] >= 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32, 64))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function rawSignature(sig: Buffer, format: string): Buffer {
  if (format === '0') return sig;
  // DER: SEQUENCE { INTEGER r, INTEGER s }
  if (sig[0] !== 0x30 || sig[1] !== sig.length - 2) throw new HostError('43', 'signature is not a DER SEQUENCE');
  const out = Buffer.alloc(64);
  let p = 2;
  for (const at of [0, 32]) {
    if (sig[p] !== 0x02) throw new HostError('43', 'signature is not two DER INTEGERs');
    const len = sig[p + 1];
    let v = sig.subarray(p + 2, p + 2 + len);
    while (v.length > 32 && v[0] === 0) v = v.subarray(1);
    if (v.length > 32) throw new HostError('43', 'signature integer too long');
    v.copy(out, at + 32 - v.length);
    p += 2 + len;
  }
  return out;
}

/** E5: `20` + curve + uid + `;` + len(4n) + data + `;` + key + codeFormat(1) → len(4n) + signature. */
export const E5: Handler = ({ device }, f) => {
  readHashSm3(f);
  readCurve(f);
  const uid = readUserId(f);
  f.expect(';', 'separator');
  const data = f.bytes(f.digits(4, 'data length'), 'data');
  f.expect(';', 'separator');
  const tag = readKeyTag(f);
  let d: Buffer;
  if (tag === 'bytes') {
    const pub = readPublicBytes(f);
    d = unwrapPrivate(device, f.bytes(f.digits(4, 'private key length'), 'private key'));
    if (!sm2PublicKeyOf(d).equals(pub)) {
      wipe(d);
      throw new HostError('57', 'the public key given does not belong to the private key');
    }
  } else d = stored(device, tag).privateKey();
  try {
    const format = f.text(1, 'signature format');
    if (format !== '0' && format !== '1') throw new HostError('15', 'signature format is 0 (r||s) or 1 (DER)');
    f.end();
    const raw = sm2Sign(d, data, uid);
    const sig = format === '0' ? raw : derSignature(raw);
    return Buffer.concat([Buffer.from(String(sig.length).padStart(4, '0'), 'latin1'), sig]);
  } finally {
    wipe(d);
  }
};

/** E6: `20` + curve + uid + `;` + format(1) + sigLen(4n) + sig + `;` + len(4n) + data + `;` + public key → E700, or 01. */
export const E6: Handler = ({ device }, f) => {
  readHashSm3(f);
  readCurve(f);
  const uid = readUserId(f);
  f.expect(';', 'separator');
  const format = f.text(1, 'signature format');
  if (format !== '0' && format !== '1') throw new HostError('15', 'signature format is 0 (r||s) or 1 (DER)');
  const sig = rawSignature(f.bytes(f.digits(4, 'signature length'), 'signature'), format);
  f.expect(';', 'separator');
  const data = f.bytes(f.digits(4, 'data length'), 'data');
  f.expect(';', 'separator');
  const tag = readKeyTag(f);
  const pub = tag === 'bytes' ? checkedPublic(readPublicBytes(f)) : stored(device, tag).publicKey;
  f.end();
  if (!sm2Verify(pub, data, sig, uid)) throw new HostError('01', 'SM2 signature does not verify');
  return '';
};

export const SM2_HANDLERS: Readonly<Record<string, Handler>> = { E2, E3, E4, E5, E6, E7 };
