/**
 * An emulator an application can use at once (docs/emulator.md, "Initialized at start"):
 * `--init` gives a factory device a random DMK; `--dmk-components-file FILE` (or the image's
 * EVSM_DMK_COMPONENTS) gives it the DMK that is the XOR of the components, so two emulators
 * started with the same file share their DMK, their LMKs and so every key cryptogram.
 *
 * Components are parsed and checked before the device is opened: bad input changes nothing.
 * Messages never quote a component, only its line number.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { combineXor, constantTimeEqual, DuplicateComponentError, fromHex, hex, randomBytes, wipe } from '../../crypto/index.ts';
import type { Device } from './device/device.ts';

export const DMK_LENGTH = 16;
export const MAX_COMPONENTS = 9;
/** A components file is a few lines; anything bigger is not one (and is not read whole). */
const MAX_FILE_BYTES = 64 * 1024;

export type InitRequest = { kind: 'random' } | { kind: 'components'; components: Buffer[]; source: string };

/** Bad components input: the program exits 2 and writes nothing. */
export class InitInputError extends Error {}

/** The device already holds another DMK: the program exits 1 and changes nothing. */
export class InitConflictError extends Error {}

/**
 * Components from text: one per line as 32 hex digits; blank lines and lines starting with `#`
 * are skipped; `separator` ',' reads the one-line form of EVSM_DMK_COMPONENTS.
 */
export function parseComponents(text: string, source: string, separator: '\n' | ',' = '\n'): Buffer[] {
  const out: Buffer[] = [];
  const fail = (why: string): never => {
    wipe(...out);
    throw new InitInputError(`${source}: ${why}; nothing was written`);
  };
  const items = text.split(separator);
  items.forEach((raw, i) => {
    const item = raw.trim();
    if (item === '' || (separator === '\n' && item.startsWith('#'))) return;
    const where = separator === '\n' ? `line ${i + 1}` : `component ${i + 1}`;
    if (!/^[0-9A-Fa-f]{32}$/.test(item)) fail(`${where} is not a DMK component (32 hex digits, ${DMK_LENGTH} bytes)`);
    out.push(fromHex(item));
  });
  if (out.length < 2) fail(`a DMK needs at least 2 components, found ${out.length}`);
  if (out.length > MAX_COMPONENTS) fail(`at most ${MAX_COMPONENTS} components, found ${out.length}`);
  try {
    wipe(combineXor(out));
  } catch (e) {
    if (e instanceof DuplicateComponentError) fail(`component ${e.second + 1} is the same as component ${e.first + 1}: each component may appear once`);
    throw e;
  }
  return out;
}

/** Reads a components file: a regular file of at most 64 KiB (a FIFO or device is refused, never read). */
export function readComponentsFile(path: string): Buffer[] {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer, forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InitInputError(`--dmk-components-file ${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was written`);
  }
  const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InitInputError(`--dmk-components-file ${path} is not a regular file; nothing was written`);
    if (st.size > MAX_FILE_BYTES) throw new InitInputError(`--dmk-components-file ${path} is ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit of a components file; nothing was written`);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    return parseComponents(buf.subarray(0, n).toString('utf8'), `--dmk-components-file ${path}`);
  } finally {
    buf.fill(0);
    closeSync(fd);
  }
}

/**
 * Gives the device its DMK. A random one only on a factory device (an initialized one keeps its
 * own); the components' one on a factory device, or nothing to do when it already holds that very
 * DMK; another DMK is refused. Returns whether the state changed.
 */
export function applyInit(device: Device, req: InitRequest): { changed: boolean } {
  const dmk = req.kind === 'random' ? randomBytes(DMK_LENGTH) : combineXor(req.components);
  const current = device.dmk();
  try {
    if (current) {
      if (req.kind === 'random' || constantTimeEqual(current, dmk)) return { changed: false };
      throw new InitConflictError(
        `${req.source}: this device (data directory ${device.dataDir}) already holds another DMK (check value ${device.dmkKcv()}); ` +
          'start it without the components, use another --data, or re-key it with recovery init',
      );
    }
    const value = hex(dmk);
    device.commit((s) => ({ ...s, dmk: value }));
    return { changed: true };
  } finally {
    wipe(dmk);
    if (current) wipe(current);
    if (req.kind === 'components') wipe(...req.components);
  }
}
