/**
 * `client.sdk`: the vendor SDK's calls (hsmGeneralFinance) with its method names, argument order
 * and return values, over this client's connections and failover. Requests are byte-identical to
 * the SDK's (test/client-sdk-requests.test.ts); answers are accepted exactly when the SDK accepts
 * them. Java types map as: String → string, char → a 1-character string, int → number,
 * Object (key) → number (index) or string (cryptogram), byte[] → Buffer, String[] → string[],
 * null → null.
 *
 * Deliberate differences (docs/client.md): a device error always throws EvsmCommandError with the
 * device's code (the SDK wraps some as code 0); local parameter checks throw EvsmParameterError;
 * getKeyInfo's cache is dropped for an index this client changes (the SDK keeps stale entries).
 */
import { EvsmParameterError, EvsmProtocolError } from './errors.ts';
import { blockPadding, padBlock, unpadBlock } from './block-padding.ts';
import type { DispatchOptions, WireCommand } from './failover.ts';
import * as c from './commands/catalog.ts';
import type { SymmKeyAttribute } from './commands/keys.ts';
import { hexData, keyRef, type SdkKey } from './commands/fields.ts';
import { macBytes, macTextEquals, type MacArgs } from './commands/mac.ts';
import type { CipherArgs } from './commands/data.ts';

/** What the facade needs from a client. */
export interface SdkTransport {
  execute<T>(cmd: WireCommand<T>, options?: DispatchOptions): Promise<T>;
  deviceSerials(): Promise<Array<string | null>>;
}

export type { SymmKeyAttribute, SdkKey };

/** The SDK's maxBlockSize: bigDatageneralEnc/Dnc chunk size. */
export const MAX_BLOCK_SIZE = 4096;
/** Pad flag "none" the SDK uses for every chunk of bigDatageneralEnc but the last. */
const PAD_NONE = 5;

export class EvsmSdk {
  private readonly keyInfoCache = new Map<number, SymmKeyAttribute>();

  constructor(private readonly transport: SdkTransport) {}

  private run<T>(cmd: WireCommand<T>): Promise<T> {
    return this.transport.execute(cmd);
  }

  private forget(index: number): void {
    this.keyInfoCache.delete(index);
  }

  // ---- device ----------------------------------------------------------------------------

  /** One entry per host in configuration order: the last 12 characters of its NC answer; null for a host not reached. */
  async getDeviceSerial(): Promise<Array<string | null>> {
    return this.transport.deviceSerials();
  }

  /** CR: `length` random bytes as uppercase hex. */
  async genRandom(length: number): Promise<string> {
    return (await this.run(c.crRandom(length))).toString('hex').toUpperCase();
  }

  // ---- symmetric keys ------------------------------------------------------------------------

  /** A0 mode 0 → `[keyUnderLmk, cv]`; with 1 ≤ keyIndex ≤ 2047 the key is also stored there with keyLabel. */
  async genWorkKey(keyType: string, keyAlg: string, keyIndex: number, keyLabel: string | null): Promise<string[]> {
    const out = await this.run(c.a0Generate(keyType, keyAlg, keyIndex, keyLabel));
    this.forget(keyIndex);
    return out;
  }

  /**
   * A0 mode 1 → `[keyUnderLmk, keyUnderZmk, cv]`. Two overloads as in the SDK:
   * `(keyType, keyAlg, zmk, keyIndex, keyLabel)` (the ZMK's flag is keyAlg) and
   * `(keyType, keyAlg, zmk, zmkAlg, keyIndex, keyLabel)`.
   */
  genWorkKeyEnc(keyType: string, keyAlg: string, zmk: SdkKey, keyIndex: number, keyLabel: string | null): Promise<string[]>;
  genWorkKeyEnc(keyType: string, keyAlg: string, zmk: SdkKey, zmkAlg: string, keyIndex: number, keyLabel: string | null): Promise<string[]>;
  async genWorkKeyEnc(keyType: string, keyAlg: string, zmk: SdkKey, a: string | number, b: number | string | null, d?: string | null): Promise<string[]> {
    const [zmkAlg, index, label] = typeof a === 'string' ? [a, b as number, d ?? null] : [keyAlg, a, b as string | null];
    const out = await this.run(c.a0GenerateUnderZmk(keyType, keyAlg, zmk, zmkAlg, index, label));
    this.forget(index);
    return out;
  }

