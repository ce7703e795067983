/**
 * Crash-safe file replacement for virtual token state: write a temporary file, fsync it, rename
 * it over the old one, fsync the directory. A crash at any point leaves either the old or the new
 * state on disk, never a torn file (rename is atomic on POSIX file systems).
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some file systems refuse fsync on a directory: the rename
  // is still atomic there, only its durability is the file system's business.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    /* see above */
  } finally {
    await dh.close();
  }
}
