/**
 * Virtual UKEY devices: one JSON file per token in a directory (`<serial>.ukey.json`), the format
 * of docs/ukey-layout.md. Shared by the UKEY driver and the tools that make test tokens; it imports
 * only the crypto core (test/layering.test.ts).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from '../crypto/index.ts';
import { VirtualUkeyDevice, type CreateOptions } from './device.ts';

export * from './device.ts';
export { writeFileAtomic } from './persist.ts';

export const TOKEN_FILE_SUFFIX = '.ukey.json';

/** The token files in a directory, sorted (a missing directory holds none). */
export async function listDeviceFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(TOKEN_FILE_SUFFIX)).sort().map((n) => join(dir, n));
}

/** Creates a token file `<serial>.ukey.json` in `dir` (made if missing). */
export async function createDevice(dir: string, opts: CreateOptions): Promise<VirtualUkeyDevice> {
  await mkdir(dir, { recursive: true });
  const serial = opts.serial ?? randomBytes(8).toString('hex').toUpperCase();
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(serial)) throw new RangeError('a virtual UKEY serial is 1..32 of A-Z a-z 0-9 _ -');
  return VirtualUkeyDevice.create(join(dir, `${serial}${TOKEN_FILE_SUFFIX}`), { ...opts, serial });
}
