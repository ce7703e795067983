/**
 * EvsmClient: open from a cacipher.ini path or a `{…}` string, then typed calls for the host
 * commands of docs/host-protocol.md. The same code runs against a real EVSM or the emulator.
 * Vendor-SDK spellings (`genWorkKey`, `generalDataEnc`, `generalDataDec`) are kept as aliases.
 */
import { formatWarning, loadCacipher } from './config/parse.ts';
import type { CacipherConfig } from './config/types.ts';
import { EvsmClientCore, type ClientOptions } from './core.ts';
import type { DispatchOptions } from './failover.ts';
import * as cmd from './commands/catalog.ts';
import {
  keyAt,
  type DataCipherOptions,
  type DataCipherResult,
  type DeviceStatus,
  type Diagnostics,
  type GeneratedKey,
  type KeyRef,
  type KeyType,
  type LmkScheme,
  type MacOptions,
  type PinTranslation,
  type StoredKeyInfo,
  type ZmkScheme,
} from './commands/types.ts';

/** The vendor's algorithm flag for genWorkKey, mapped to the key scheme under the LMK. */
export type AlgFlag = 'SM4' | '3DES' | '3DES-2' | '3DES-3';
const ALG_SCHEME: Record<AlgFlag, LmkScheme> = { SM4: 'P', '3DES': 'U', '3DES-2': 'U', '3DES-3': 'T' };

