/**
 * One EVSM: its persisted state, the LMKs derived from its DMK, and the key store.
 *
 * Every change goes through commit(), with group commit: the change is applied in memory at once
 * (the next request, on any connection, sees it) and the whole new state is written crash-safe
 * off the event loop. Changes that arrive while a write is in flight are made durable together
 * by the next write (one temporary file, fsync, rename, directory fsync for the batch). Each
 * change and each answer computed after it carries a sequence number (`seq`); the servers hold
 * an answer until fate(seq) is 'durable', so no client is ever told about, or shown, state that
 * a kill -9 could still take back. A write that fails takes back every change not yet durable
 * (the state returns to the last one on disk) and the answers waiting for them become 'failed'
 * (the host server answers them 41).
 */
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './lock.ts';
import { type DeviceState, loadOrCreateState, saveState, saveStateAsync } from './state.ts';
import { byIndex, DeviceView, type StateChange } from './view.ts';

export type { DeviceStatus } from './view.ts';

export const MODEL = 'SJJ1310';
export const FIRMWARE = 'EVSM01.00';
/** Internal key indices are 1-2048 (`K0001`…`K2048`), as the SDK documents. */
export const MAX_INDEX = 2048;

/**
 * `group` (default): group commit as above. `each`: every change is written on its own, on the
 * answering path, before it is applied (the behaviour before group commit; benches compare the
 * two). The program takes it from EVSM_EMULATOR_COMMIT (docs/emulator.md, Test hook).
 */
export type CommitMode = 'group' | 'each';

export function commitModeOf(env: NodeJS.ProcessEnv = process.env): CommitMode {
  return env.EVSM_EMULATOR_COMMIT === 'each' ? 'each' : 'group';
}

/** What became of the changes up to a sequence number: on disk, still being written, or taken back. */
export type Fate = 'durable' | 'pending' | 'failed';

export class Device extends DeviceView {
  readonly dataDir: string;
  readonly name: string;
  private readonly unlock: () => void;
  /** the last state on disk */
  private durableState: DeviceState;
  /** sequence number of the last change applied in memory (never reused, not persisted) */
  private seqNo = 0;
  /** every change up to this one is on disk (or was taken back, see failedRanges) */
  private durableSeq = 0;
  /** [from, to] ranges of changes a failed write took back */
  private readonly failedRanges: Array<[number, number]> = [];
  private writing = false;
  private writeQueued = false;
  private readonly waiters: Array<{ seq: number; cb: () => void }> = [];
  /** how many state writes were made, and how many changes they held (tests and benches) */
  readonly writeStats = { writes: 0, changes: 0, failures: 0 };

  constructor(
    dataDir: string,
    name: string,
    readonly commitMode: CommitMode = commitModeOf(),
  ) {
    mkdirSync(dataDir, { recursive: true });
    const unlock = lockDataDir(dataDir);
    let state: DeviceState;
    try {
      state = loadOrCreateState(dataDir);
    } catch (e) {
      unlock();
      throw e;
    }
    super(state);
    this.dataDir = dataDir;
    this.name = name;
    this.unlock = unlock;
    this.durableState = state;
  }

  /** The live state object, without noting a read (host/workers.ts posts it to the workers). */
  get snapshot(): DeviceState {
    return this.current;
  }

  /** The sequence numbers a worker's copy of the state needs (host/workers.ts). */
  get changeSeqs(): { keys: number; root: number } {
    return { keys: this.keysSeq, root: this.rootSeq };
  }

  /** Sequence number of the last change in memory (settled() waits for it by default). */
  get seq(): number {
    return this.seqNo;
  }

  fate(seq: number): Fate {
    for (const [a, b] of this.failedRanges) if (seq >= a && seq <= b) return 'failed';
    return seq <= this.durableSeq ? 'durable' : 'pending';
  }