  /** KG; null without a request for an index outside 1-2048; cached per index like the SDK. */
  async getKeyInfo(keyIndex: number): Promise<SymmKeyAttribute | null> {
    if (!Number.isInteger(keyIndex) || keyIndex < 1 || keyIndex > c.MAX_KEY_INDEX) return null;
    const cached = this.keyInfoCache.get(keyIndex);
    if (cached) return { ...cached };
    const info = await this.run(c.kgKeyInfo(keyIndex));
    this.keyInfoCache.set(keyIndex, info);
    return { ...info };
  }

  /** KF → `["00"]`. */
  async deleteKey(keyType: number, keyIndex: number): Promise<string[]> {
    const out = await this.run(c.kfDelete(keyType, keyIndex));
    this.forget(keyIndex);
    return out;
  }

  /** A6 → `[keyUnderLmk, cv]`; with 1 ≤ keyIndex ≤ 2048 also stored. */
  async importWorkKey(keyType: string, zmk: SdkKey, keyCipherByZmk: string, keyAlg: string, keyIndex: number, keyLabel: string | null): Promise<string[]> {
    const out = await this.run(c.a6Import(keyType, zmk, keyCipherByZmk, keyAlg, keyIndex, keyLabel));
    this.forget(keyIndex);
    return out;
  }

  /** A8 → `[keyUnderZmk, cv]`. The second argument is the ZMK, the third the key to export (Thales order). */
  async exportWorkKey(keyType: string, zmk: SdkKey, key: SdkKey, keyAlg: string): Promise<string[]> {
    return this.run(c.a8Export(keyType, zmk, key, keyAlg));
  }

  // ---- data --------------------------------------------------------------------------------

