/**
 * Crash-safe file replacement: write a temporary file beside the target (mode 0600), fsync it,
 * rename it over the target, fsync the directory. rename() is atomic on POSIX file systems, so a
 * crash (kill -9) at any moment leaves the old file or the new one, never a mix. The synchronous
 * form serves a program's start (before it listens); the asynchronous one runs the same steps on
 * libuv's thread pool, off the event loop.
 *
 * The temporary file's name (`temp`) is the one choice callers differ in:
 *  - `per-process` (`.NAME.<pid>.tmp`): one write at a time per file and process (the EVSM
 *    emulator commits in turn, under its directory lock). A crash leaves at most one such file per
 *    pid, and removeStaleTemps() clears them at the next start (they may hold a whole state).
 *  - `per-write` (`.NAME.<pid>.<n>.tmp`, n counting the process's writes): writes to one file may
 *    overlap (a virtual UKEY token file: every handle open on it saves it, and one process may
 *    hold several); each has its own temporary file, so none renames another's half-written one.
 * Both names match STALE_TEMP.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** How the temporary file is named (above). Default `per-process`. */
  temp?: 'per-process' | 'per-write';
}

/** The temporary files of both namings: `.NAME.<pid>.tmp`, `.NAME.<pid>.<n>.tmp`. */
export const STALE_TEMP = /^\..+\.\d+(\.\d+)?\.tmp$/;

let writes = 0;

function tempOf(path: string, options: AtomicWriteOptions): string {
  const unique = options.temp === 'per-write' ? `${process.pid}.${++writes}` : `${process.pid}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

export function writeFileAtomicSync(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): void {
  const tmp = tempOf(path, options);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* the temporary file is garbage either way */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  syncDirectory(dirname(path));
}

/** The same steps without blocking the event loop. */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempOf(path, options);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDirectoryAsync(dirname(path));
}

// Makes the rename durable. Some file systems refuse to open or fsync a directory: the rename is
// still atomic there, only its durability is the file system's business.
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* see above */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function syncDirectoryAsync(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close().catch(() => undefined);
}

/**
 * Removes the temporary files that writes interrupted by a crash left in `dir` (kill -9 between
 * open and rename). The next run has another pid, so it would never overwrite them. Call it only
 * while no write to that directory can be in progress (the emulator: holding its lock). Returns
 * the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!STALE_TEMP.test(name)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove: the next start tries again */
    }
  }
  return removed;
}