  /** Calls `cb` once fate(seq) is no longer 'pending' (at once if it is not). */
  onSettled(seq: number, cb: () => void): void {
    if (this.fate(seq) !== 'pending') cb();
    else this.waiters.push({ seq, cb });
  }

  /** Resolves when every change so far is durable; rejects if a write took one of them back. */
  settled(seq = this.seqNo): Promise<void> {
    return new Promise((resolve, reject) =>
      this.onSettled(seq, () => (this.fate(seq) === 'failed' ? reject(new Error('the state file could not be written; the change was taken back')) : resolve())),
    );
  }

  /** Applies a change in memory (revision + 1) and queues its write; see the file comment. */
  commit(change: StateChange): DeviceState {
    const next: DeviceState = { ...this.current, ...change(this.current), revision: this.current.revision + 1 };
    next.keys = byIndex(next.keys);
    // SM2 private keys are under the old DMK's LMK: a new DMK (init, recovery, reset) drops them,
    // as the management operations drop the symmetric keys, unless the change set them itself.
    const sm2Kept = next.dmk !== this.current.dmk && next.sm2Keys === this.current.sm2Keys ? [] : next.sm2Keys;
    next.sm2Keys = byIndex(sm2Kept);
    // 'each': written before anything changes; a failed write throws and changes nothing.
    if (this.commitMode === 'each') saveState(this.dataDir, next);
    const dmkChanged = next.dmk !== this.current.dmk;
    this.seqNo++;
    // (every change counts as a key-store change: cheap to decide, and never too early)
    this.keysSeq = this.seqNo;
    if (dmkChanged || next.auth !== this.current.auth || next.deviceKey !== this.current.deviceKey) this.rootSeq = this.seqNo;
    this.seen = this.seqNo;
    this.current = next;
    if (dmkChanged) this.refreshLmks();
    if (this.commitMode === 'each') {
      this.durableState = next;
      this.durableSeq = this.seqNo;
      this.writeStats.writes++;
      this.writeStats.changes++;
    } else this.queueWrite();
    return next;
  }

  /**
   * Starts a write after the current pass of the event loop (setImmediate), so every change of
   * the requests read in this pass, on all connections, goes into it; while one is in flight the
   * next waits for it.
   */
  private queueWrite(): void {
    if (this.writing || this.writeQueued) return;
    this.writeQueued = true;
    setImmediate(() => {
      this.writeQueued = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing || this.seqNo === this.durableSeq) return;
    this.writing = true;
    const state = this.current;
    const upTo = this.seqNo;
    try {
      await saveStateAsync(this.dataDir, state);
      this.writeStats.writes++;
      this.writeStats.changes += upTo - this.durableSeq;
      this.durableState = state;
      this.durableSeq = upTo;
    } catch {
      // Nothing after the last durable state may stand: changes made on top of the failed one
      // were computed from it. Take them all back; their answers become failures.
      this.writeStats.failures++;
      const last = this.failedRanges[this.failedRanges.length - 1];
      // Failures with no good write between them make one range (a disk that stays full).
      if (last && last[1] === this.durableSeq) last[1] = this.seqNo;
      else this.failedRanges.push([this.durableSeq + 1, this.seqNo]);
      this.durableSeq = this.seqNo;
      const dmkChanged = this.current.dmk !== this.durableState.dmk;
      this.current = this.durableState;
      // What is in memory now is on disk: reading it waits for nothing (seq 0 is never failed).
      this.keysSeq = 0;
      this.rootSeq = 0;
      if (dmkChanged) this.refreshLmks();
    } finally {
      this.writing = false;
    }
    const ready = this.waiters.filter((w) => this.fate(w.seq) !== 'pending');
    if (ready.length) {
      this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((w) => this.fate(w.seq) === 'pending'));
      for (const w of ready) w.cb();
    }
    if (this.seqNo !== this.durableSeq) this.queueWrite();
  }

  close(): void {
    this.lmkSet?.wipe();
    this.lmkSet = null;
    this.unlock();
  }
}
