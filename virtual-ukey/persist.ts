/**
 * Crash-safe replacement of a virtual token file (io/atomic-write.ts): a crash at any point leaves
 * the old or the new state, never a torn file. The temporary file is named per write: every handle
 * open on a token saves it, and one process may hold several handles of one token at once.
 */
import { writeFileAtomic as write } from '../io/atomic-write.ts';

export function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  return write(path, data, { temp: 'per-write' });
}
