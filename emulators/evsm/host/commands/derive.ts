/**
 * Key diversification ("disper") and session keys of S3/S4, D3/D4, S0, D0/D1
 * (docs/host-protocol.md 2.8). Each level is the UnionPay/PBOC form: child = ECB(parent, F) with
 * a 16-byte factor F (the caller's 32H, conventionally X || NOT X), parity-adjusted. Session key
 * type 01 (8-byte factor F): SK = ECB(K, F || NOT F), parity-adjusted. Only 16-byte keys
 * (flags X U P R) can be derived: the factor is one 3DES double block pair or one 16-byte block.
 */
import { setOddParity, wipe } from '../../../../crypto/index.ts';
import { HostError } from '../../errors.ts';
import { familyOf, keyLengthOf } from '../../device/keytypes.ts';
import { ecb } from '../cipher.ts';
import type { Fields } from '../fields.ts';
import type { ClearKey } from '../keyref.ts';

export interface Derivation {
  factors: Buffer[];
  session?: Buffer;
}

const MAX_LEVELS = 8;

/** disper count 2N + count × 32H, then session type 2N (+ 16H factor when 01). */
export function readDerivation(f: Fields): Derivation {
  const n = f.digits(2, 'dispersion level count', '36');
  if (n > MAX_LEVELS) throw new HostError('36', `dispersion levels ${n}: at most ${MAX_LEVELS}`);
  const factors: Buffer[] = [];
  for (let i = 0; i < n; i++) factors.push(f.hex(32, `dispersion factor ${i + 1}`));
  const type = f.digits(2, 'session key type', '37');
  if (type === 0) return { factors };
  if (type !== 1) throw new HostError('37', `session key type ${type} is not 00 (none) or 01 (8-byte factor)`);
  return { factors, session: f.hex(16, 'session key factor') };
}

function step(k: ClearKey, block16: Buffer): ClearKey {
  const child = ecb(familyOf(k.flag), k.key, true, block16);
  setOddParity(child);
  return { flag: k.flag, key: child };
}

/** The working key: `base` diversified level by level, then the session key. Wipes `base`. */
export function derive(base: ClearKey, d: Derivation): ClearKey {
  if (d.factors.length === 0 && !d.session) return base;
  if (keyLengthOf(base.flag) !== 16) {
    wipe(base.key);
    throw new HostError('27', `diversification and session keys need a 16-byte key (flag X, U, P or R), not flag ${base.flag}`);
  }
  let k = base;
  for (const factor of [...d.factors, ...(d.session ? [Buffer.concat([d.session, d.session.map((b) => ~b & 0xff)])] : [])]) {
    const next = step(k, factor);
    wipe(k.key);
    k = next;
  }
  return k;
}
