/** Typed access to request params; anything missing or ill-typed is BAD_REQUEST. */
import { MgmtError } from '../errors.ts';

export type Params = Record<string, unknown>;

export function hexParam(p: Params, name: string): Buffer {
  const v = p[name];
  if (typeof v !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(v)) throw new MgmtError('BAD_REQUEST', `param ${name} must be a hex string`);
  return Buffer.from(v, 'hex');
}

export function intParam(p: Params, name: string, min: number, max: number): number {
  const v = p[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new MgmtError('BAD_REQUEST', `param ${name} must be an integer ${min}-${max}`);
  return v;
}

export function hexListParam(p: Params, name: string): Buffer[] {
  const v = p[name];
  if (!Array.isArray(v)) throw new MgmtError('BAD_REQUEST', `param ${name} must be an array of hex strings`);
  return v.map((_, i) => hexParam(v as unknown as Params, String(i)));
}

/** recipientPublicKeys (exactly n) or one recipientPublicKey for all n items. */
export function recipients(p: Params, n: number): Buffer[] {
  if (p.recipientPublicKeys !== undefined) {
    const list = hexListParam(p, 'recipientPublicKeys');
    if (list.length !== n) throw new MgmtError('BAD_REQUEST', `recipientPublicKeys must list ${n} keys, one per item`);
    return list;
  }
  if (p.recipientPublicKey !== undefined) {
    const one = hexParam(p, 'recipientPublicKey');
    return Array.from({ length: n }, () => one);
  }
  throw new MgmtError('BAD_REQUEST', 'give recipientPublicKeys (one per item) or recipientPublicKey (the SM2 key the results are encrypted to)');
}