export class EvsmClient extends EvsmClientCore {
  /**
   * Opens a client from a cacipher.ini path or a `{…}` configuration string (the vendor's
   * `getInstance`). Throws CacipherConfigError for a malformed configuration, and
   * EvsmUnavailableError when no host answers (unless `connectOnOpen: false`).
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

  /** B2: the device sends `data` back. */
  echo(data: string | Buffer, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.echoCommand(data), o);
  }
  /** NC: LMK check value and firmware. */
  diagnostics(o?: DispatchOptions): Promise<Diagnostics> {
    return this.execute(cmd.diagnosticsCommand(), o);
  }
  /** N0: 1–256 random bytes. */
  random(count: number, o?: DispatchOptions): Promise<Buffer> {
    return this.execute(cmd.randomCommand(count), o);
  }
  /** NO: factory/initialized state, internal key count, firmware, device id. */
  status(o?: DispatchOptions): Promise<DeviceStatus> {
    return this.execute(cmd.statusCommand(), o);
  }
  /** X8: DMK check value (16H); EvsmCommandError 13 on a factory device. */
  dmkCheckValue(o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.dmkCheckValueCommand(), o);
  }

  // ---- keys (external storage: under the LMK, usable on every device with the same DMK) --

  /** A0: a new key under the LMK, and under `zmk` too when given. Nothing is stored. */
  generateKey(keyType: KeyType, scheme: LmkScheme = 'P', underZmk?: { zmk: KeyRef; scheme: ZmkScheme }, o?: DispatchOptions): Promise<GeneratedKey> {
    return this.execute(cmd.generateKeyCommand(keyType, scheme, underZmk), o);
  }
  /** BU: 16H check value of a key under the LMK or at an index (`keyAt(n)`). */
  keyCheckValue(keyType: KeyType, key: KeyRef, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.keyCheckValueCommand(keyType, key), o);
  }
  /** A6: a key received under a ZMK → under the LMK. */
  importKey(keyType: KeyType, zmk: KeyRef, keyUnderZmk: string, lmkScheme: LmkScheme, o?: DispatchOptions): Promise<GeneratedKey> {
    return this.execute(cmd.importKeyCommand(keyType, zmk, keyUnderZmk, lmkScheme), o);
  }
  /** A8: a key → under a ZMK for a partner. */
  exportKey(keyType: KeyType, zmk: KeyRef, key: KeyRef, zmkScheme: ZmkScheme, o?: DispatchOptions): Promise<{ keyUnderZmk: string; kcv: string }> {
    return this.execute(cmd.exportKeyCommand(keyType, zmk, key, zmkScheme), o);
  }
  /** XA: a key from 2–9 clear components (hex); nothing stored. Components are never logged. */
  formKey(keyType: KeyType, scheme: LmkScheme, components: readonly string[], o?: DispatchOptions): Promise<{ keyUnderLmk: string; kcv: string }> {
    return this.execute(cmd.formKeyCommand(keyType, scheme, components), o);
  }

  // ---- internal key store (state-changing calls are never retried on another host) -------

  /** X0: generate and store at `index`. Not retried if its host dies mid-command. */
  storeKey(index: number, keyType: KeyType, scheme: LmkScheme = 'P', options: { overwrite?: boolean } & DispatchOptions = {}): Promise<string> {
    return this.execute(cmd.storeKeyCommand(index, keyType, scheme, options.overwrite ?? false), options);
  }
  /** X2: type, scheme and KCV of the key at `index`. */
  keyInfo(index: number, o?: DispatchOptions): Promise<StoredKeyInfo> {
    return this.execute(cmd.keyInfoCommand(index), o);
  }
  /** X4, every page: all internal keys in index order. */
  async listKeys(o?: DispatchOptions): Promise<StoredKeyInfo[]> {
    const all: StoredKeyInfo[] = [];
    let first = 1;
    for (;;) {
      const page = await this.execute(cmd.listKeysCommand(first), o);
      all.push(...page.keys);
      const last = page.keys[page.keys.length - 1];
      if (!page.more || !last || last.index >= 9999) return all;
      first = last.index + 1;
    }
  }
  /** X6: delete the key at `index`. Not retried if its host dies mid-command. */
  deleteKey(index: number, o?: DispatchOptions): Promise<void> {
    return this.execute(cmd.deleteKeyCommand(index), o);
  }

  // ---- use of keys ----------------------------------------------------------------------

  /** M6: MAC of `data` under a ZAK (hex, 8 digits by default). */
  generateMac(zak: KeyRef, data: Buffer, options: MacOptions = {}, o?: DispatchOptions): Promise<string> {
    return this.execute(cmd.generateMacCommand(zak, data, options), o);
  }
  /** M8: whether `mac` is the MAC of `data` under the ZAK. */
  verifyMac(zak: KeyRef, data: Buffer, mac: string, options: MacOptions = {}, o?: DispatchOptions): Promise<boolean> {
    return this.execute(cmd.verifyMacCommand(zak, data, mac, options), o);
  }
  /** M0: encrypt whole blocks under a ZEK (ECB or CBC). */
  encryptData(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}, o?: DispatchOptions): Promise<DataCipherResult> {
    return this.execute(cmd.dataCipherCommand('encrypt', zek, data, options), o);
  }
  /** M2: decrypt whole blocks under a ZEK. */
  decryptData(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}, o?: DispatchOptions): Promise<DataCipherResult> {
    return this.execute(cmd.dataCipherCommand('decrypt', zek, data, options), o);
  }
  /** CC: PIN block from one ZPK to another (ISO format 0). */
  translatePin(args: Parameters<typeof cmd.translatePinCommand>[0], o?: DispatchOptions): Promise<PinTranslation> {
    return this.execute(cmd.translatePinCommand(args), o);
  }

  // ---- vendor SDK spellings -------------------------------------------------------------

  /**
   * The vendor's `genWorkKey(keyType, algFlag, keyIndex, keyLabel)`. With `keyIndex` ≥ 1 the key
   * is stored in the device (X0, no overwrite) and `key` is its reference `Kdddd`; without, it is
   * returned under the LMK (A0). The host protocol has no label field: `keyLabel` is accepted
   * for source compatibility and not sent.
   */
  async genWorkKey(keyType: KeyType, algFlag: AlgFlag = 'SM4', keyIndex = 0, _keyLabel?: string): Promise<{ key: KeyRef; kcv: string }> {
    const scheme = ALG_SCHEME[algFlag];
    if (keyIndex >= 1) return { key: keyAt(keyIndex), kcv: await this.storeKey(keyIndex, keyType, scheme) };
    const g = await this.generateKey(keyType, scheme);
    return { key: g.keyUnderLmk, kcv: g.kcv };
  }
  /** The vendor's `generalDataEnc`: M0 with a ZEK. */
  async generalDataEnc(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}): Promise<Buffer> {
    return (await this.encryptData(zek, data, options)).data;
  }
  /** The vendor's `generalDataDec`: M2 with a ZEK. */
  async generalDataDec(zek: KeyRef, data: Buffer, options: DataCipherOptions = {}): Promise<Buffer> {
    return (await this.decryptData(zek, data, options)).data;
  }
}
