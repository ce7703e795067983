/**
 * EvsmClient: open from a cacipher.ini path or a `{…}` string, then typed calls over the SJJ1310
 * host protocol (docs/client.md). The same code runs against a real EVSM or the emulator; calls
 * marked "extension" use emulator extensions a real SJJ1310 does not have. `client.sdk` offers the
 * vendor SDK's own calls (sdk.ts).
 */
import { formatWarning, loadCacipher } from './config/parse.ts';
import type { CacipherConfig } from './config/types.ts';
import { EvsmClientCore, type ClientOptions } from './core.ts';
import { EvsmCommandError, EvsmParameterError, EvsmProtocolError } from './errors.ts';
import { commandError } from './commands/codec.ts';
import type { DispatchOptions } from './failover.ts';
import * as cmd from './commands/catalog.ts';
import { keyTypeName } from './commands/key-types.ts';
import { EvsmSdk } from './sdk.ts';
import type { SymmKeyAttribute } from './commands/keys.ts';
import type {
  DataCipherOptions,
  DataCipherResult,
  DeviceStatus,
  Diagnostics,
  GeneratedKey,
  KeyRef,
  KeyType,
  LmkScheme,
  MacOptions,
  PinTranslation,
  StoredKeyInfo,
  ZmkScheme,
} from './commands/types.ts';

/** KG requests in flight at once while scanning (the pool spreads them). */
const SCAN_CONCURRENCY = 8;

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > cmd.MAX_KEY_INDEX) throw new EvsmParameterError(`key index ${index} is not 1-${cmd.MAX_KEY_INDEX}`);
}

/** KG's answer as the client reports a stored key. */
function storedKeyInfo(index: number, k: SymmKeyAttribute): StoredKeyInfo {
  const code = k.keyType.toString(16).toUpperCase().padStart(3, '0');
  return { index, keyType: keyTypeName(code), scheme: k.keyAlgFlag, kcv: k.keyCV, label: k.keyLabel, updateTime: k.updateTime };
}

export class EvsmClient extends EvsmClientCore {
  /** The vendor SDK's calls, names and argument order (hsmGeneralFinance), on this client's connections. */
  readonly sdk: EvsmSdk = new EvsmSdk(this);

  /**
   * Opens a client from a cacipher.ini path or a `{…}` configuration string (the vendor's
   * `getInstance`). Throws CacipherConfigError for a malformed configuration, and
   * EvsmUnavailableError when no host answers NC (unless `connectOnOpen: false`).
   */
  static async open(pathOrString: string, options: ClientOptions = {}): Promise<EvsmClient> {
    const source = pathOrString.trim().startsWith('{') ? '<string>' : pathOrString;
    const { config, warnings } = loadCacipher(pathOrString, { baseDir: options.baseDir });
    return EvsmClient.fromConfig(config, options, warnings.map((w) => formatWarning(source, w)));
  }

  /** Opens a client from a configuration object (the harness builds these in code). */
  static async fromConfig(config: CacipherConfig, options: ClientOptions = {}, warnings: string[] = []): Promise<EvsmClient> {
    const client = new EvsmClient(config, warnings, options);
    if (options.connectOnOpen !== false) await client.connectAll();
    return client;
  }

  // ---- device ----------------------------------------------------------------------------

