/**
 * Reading a lab file safely: a regular file of at most 1 MiB, UTF-8. Kept apart from the parser so
 * that playwright.config.ts can read the lab file too (bench-workers.ts) without loading the
 * cacipher parser.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Thrown with the file name and why; lab-file.ts turns it into its one-line error. */
export class LabReadError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'LabReadError';
  }
}

/** A lab file (and a cacipher file it names) is read whole; anything larger is no lab file. */
export const LAB_FILE_MAX_BYTES = 1024 * 1024;

/** Why `st` is no file to read as a lab or cacipher file, or undefined when it is one. */
export function notAReadableFile(st: Stats): string | undefined {
  const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : undefined;
  if (kind || !st.isFile()) return `not a regular file (${kind ?? 'a special file'}): name the JSON file itself`;
  if (st.size > LAB_FILE_MAX_BYTES) return `${st.size} bytes, more than the ${LAB_FILE_MAX_BYTES} a lab file may have`;
  return undefined;
}

/**
 * Reads a lab file: opened without blocking (a FIFO with no writer would block a plain open),
 * checked on the open descriptor (no race with a rename), read up to the size limit, UTF-8.
 */
export function readLabText(full: string): string {
  const refuse = (why: string): never => {
    throw new LabReadError(full, why);
  };
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return refuse(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const why = notAReadableFile(fstatSync(fd));
    if (why) refuse(why);
    // One byte more than allowed tells a file that grew since fstat.
    const buf = Buffer.alloc(LAB_FILE_MAX_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > LAB_FILE_MAX_BYTES) refuse(`more than the ${LAB_FILE_MAX_BYTES} bytes a lab file may have`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return refuse('not UTF-8 text');
    }
  } finally {
    closeSync(fd);
  }
}
