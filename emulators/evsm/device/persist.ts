/**
 * The emulator's crash-safe state and lock files (io/atomic-write.ts): temporary files named per
 * process, one write at a time (group commit, device.ts), so the ones a crash left behind can be
 * removed at the next start, under the directory's lock (lock.ts). The synchronous form serves
 * the start (before any listener); the running device writes with the asynchronous one, off the
 * answering path, and holds each answer until the write that holds its state is done.
 */
import { writeFileAtomic as write, writeFileAtomicSync as writeSync, type AtomicWriteOptions } from '../../../io/atomic-write.ts';

export { removeStaleTemps } from '../../../io/atomic-write.ts';

const PER_PROCESS: AtomicWriteOptions = { temp: 'per-process' };

export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  writeSync(path, data, PER_PROCESS);
}

export function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  return write(path, data, PER_PROCESS);
}