  /** S3 → the encrypted bytes (the device pads per padFlag). */
  async generalDataEnc(algType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: Buffer | null, iv: string | null): Promise<Buffer> {
    return this.run(c.s3s4Cipher('encrypt', cipherArgs(algType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data));
  }

  /** S4 → the decrypted bytes. */
  async generalDataDec(algType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: Buffer | null, iv: string | null): Promise<Buffer> {
    return this.run(c.s3s4Cipher('decrypt', cipherArgs(algType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data));
  }

  /**
   * Each block padded by the SDK's own rule (block-padding.ts), all in one ECB S3 with pad none;
   * the answer cut back into one ciphertext per block.
   */
  async blocksEncrypt(keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, blocks: Buffer[], padFlag: number): Promise<Buffer[]> {
    const mode = blockPadding(padFlag);
    const padded = blocks.map((b) => padBlock(mode, b));
    const out = await this.run(c.s3s4Cipher('encrypt', cipherArgs(0, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, PAD_NONE, null), Buffer.concat(padded)));
    return cutAs(out, padded.map((p) => p.length));
  }

  /** S4 of all ciphertexts at once; each block's padding removed as the SDK removes it. */
  async blocksDecrypt(keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, blocks: Buffer[], padFlag: number): Promise<Buffer[]> {
    const mode = blockPadding(padFlag);
    const out = await this.run(c.s3s4Cipher('decrypt', cipherArgs(0, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, PAD_NONE, null), Buffer.concat(blocks)));
    return cutAs(out, blocks.map((b) => b.length)).map((b) => unpadBlock(mode, b));
  }

  /** D3 (hex in, hex out). */
  async dataEnc(algType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string | null, iv: string | null): Promise<string> {
    return this.run(c.d3d4Cipher('encrypt', cipherArgs(algType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data));
  }

  /** D4 (hex in, hex out). */
  async dataDec(algType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string | null, iv: string | null): Promise<string> {
    return this.run(c.d3d4Cipher('decrypt', cipherArgs(algType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data));
  }

  /** S3 over 4096-byte chunks with key type 00A: pad 05 but for the last; CBC chained locally (next IV = last len(iv)/2 bytes of the previous cipher chunk). */
  async bigDatageneralEnc(algType: number, key: SdkKey, padFlag: number, iv: string | null, data: Buffer): Promise<Buffer> {
    return this.bigData('encrypt', algType, key, padFlag, iv, data);
  }

  /** S4 counterpart of bigDatageneralEnc (the SDK spells it Dnc). */
  async bigDatageneralDnc(algType: number, key: SdkKey, padFlag: number, iv: string | null, data: Buffer): Promise<Buffer> {
    return this.bigData('decrypt', algType, key, padFlag, iv, data);
  }

  private async bigData(direction: 'encrypt' | 'decrypt', alg: number, key: SdkKey, padFlag: number, iv: string | null, data: Buffer): Promise<Buffer> {
    const out: Buffer[] = [];
    let chainIv = iv;
    for (let at = 0; at === 0 || at < data.length; at += MAX_BLOCK_SIZE) {
      const chunk = data.subarray(at, at + MAX_BLOCK_SIZE);
      const last = at + MAX_BLOCK_SIZE >= data.length;
      const result = await this.run(c.s3s4Cipher(direction, cipherArgs(alg, '00A', key, null, 0, null, last ? padFlag : PAD_NONE, chainIv), chunk));
      out.push(result);
      if (alg === 1 && chainIv) {
        // The SDK chains CBC itself: N = half the caller's IV length, whatever the key's block size.
        const n = chainIv.length / 2;
        const cipherChunk = direction === 'encrypt' ? result : chunk;
        chainIv = cipherChunk.subarray(cipherChunk.length - n).toString('hex').toUpperCase();
      }
    }
    return Buffer.concat(out);
  }

  // ---- MAC ---------------------------------------------------------------------------------

  /**
   * S0 (10 arguments: the String overload hex-decodes `data` and returns the MAC text; with a
   * Buffer it returns the MAC bytes) or MU (2 arguments: `(key, data)`, the UnionPay MAC).
   */
  generalCalMAC(key: SdkKey, data: string | Buffer): Promise<string>;
  generalCalMAC(algType: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string, iv: string | null): Promise<string>;
  generalCalMAC(algType: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: Buffer, iv: string | null): Promise<Buffer>;
  async generalCalMAC(...args: unknown[]): Promise<string | Buffer> {
    if (args.length === 2) return this.unionPayMac(args[0] as SdkKey, args[1] as string | Buffer);
    const [alg, vt, keyType, key, disper, sess, factor, pad, data, iv] = args as [number, number, string, SdkKey, string | null, number, string | null, number, string | Buffer, string | null];
    const a = macArgs(alg, vt, keyType, key, disper, sess, factor, pad, iv);
    if (typeof data === 'string' || data === null) return this.run(c.s0Mac(a, data === null ? null : hexData(data)));
    const text = await this.run(c.s0Mac(a, data));
    if (!/^[0-9A-Fa-f]*$/.test(text)) throw new EvsmParameterError(`MAC "${text}" from the device is not hex`);
    return Buffer.from(text, 'hex');
  }

  /** S0, then compares the MAC locally (constant time, any case): true/false; a device error throws. */
  async generalVerifyMAC(algType: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string, iv: string | null, mac: string | null): Promise<boolean> {
    const a = macArgs(algType, valueType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv);
    const cmd = c.s0Mac(a, data === null ? null : hexData(data));
    if (mac === null) return false;
    const got = await this.run(cmd);
    return got.length === 2 * macBytes(valueType) && macTextEquals(got, mac);
  }

  /** D0 (hex data): the MAC text as the device returns it. */
  async calMAC(algType: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string | null, iv: string | null): Promise<string> {
    return this.run(c.d0Mac(macArgs(algType, valueType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data));
  }

  /** D1: true on D200, false on a device error code (01 is not understood by the SDK: a protocol error). */
  async verifyMAC(algType: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, data: string | null, iv: string | null, mac: string | null): Promise<boolean> {
    return this.run(c.d1VerifyMac(macArgs(algType, valueType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv), data, mac));
  }

  private async unionPayMac(key: SdkKey, data: string | Buffer): Promise<string> {
    // An index goes through KG first, as in the SDK, then the key is referenced by index.
    if (typeof key === 'number') await this.getKeyInfoUncached(key);
    const ref = keyRef(key);
    return typeof data === 'string' ? this.run(c.muMac(ref, hexData(data), false)) : this.run(c.muMac(ref, data, true));
  }

  private async getKeyInfoUncached(index: number): Promise<SymmKeyAttribute> {
    const info = await this.run(c.kgKeyInfo(index));
    this.keyInfoCache.set(index, info);
    return info;
  }

  // ---- PIN and CVV -------------------------------------------------------------------------

  /** CC → the PIN block under the destination ZPK. */
  async transferPinZPK12ZPK2(srcZpk: SdkKey, dstZpk: SdkKey, pinBlock: string, srcFormat: number, dstFormat: number, account: string): Promise<string> {
    return (await this.run(c.ccTranslatePin(srcZpk, dstZpk, pinBlock, srcFormat, dstFormat, account))).pinBlock;
  }

  /** TI → the PIN block under the destination key (types `"001"` ZPK, `"002"` TPK; an account per side). */
  async transferPin(srcType: string, srcKey: SdkKey, dstType: string, dstKey: SdkKey, pinBlock: string, srcFormat: number, srcAccount: string, dstFormat: number, dstAccount: string): Promise<string> {
    return this.run(c.tiTranslatePin(srcType, srcKey, dstType, dstKey, pinBlock, srcFormat, srcAccount, dstFormat, dstAccount));
  }

  /** BA → the PIN under the LMK. */
  async encPINByLmk(pin: string, account: string): Promise<string> {
    return this.run(c.baEncryptPin(pin, account));
  }

  /** BA then JG: a clear PIN → a PIN block under the ZPK. */
  async encPinByZpk(zpk: SdkKey, format: number, account: string, pin: string): Promise<string> {
    const underLmk = await this.run(c.baEncryptPin(pin, account));
    return this.run(c.jgLmkToZpk(zpk, format, account, underLmk));
  }

  /** JG → the PIN block under the ZPK. */
  async transferPinLMK2ZPK(zpk: SdkKey, format: number, account: string, pinUnderLmk: string): Promise<string> {
    return this.run(c.jgLmkToZpk(zpk, format, account, pinUnderLmk));
  }

  /** JE → the PIN under the LMK. */
  async transferPinZPK2LMK(zpk: SdkKey, pinBlock: string, format: number, account: string): Promise<string> {
    return this.run(c.jeZpkToLmk(zpk, pinBlock, format, account));
  }

  /** JE then NG: a PIN block under the ZPK → the clear PIN, as the SDK returns it (PIN + `F`). */
  async decPinByZpk(zpk: SdkKey, pinBlock: string, format: number, account: string): Promise<string> {
    const underLmk = await this.run(c.jeZpkToLmk(zpk, pinBlock, format, account));
    return this.run(c.ngLmkToClear(account, underLmk));
  }

  /** JA → a random PIN under the LMK. */
  async genRandPIN(account: string, pinLength: number): Promise<string> {
    return this.run(c.jaRandomPin(account, pinLength));
  }

  /** CW → the 3-digit CVV. */
  async genCVV(cvk: SdkKey, pan: string, expiry: number, serviceCode: number): Promise<string> {
    return this.run(c.cwGenerateCvv(cvk, pan, expiry, serviceCode));
  }

  /** CY: true only on exactly `CZ00`; any error code, or arguments the SDK refuses, → false. */
  async verifyCVV(cvk: SdkKey, cvv: string, pan: string, expiry: number, serviceCode: number): Promise<boolean> {
    let cmd: WireCommand<boolean>;
    try {
      cmd = c.cyVerifyCvv(cvk, cvv, pan, expiry, serviceCode);
    } catch (err) {
      if (err instanceof EvsmParameterError) return false;
      throw err;
    }
    return this.run(cmd);
  }

  // ---- SM2 ---------------------------------------------------------------------------------

  /** E7 with SM2 (curve 07) → `[publicKey (DER), privateKeyCipher]`; 1 ≤ index ≤ 64 also stores it. */
  async generateSm2KeyPair(index: number, label: string | null): Promise<Buffer[]> {
    return this.run(c.e7GenerateKeyPair(index, c.SM2_CURVE, label));
  }

  /** E7 on another curve. */
  async generateEccKeyPair(index: number, curve: number, label: string | null): Promise<Buffer[]> {
    return this.run(c.e7GenerateKeyPair(index, curve, label));
  }

  /** E2 → the public key bytes as the device sends them (null for an empty answer). */
  async getSM2PublicKey(index: number): Promise<Buffer | null> {
    return this.run(c.e2PublicKey(index));
  }

  /** E3 with an index (1-64) or public key bytes. */
  async SM2PublicKeyEnc(data: Buffer, key: number | Buffer): Promise<Buffer> {
    return this.run(c.e3Encrypt(data, key));
  }

  async EccPublicKeyEnc(data: Buffer, curve: number, key: number | Buffer): Promise<Buffer> {
    return this.run(c.e3Encrypt(data, key, curve));
  }

  /** E4 with an index or a private key cryptogram. */
  async SM2PrivateKeyDec(cipher: Buffer, key: number | Buffer): Promise<Buffer> {
    return this.run(c.e4Decrypt(cipher, key));
  }

  async EccPrivateKeyDec(cipher: Buffer, curve: number, key: number | Buffer): Promise<Buffer> {
    return this.run(c.e4Decrypt(cipher, key, curve));
  }

  /** E5: `(userId, codeFormat, data, index)` or `(userId, codeFormat, data, publicKey, privateKeyCipher)`. */
  genSM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, index: number): Promise<Buffer>;
  genSM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, publicKey: Buffer, privateKey: Buffer): Promise<Buffer>;
  async genSM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, key: number | Buffer, privateKey?: Buffer): Promise<Buffer> {
    const k = typeof key === 'number' ? key : { publicKey: key, privateKey: privateKey ?? Buffer.alloc(0) };
    return this.run(c.e5Sign(userId, codeFormat, data, k));
  }

  /** E6: `(userId, codeFormat, data, index, signature)` or `(userId, codeFormat, data, signature, publicKey)`; an error code throws. */
  verifySM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, index: number, signature: Buffer): Promise<boolean>;
  verifySM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, signature: Buffer, publicKey: Buffer): Promise<boolean>;
  async verifySM2Signature(userId: Buffer | null, codeFormat: number, data: Buffer | null, a: number | Buffer, b: Buffer): Promise<boolean> {
    return typeof a === 'number' ? this.run(c.e6Verify(userId, codeFormat, data, a, b)) : this.run(c.e6Verify(userId, codeFormat, data, b, a));
  }

