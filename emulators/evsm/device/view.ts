/**
 * What a host command handler sees of a device: the state, the LMKs of its DMK, the key store,
 * and the writes. Device (device.ts) is the one that owns and persists the state; a host worker
 * thread (host/workers.ts) holds a read-only copy (WorkerDeviceView) and refuses writes.
 *
 * Both note, per command (beginCommand → seenSeq), the newest change the command read: the
 * host server holds its answer until that change is on disk.
 */
import { fromHex, kcv, sm2PublicKeyOf } from '../../../crypto/index.ts';
import { HostError } from '../errors.ts';
import { LmkSet } from './lmk.ts';
import type { DeviceState, StoredKey, StoredSm2Key } from './state-types.ts';

export type DeviceStatus = 'factory' | 'recovering' | 'awaiting-auth' | 'initialized';

/** The change a command makes: the new state without the fields commit() fills in. */
export type StateChange = (s: DeviceState) => Omit<DeviceState, 'revision' | 'format'> & Partial<DeviceState>;

export abstract class DeviceView {
  protected lmkSet: LmkSet | null = null;
  /** the last change to the key store (keys, sm2Keys), and to the root (DMK, authorization policy) */
  protected keysSeq = 0;
  protected rootSeq = 0;
  /** the newest change the command being answered read or made (beginCommand() resets it) */
  protected seen = 0;

  constructor(protected current: DeviceState) {
    this.refreshLmks();
  }

  /** Applies a change (Device: in memory, then written by group commit). */
  abstract commit(change: StateChange): DeviceState;

  get state(): DeviceState {
    this.sawKeys();
    this.sawRoot();
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
    this.sawRoot();
    if (!this.current.dmk) return 'factory';
    return this.current.auth ? 'initialized' : 'awaiting-auth';
  }

  /** The LMKs, or host error 13 when the device has no DMK. */
  get lmks(): LmkSet {
    this.sawRoot();
    if (!this.lmkSet) throw new HostError('13', 'device not initialized: no DMK, so no LMK; run original init or recovery init');
    return this.lmkSet;
  }

  hasDmk(): boolean {
    this.sawRoot();
    return this.lmkSet !== null;
  }

  dmkKcv(): string | null {
    this.sawRoot();
    if (!this.current.dmk) return null;
    const d = fromHex(this.current.dmk);
    const v = kcv('SM4', d);
    d.fill(0);
    return v;
  }

  /** A copy of the DMK; the caller wipes it. */
  dmk(): Buffer | null {
    this.sawRoot();
    return this.current.dmk ? fromHex(this.current.dmk) : null;
  }

  getKey(index: number): StoredKey | undefined {
    this.sawKeys();
    return this.current.keys.find((k) => k.index === index);
  }

  getSm2Key(index: number): StoredSm2Key | undefined {
    this.sawKeys();
    return this.current.sm2Keys.find((k) => k.index === index);
  }

  /**
   * Starts a command: from here the device notes the newest change the command reads (through
   * any accessor) or makes; seenSeq is then the tag of its answer. A command that reads only the
   * DMK is not held up by key-store writes of other connections, nor one that reads nothing.
   */
  beginCommand(): void {
    this.seen = 0;
  }

  get seenSeq(): number {
    return this.seen;
  }

  protected sawKeys(): void {
    if (this.keysSeq > this.seen) this.seen = this.keysSeq;
  }

  protected sawRoot(): void {
    if (this.rootSeq > this.seen) this.seen = this.rootSeq;
  }

  putKey(entry: StoredKey): void {
    this.commit((s) => ({ ...s, keys: withEntry(s.keys, entry) }));
  }

  deleteKey(index: number): void {
    this.commit((s) => ({ ...s, keys: s.keys.filter((k) => k.index !== index) }));
  }

  putSm2Key(entry: StoredSm2Key): void {
    this.commit((s) => ({ ...s, sm2Keys: withEntry(s.sm2Keys, entry) }));
  }

  deleteSm2Key(index: number): void {
    this.commit((s) => ({ ...s, sm2Keys: s.sm2Keys.filter((k) => k.index !== index) }));
  }

  protected refreshLmks(): void {
    this.lmkSet?.wipe();
    this.lmkSet = this.current.dmk ? new LmkSet(fromHex(this.current.dmk)) : null;
  }

}

/** True when the indices strictly increase (sorted, no index twice). */
function strictlyByIndex(list: ReadonlyArray<{ index: number }>): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1].index >= list[i].index) return false;
  return true;
}

/**
 * A new list: `list` with `entry` at its index, replacing a key there. On a list in index order
 * (the state always is, Device.commit sorts) the entry goes in by binary search, a copy and one
 * splice instead of a filter of the whole store and a sort (with 2,000 keys that was most of a
 * store's CPU); any other list gets the filter and is sorted by commit, as before.
 */
export function withEntry<T extends { index: number }>(list: readonly T[], entry: T): T[] {
  if (!strictlyByIndex(list)) return [...list.filter((k) => k.index !== entry.index), entry];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].index < entry.index) lo = mid + 1;
    else hi = mid;
  }
  const out = list.slice();
  if (lo < out.length && out[lo].index === entry.index) out[lo] = entry;
  else out.splice(lo, 0, entry);
  return out;
}

/** A sorted copy by index: a list already in order (the usual case) is copied, not sorted. */
export function byIndex<T extends { index: number }>(list: readonly T[]): T[] {
  for (let i = 1; i < list.length; i++) if (list[i - 1].index > list[i].index) return [...list].sort((a, b) => a.index - b.index);
  return list.slice();
}

/** A host worker thread's copy of the device: replaced by the main thread, never written here. */
export class WorkerDeviceView extends DeviceView {
  constructor(state: DeviceState, keysSeq: number, rootSeq: number) {
    super(state);
    this.keysSeq = keysSeq;
    this.rootSeq = rootSeq;
  }

  /** Takes the main thread's state and the sequence numbers of its last key-store and root changes. */
  load(state: DeviceState, keysSeq: number, rootSeq: number): void {
    const dmkChanged = state.dmk !== this.current.dmk;
    this.current = state;
    this.keysSeq = keysSeq;
    this.rootSeq = rootSeq;
    if (dmkChanged) this.refreshLmks();
  }

  commit(): DeviceState {
    // Only commands that never write run on a worker (host/workers.ts); reaching this is a bug.
    throw new HostError('41', 'a host worker thread cannot change the device state');
  }

  wipe(): void {
    this.lmkSet?.wipe();
    this.lmkSet = null;
  }
}
