/**
 * EMULATOR EXTENSIONS — not SJJ1310 commands (brief decision 10; docs/host-protocol.md). What the
 * seeds need and the device's protocol lacks: X4 list internal keys, X8 DMK check value, XK form a
 * key from clear components. The `hardware` target never relies on them; a real SJJ1310 answers
 * them with an error.
 */
import type { WireCommand } from '../failover.ts';
import { EvsmParameterError } from '../errors.ts';
import { command } from './command.ts';
import type { FieldReader } from './codec.ts';
import { dec } from './fields.ts';
import { keyTypeCode, KEY_FLAG_LENGTHS, isKeyFlag, type KeyType } from './key-types.ts';

export interface ListedKey {
  index: number;
  /** 3-hex-digit type code. */
  typeCode: string;
  flag: string;
  kcv: string;
}

/** X4 (extension): one page of the internal key list from `first`: count(3N) + more(1N) + entries. */
export function x4ListKeys(first = 1): WireCommand<{ keys: ListedKey[]; more: boolean }> {
  if (!Number.isInteger(first) || first < 1 || first > 9999) throw new EvsmParameterError(`first index ${first} is not 1-9999`);
  return command('X4', 'list keys (extension)', true, [dec(first, 4)], (r) => {
    const count = r.decimal(3, 'count');
    const more = r.text(1, 'more flag') === '1';
    const keys: ListedKey[] = [];
    for (let i = 0; i < count; i++) {
      keys.push({ index: r.decimal(4, 'index'), typeCode: r.text(3, 'key type'), flag: r.text(1, 'key flag'), kcv: r.text(16, 'KCV') });
    }
    r.end();
    return { keys, more };
  });
}

/** X8 (extension): the DMK check value (16H); error 13 on a factory device. */
export function x8DmkCheckValue(): WireCommand<string> {
  return command('X8', 'DMK check value (extension)', true, [], (r) => {
    const kcv = r.text(16, 'DMK KCV');
    r.end();
    return kcv;
  });
}

/** Key under the LMK (flag + 2×key-length hex) then a 16H check value. */
function keyUnderLmkAndCv(r: FieldReader): { keyUnderLmk: string; kcv: string } {
  const flag = r.text(1, 'key flag');
  if (!isKeyFlag(flag)) r.fail(`unexpected key flag "${flag}"`);
  const keyUnderLmk = flag + r.text(KEY_FLAG_LENGTHS[flag] * 2, 'key under LMK');
  const kcv = r.text(16, 'KCV');
  r.end();
  return { keyUnderLmk, kcv };
}

/**
 * XK (extension): a key from 2-9 clear components (XOR, parity-adjusted), returned under the
 * LMK; nothing stored. Components are hex of the key length. Never logged.
 */
export function xkFormKey(keyType: KeyType, flag: string, components: readonly string[]): WireCommand<{ keyUnderLmk: string; kcv: string }> {
  if (components.length < 2 || components.length > 9) throw new EvsmParameterError('XK takes 2 to 9 components');
  if (!isKeyFlag(flag)) throw new EvsmParameterError(`Value of parameter keyFlag <${flag}> Invalid.`);
  const hexLen = KEY_FLAG_LENGTHS[flag] * 2;
  for (const c of components) {
    if (c.length !== hexLen || !/^[0-9A-Fa-f]+$/.test(c)) throw new EvsmParameterError(`each component must be ${hexLen} hex digits for flag ${flag}`);
  }
  return command('XK', 'form key from components (extension)', true, [keyTypeCode(keyType), flag, String(components.length), ...components], keyUnderLmkAndCv);
}