  /** B2 (payShield style, kept by the emulator): the device sends `data` back. */
  async echo(data: string | Buffer, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.b2Echo(data), o);
  }

  /** NC: LMK check value, firmware, and the serial the SDK's getDeviceSerial reports (emulator layout, decision 8). */
  async diagnostics(o?: DispatchOptions): Promise<Diagnostics> {
    const nc = cmd.ncStatus();
    return this.execute(
      {
        ...nc,
        parse: (answer, host) => {
          const a = nc.parse(answer, host);
          if (a.errorCode !== '00') throw commandError('NC', a.errorCode, host);
          if (a.payload.length < 25) throw new EvsmProtocolError(`NC on ${host}: ${a.payload.length} characters, LMK check value (16) and firmware (9) expected`);
          return { lmkCheckValue: a.payload.slice(0, 16), firmware: a.payload.slice(16, 25), serial: cmd.serialFromNc(a) };
        },
      },
      o,
    );
  }

  /** N0 (payShield style): 1-256 random bytes. */
  async random(count: number, o?: DispatchOptions): Promise<Buffer> {
    return this.execute(cmd.n0Random(count), o);
  }

  /** NO (payShield style): factory/initialized state, internal key count, firmware, device id. */
  async status(o?: DispatchOptions): Promise<DeviceStatus> {
    return this.execute(cmd.noStatus(), o);
  }

  /** X8 (extension): DMK check value (16H); EvsmCommandError 13 on a factory device. */
  async dmkCheckValue(o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.x8DmkCheckValue(), o);
  }

  // ---- keys (external storage: under the LMK, usable on every device with the same DMK) --

  /** A0: a new key under the LMK, and under `zmk` too when given. Nothing is stored. KCV 16H. */
  async generateKey(keyType: KeyType, scheme: LmkScheme = 'P', underZmk?: { zmk: KeyRef; scheme: ZmkScheme }, o?: DispatchOptions): Promise<GeneratedKey> {
    if (underZmk) {
      const [keyUnderLmk, keyUnderZmk, kcv] = await this.execute(cmd.a0GenerateUnderZmk(keyType, scheme, underZmk.zmk, underZmk.scheme, 0), o);
      return { keyUnderLmk, keyUnderZmk, kcv };
    }
    const [keyUnderLmk, kcv] = await this.execute(cmd.a0Generate(keyType, scheme, 0), o);
    return { keyUnderLmk, kcv };
  }

  /** BU: 16H check value of a key under the LMK or at an index (`keyAt(n)`). */
  async keyCheckValue(keyType: KeyType, key: KeyRef, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.buCheckValue(keyType, key), o);
  }

  /** A6: a key received under a ZMK → under the LMK (nothing stored). */
  async importKey(keyType: KeyType, zmk: KeyRef, keyUnderZmk: string, lmkScheme: LmkScheme, o?: DispatchOptions): Promise<GeneratedKey> {
    const [keyUnderLmk, kcv] = await this.execute(cmd.a6Import(keyType, zmk, keyUnderZmk, lmkScheme, 0), o);
    return { keyUnderLmk, kcv };
  }

  /** A8: a key → under a ZMK for a partner. */
  async exportKey(keyType: KeyType, zmk: KeyRef, key: KeyRef, zmkScheme: ZmkScheme, o?: DispatchOptions): Promise<{ keyUnderZmk: string; kcv: string }> {
    const [keyUnderZmk, kcv] = await this.execute(cmd.a8Export(keyType, zmk, key, zmkScheme), o);
    return { keyUnderZmk, kcv };
  }

  /** XK (extension): a key from 2-9 clear components (hex); nothing stored. Components are never logged. */
  async formKey(keyType: KeyType, scheme: LmkScheme, components: readonly string[], o?: DispatchOptions): Promise<{ keyUnderLmk: string; kcv: string }> {
    return this.execute(cmd.xkFormKey(keyType, scheme, components), o);
  }

  // ---- internal key store (state-changing calls are never retried on another host) -------

  /**
   * A0 with a store part: generate a key and store it at `index` (1-2048) with `label`,
   * replacing a key already there. Returns the 16H KCV. Not retried if its host dies mid-command.
   */
  async storeKey(index: number, keyType: KeyType, scheme: LmkScheme = 'P', options: { label?: string } & DispatchOptions = {}): Promise<string> {
    checkIndex(index);
    const [, kcv] = await this.execute(cmd.a0Generate(keyType, scheme, index, options.label ?? '', cmd.MAX_KEY_INDEX), options);
    return kcv;
  }

  /** KG: type, flag, KCV, label and update time of the key at `index`; EvsmCommandError 45 when there is none. */
  async keyInfo(index: number, o?: DispatchOptions): Promise<StoredKeyInfo> {
    checkIndex(index);
    return storedKeyInfo(index, await this.execute(cmd.kgKeyInfo(index), o));
  }

  /** KG at each index, SCAN_CONCURRENCY at a time: the keys found, in the order of `indices`; an empty index (error 45) is skipped. */
  async scanKeys(indices: Iterable<number>, o?: DispatchOptions): Promise<StoredKeyInfo[]> {
    const list = [...indices];
    for (const index of list) checkIndex(index);
    const found: Array<StoredKeyInfo | undefined> = new Array(list.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const i = next++;
        const k = await this.execute(cmd.kgKeyInfoIfAny(list[i]), o);
        if (k) found[i] = storedKeyInfo(list[i], k);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, list.length) }, worker));
    return found.filter((k): k is StoredKeyInfo => k !== undefined);
  }

  /** X4 (extension), every page: all internal keys in index order (no labels: X4 carries none). */
  async listKeys(o?: DispatchOptions): Promise<StoredKeyInfo[]> {
    const all: StoredKeyInfo[] = [];
    let first = 1;
    for (;;) {
      const page = await this.execute(cmd.x4ListKeys(first), o);
      all.push(...page.keys.map((k) => ({ index: k.index, keyType: keyTypeName(k.typeCode), scheme: k.flag, kcv: k.kcv })));
      const last = page.keys[page.keys.length - 1];
      if (!page.more || !last || last.index >= cmd.MAX_KEY_INDEX) return all;
      first = last.index + 1;
    }
  }

  /** KF: delete the symmetric key at `index`. Not retried if its host dies mid-command. */
  async deleteKey(index: number, o?: DispatchOptions): Promise<void> {
    await this.execute(cmd.kfDelete(1, index), o);
  }

  // ---- use of keys ----------------------------------------------------------------------

  /** M6 (payShield style): MAC of `data` under a ZAK (hex, 8 digits by default). */
  async generateMac(zak: KeyRef, data: Buffer, options: MacOptions = {}, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.m6Mac(zak, data, options), o);
  }

  /** M8 (payShield style): whether `mac` is the MAC of `data` under the ZAK. */
  async verifyMac(zak: KeyRef, data: Buffer, mac: string, options: MacOptions = {}, o?: DispatchOptions): Promise<boolean> {
    return this.execute(cmd.m8VerifyMac(zak, data, mac, options), o);
  }

  /** M0 (payShield style): encrypt whole blocks under a ZEK (ECB or CBC). */
  async encryptData(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}, o?: DispatchOptions): Promise<DataCipherResult> {
    return this.execute(cmd.m0m2Cipher('encrypt', zek, data, options), o);
  }

  /** M2 (payShield style): decrypt whole blocks under a ZEK. */
  async decryptData(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}, o?: DispatchOptions): Promise<DataCipherResult> {
    return this.execute(cmd.m0m2Cipher('decrypt', zek, data, options), o);
  }

  /** CC: PIN block from one ZPK to another, ISO format 0 (01) both sides, maximum PIN length 12. */
  async translatePin(
    args: { sourceZpk: KeyRef; destinationZpk: KeyRef; pinBlock: string; account: string; maxPinLength?: number },
    o?: DispatchOptions,
  ): Promise<PinTranslation> {
    if (args.maxPinLength !== undefined && args.maxPinLength !== 12) throw new EvsmParameterError('CC always sends 12 as the maximum PIN length, as the SDK');
    const r = await this.execute(cmd.ccTranslatePin(args.sourceZpk, args.destinationZpk, args.pinBlock, 1, 1, args.account), o);
    if (!/^\d\d$/.test(r.pinLength)) throw new EvsmProtocolError(`CC answered a PIN length "${r.pinLength}" that is not 2 digits`);
    return { pinLength: Number(r.pinLength), pinBlock: r.pinBlock, format: r.format };
  }
}
