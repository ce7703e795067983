/**
 * Crash-safe state file: write a temporary file, fsync it, rename it over the old one, fsync
 * the directory. rename() is atomic on POSIX file systems, so kill -9 at any moment leaves the
 * old file or the new one, never a mix. The synchronous form serves the start (before any
 * listener); the running device writes with the asynchronous one, off the answering path, and
 * holds each answer until the write that holds its state is done (device.ts, group commit).
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `.state.json.<pid>.tmp`: the temporary file of a write in progress. */
const TEMP = /^\..+\.\d+\.tmp$/;

function tempOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const tmp = tempOf(path);
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

/** The same steps without blocking the event loop (they run on libuv's thread pool). */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = tempOf(path);
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

async function syncDirectoryAsync(dir: string): Promise<void> {
  // As syncDirectory: a file system that refuses fsync on a directory still renamed atomically.
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close().catch(() => undefined);
}

function syncDirectory(dir: string): void {
  // Makes the rename durable; some file systems refuse fsync on a directory (the rename is
  // still atomic there).
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

/**
 * Removes the temporary files of writes a crash interrupted (kill -9 between open and rename).
 * They may hold a whole state, DMK included, and the next run has another pid so would never
 * overwrite them. Call it only while holding the directory's lock: then no write is in progress.
 * Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!TEMP.test(name)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove: the next start tries again */
    }
  }
  return removed;
}
