/**
 * One EVSM: its persisted state, the LMKs derived from its DMK, and the key store.
 * Every change goes through commit(): write the whole new state crash-safe, then swap it in.
 */
import { mkdirSync } from 'node:fs';
import { fromHex, kcv, sm2PublicKeyOf } from '../../../crypto/index.ts';
import { HostError } from '../errors.ts';
import { LmkSet } from './lmk.ts';
import { lockDataDir } from './lock.ts';
import { type DeviceState, type StoredKey, type StoredSm2Key, loadOrCreateState, saveState } from './state.ts';

export const MODEL = 'SJJ1310';
export const FIRMWARE = 'EVSM01.00';
/** Internal key indices are 1-2048 (`K0001`…`K2048`), as the SDK documents. */
export const MAX_INDEX = 2048;

export type DeviceStatus = 'factory' | 'recovering' | 'awaiting-auth' | 'initialized';

export class Device {
  private current: DeviceState;
  private lmkSet: LmkSet | null = null;
  private readonly unlock: () => void;

  constructor(
    readonly dataDir: string,
    readonly name: string,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.unlock = lockDataDir(dataDir);
    try {
      this.current = loadOrCreateState(dataDir);
    } catch (e) {
      this.unlock();
      throw e;
    }
    this.refreshLmks();
  }

  get state(): DeviceState {
    return this.current;
  }

  get deviceId(): string {
    return this.current.deviceId;
  }

  /** The 12 characters NC reports as the serial: the last 12 of the device id. */
  get serial(): string {
    return this.current.deviceId.slice(-12).padStart(12, '0');
  }

  get publicKey(): Buffer {
    const priv = fromHex(this.current.deviceKey);
    const pub = sm2PublicKeyOf(priv);
    priv.fill(0);
    return pub;
  }

  /** A copy of the device private key; the caller wipes it. */
  privateKey(): Buffer {
    return fromHex(this.current.deviceKey);
  }

  /** From the persisted state; the management layer reports 'recovering' on top of it. */
  get status(): DeviceStatus {
    if (!this.current.dmk) return 'factory';
    return this.current.auth ? 'initialized' : 'awaiting-auth';
  }

  /** The LMKs, or host error 13 when the device has no DMK. */
  get lmks(): LmkSet {
    if (!this.lmkSet) throw new HostError('13', 'device not initialized: no DMK, so no LMK; run original init or recovery init');
    return this.lmkSet;
  }

  hasDmk(): boolean {
    return this.lmkSet !== null;
  }

  dmkKcv(): string | null {
    if (!this.current.dmk) return null;
    const d = fromHex(this.current.dmk);
    const v = kcv('SM4', d);
    d.fill(0);
    return v;
  }

  /** A copy of the DMK; the caller wipes it. */
  dmk(): Buffer | null {
    return this.current.dmk ? fromHex(this.current.dmk) : null;
  }

  getKey(index: number): StoredKey | undefined {
    return this.current.keys.find((k) => k.index === index);
  }

  getSm2Key(index: number): StoredSm2Key | undefined {
    return this.current.sm2Keys.find((k) => k.index === index);
  }

  /** Writes `next` (revision + 1) to disk, then makes it the live state. */
  commit(change: (s: DeviceState) => Omit<DeviceState, 'revision' | 'format'> & Partial<DeviceState>): DeviceState {
    const next: DeviceState = { ...this.current, ...change(this.current), revision: this.current.revision + 1 };
    next.keys = [...next.keys].sort((a, b) => a.index - b.index);
    // SM2 private keys are under the old DMK's LMK: a new DMK (init, recovery, reset) drops them,
    // as the management operations drop the symmetric keys, unless the change set them itself.
    const sm2Kept = next.dmk !== this.current.dmk && next.sm2Keys === this.current.sm2Keys ? [] : next.sm2Keys;
    next.sm2Keys = [...sm2Kept].sort((a, b) => a.index - b.index);
    saveState(this.dataDir, next);
    const dmkChanged = next.dmk !== this.current.dmk;
    this.current = next;
    if (dmkChanged) this.refreshLmks();
    return next;
  }

  putKey(entry: StoredKey): void {
    this.commit((s) => ({ ...s, keys: [...s.keys.filter((k) => k.index !== entry.index), entry] }));
  }

  deleteKey(index: number): void {
    this.commit((s) => ({ ...s, keys: s.keys.filter((k) => k.index !== index) }));
  }

  putSm2Key(entry: StoredSm2Key): void {
    this.commit((s) => ({ ...s, sm2Keys: [...s.sm2Keys.filter((k) => k.index !== entry.index), entry] }));
  }

  deleteSm2Key(index: number): void {
    this.commit((s) => ({ ...s, sm2Keys: s.sm2Keys.filter((k) => k.index !== index) }));
  }

  private refreshLmks(): void {
    this.lmkSet?.wipe();
    this.lmkSet = this.current.dmk ? new LmkSet(fromHex(this.current.dmk)) : null;
  }

  close(): void {
    this.lmkSet?.wipe();
    this.lmkSet = null;
    this.unlock();
  }
}
