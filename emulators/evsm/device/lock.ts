/**
 * One process per data directory: two emulators writing one state file would each overwrite
 * the other's changes. The lock file holds the owner's pid; a lock whose process is gone (kill -9)
 * or is this very process (a container restarted with the same pid) is taken over.
 *
 * Taking the lock also claims the directory: mode 0700 (it holds the DMK in clear), and the
 * temporary files of writes a crash interrupted are removed.
 */
import { chmodSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTemps, writeFileAtomicSync } from './persist.ts';

export const LOCK_FILE = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirInUse extends Error {}

/** Takes the lock of `dir`; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  let owner = NaN;
  try {
    owner = Number(readFileSync(path, 'utf8').trim());
  } catch {
    /* no lock yet */
  }
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new DataDirInUse(`data directory ${dir} is in use by process ${owner} (another emulator?): stop it, or give this one another --data`);
  }
  writeFileAtomicSync(path, Buffer.from(`${process.pid}\n`));
  try {
    chmodSync(dir, 0o700);
  } catch {
    /* not the owner (a directory given by someone else): its files are 0600 all the same */
  }
  removeStaleTemps(dir);
  return () => {
    try {
      if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
}