  // ---- hash --------------------------------------------------------------------------------

  /**
   * The SDK's four overloads: `(data)` and `(data, publicKey)` hash with SM3 via H1/H2/H3;
   * `(data, alg, userId, publicKey)` the same with any algorithm; `(alg, data, userId, publicKey)`
   * is the single-shot 3C.
   */
  generateHASH(data: Buffer): Promise<Buffer>;
  generateHASH(data: Buffer, publicKey: Buffer | null): Promise<Buffer>;
  generateHASH(data: Buffer, alg: number, userId: Buffer | null, publicKey: Buffer | null): Promise<Buffer>;
  generateHASH(alg: number, data: Buffer, userId: Buffer | null, publicKey: Buffer | null): Promise<Buffer>;
  async generateHASH(a: Buffer | number, b?: Buffer | number | null, uid?: Buffer | null, pub?: Buffer | null): Promise<Buffer> {
    if (typeof a === 'number') return this.run(c.hash3C(a, b as Buffer, uid, pub));
    if (typeof b === 'number') return this.multipartHash(a, b, uid ?? null, pub ?? null);
    return this.multipartHash(a, c.SM3, null, (b as Buffer | null | undefined) ?? null);
  }

  private async multipartHash(data: Buffer, alg: number, userId: Buffer | null, publicKey: Buffer | null): Promise<Buffer> {
    let ctx = await this.run(c.h1Init(alg, userId, publicKey));
    for (const chunk of c.hashChunks(data)) ctx = await this.run(c.h2Update(ctx, chunk));
    return this.run(c.h3Final(ctx));
  }
}

/** `data` cut into consecutive pieces of the given lengths; the device answered a different total: an error. */
function cutAs(data: Buffer, lengths: number[]): Buffer[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (data.length !== total) throw new EvsmProtocolError(`blocks: the device answered ${data.length} bytes for ${total} bytes sent`);
  const out: Buffer[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

function cipherArgs(algorithm: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, iv: string | null): CipherArgs {
  return { algorithm, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv };
}

function macArgs(algorithm: number, valueType: number, keyType: string, key: SdkKey, disperFactor: string | null, sessionKeyType: number, sessionKeyFactor: string | null, padFlag: number, iv: string | null): MacArgs {
  return { algorithm, valueType, keyType, key, disperFactor, sessionKeyType, sessionKeyFactor, padFlag, iv };
}
