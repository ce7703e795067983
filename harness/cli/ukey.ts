/**
 * `evsm-lab ukey blank`: makes blank virtual UKEYs (docs/ukey-layout.md files) in a folder, for a
 * person rehearsing the bench path by hand on emulators (docs/lab-file.md "Station rehearsal"):
 * the station asks for "a blank UKEY", and "inserting" one is moving its file into the slot folder
 * the harness and the VsmManager console both read. Without this verb the only way to make such a
 * file was a TypeScript call. PINs never appear on the command line (shell history) or in output:
 * the user PIN is the factory one unless `--pin-env VAR` names a variable holding another.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createVirtualToken, FACTORY_USER_PIN, VIRTUAL_PIN_LENGTH } from '../../drivers/ukey/index.ts';
import { parseOptions, single, UsageError, type Verb } from './usage.ts';

const SYNOPSIS = 'usage: evsm-lab ukey blank --dir DIR [--count N] [--label PREFIX] [--pin-env VAR] [--so-pin-env VAR]';

/** The SO PIN of a blank made without --so-pin-env: fixed and documented, as a rehearsal token's factory value. */
export const REHEARSAL_SO_PIN = '87654321';
const MAX_COUNT = 500;

function pinFrom(option: string, variable: string | undefined, fallback: string): string {
  if (variable === undefined) return fallback;
  const pin = process.env[variable];
  if (pin === undefined || pin === '') throw new UsageError(`${option} ${variable}: that environment variable is not set (export it first; the PIN is never taken from the command line)`);
  const { min, max } = VIRTUAL_PIN_LENGTH;
  if (pin.length < min || pin.length > max) throw new UsageError(`${option} ${variable}: a virtual UKEY's PIN has ${min} to ${max} characters`);
  return pin;
}

export const UKEY: Verb = {
  name: 'ukey',
  synopsis: SYNOPSIS,
  help: `${SYNOPSIS}

Makes N blank virtual UKEYs (no role record) in DIR, one file <serial>.ukey.json each, and prints
one line per UKEY. "Insert" one by moving its file into the slot folder a rehearsal reads
(EVSM_REHEARSAL_UKEYS, and the VsmManager console's --tokens).

  --dir DIR          an existing folder (a "drawer" of blanks, or the slot folder itself)
  --count N          how many (1..${MAX_COUNT}, default 1)
  --label PREFIX     labels PREFIX-1, PREFIX-2, … (default UKEY; numbering continues after the files there)
  --pin-env VAR      the user PIN from environment variable VAR (default: the factory PIN ${FACTORY_USER_PIN})
  --so-pin-env VAR   the SO PIN from VAR (default: ${REHEARSAL_SO_PIN})

Example:
  mkdir -p ./drawer && npx evsm-lab ukey blank --dir ./drawer --count 3
  ukey blank serial=9F2C41D07A3B5E16 label=UKEY-1 file=./drawer/9F2C41D07A3B5E16.ukey.json`,
  async run(args) {
    const o = parseOptions(args, { '--dir': 'value', '--count': 'value', '--label': 'value', '--pin-env': 'value', '--so-pin-env': 'value' });
    if (o.positional[0] !== 'blank') throw new UsageError(o.positional.length ? `unknown ukey action "${o.positional[0]}" (the one action is: blank)` : 'which action? (evsm-lab ukey blank --dir DIR)');
    if (o.positional.length > 1) throw new UsageError(`unexpected argument ${o.positional[1]}`);
    const dirText = single(o, '--dir');
    if (!dirText) throw new UsageError('--dir DIR is needed');
    const dir = resolve(dirText);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--dir ${dir}: no such directory (make it first)`);
    const countText = single(o, '--count') ?? '1';
    if (!/^\d{1,3}$/.test(countText) || Number(countText) < 1 || Number(countText) > MAX_COUNT) throw new UsageError(`--count "${countText}" is not a number from 1 to ${MAX_COUNT}`);
    const prefix = single(o, '--label') ?? 'UKEY';
    if (!/^[A-Za-z0-9_.-]{1,24}$/.test(prefix)) throw new UsageError(`--label "${prefix}": use 1 to 24 letters, digits, '.', '_' or '-'`);
    const userPin = pinFrom('--pin-env', single(o, '--pin-env'), FACTORY_USER_PIN);
    const soPin = pinFrom('--so-pin-env', single(o, '--so-pin-env'), REHEARSAL_SO_PIN);
    // Every argument is checked before the first file is written: a bad command line makes nothing.
    const already = readdirSync(dir).filter((f) => f.endsWith('.ukey.json')).length;
    for (let i = 1; i <= Number(countText); i++) {
      const label = `${prefix}-${already + i}`;
      const t = await createVirtualToken(dir, { label, userPin, soPin });
      console.log(`ukey blank serial=${t.identity.serial} label=${label} file=${t.identity.location}`);
      await t.close();
    }
    return 0;
  },
};
