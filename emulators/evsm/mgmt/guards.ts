/** State checks shared by operations; each refusal says what to do instead. */
import { sm2IsValidPublicKey, wipe } from '../../../crypto/index.ts';
import { MgmtError } from '../errors.ts';
import type { AuthPolicy } from '../device/state.ts';
import { checkAuthorization } from './auth.ts';
import type { MgmtContext } from './context.ts';
import type { Params } from './params.ts';

/** The DMK (a copy the caller wipes), or NOT_INITIALIZED. */
export function needDmk(ctx: MgmtContext): Buffer {
  const dmk = ctx.device.dmk();
  if (!dmk || ctx.recovery) throw new MgmtError('NOT_INITIALIZED', 'this device has no DMK: run originalInit (new device) or recovery init (recoveryBegin, importComponent, combine)');
  return dmk;
}

export function needPolicy(ctx: MgmtContext): AuthPolicy {
  wipe(needDmk(ctx));
  const p = ctx.device.state.auth;
  if (!p) throw new MgmtError('WRONG_STATE', 'this device has no authorization policy yet: finish recovery init with syncAuth or newAuth');
  return p;
}

export function authorize(ctx: MgmtContext, params: Params, op: string): void {
  checkAuthorization(params, op, ctx.device.deviceId, needPolicy(ctx), ctx.challenges);
}

/** SM2 public keys for a policy: 65-byte points, no repeats. */
export function policyKeys(list: Buffer[]): string[] {
  const seen = new Set<string>();
  for (const k of list) {
    const h = k.toString('hex').toUpperCase();
    if (k.length !== 65 || k[0] !== 4) throw new MgmtError('BAD_PUBLIC_KEY', 'an auth public key is not a 65-byte SM2 point 04||X||Y: read it again from the auth token');
    // A key off the curve verifies no signature: a policy with it could lock the device for good.
    if (!sm2IsValidPublicKey(k)) throw new MgmtError('BAD_PUBLIC_KEY', 'an auth public key is not a point on the SM2 curve: read it again from the auth token');
    if (seen.has(h)) throw new MgmtError('BAD_POLICY', 'the same auth public key is listed twice: each auth token must have its own key pair');
    seen.add(h);
  }
  return [...seen];
}
