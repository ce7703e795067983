/** getInfo, getChallenge, getDmkKcv, getAuthInfo. */
import { hex, wipe } from '../../../../crypto/index.ts';
import { FIRMWARE, MODEL } from '../../device/device.ts';
import { encodeAuthInfo } from '../auth.ts';
import type { Op } from '../context.ts';
import { needDmk, needPolicy } from '../guards.ts';

export const getInfo: Op = (ctx) => {
  const d = ctx.device;
  const s = d.state;
  return {
    deviceId: d.deviceId,
    name: d.name,
    model: MODEL,
    firmware: FIRMWARE,
    state: ctx.recovery ? 'recovering' : d.status,
    devicePublicKey: hex(d.publicKey),
    dmkKcv: ctx.recovery ? null : d.dmkKcv(),
    auth: s.auth ? { m: s.auth.m, n: s.auth.publicKeys.length } : null,
    keyCount: s.keys.length,
    recovery: ctx.recovery ? { imported: ctx.recovery.components.length, of: ctx.recovery.n } : null,
  };
};

export const getChallenge: Op = (ctx) => ctx.challenges.issue(ctx.caller);

export const getDmkKcv: Op = (ctx) => {
  wipe(needDmk(ctx));
  return { dmkKcv: ctx.device.dmkKcv() };
};

export const getAuthInfo: Op = (ctx) => {
  const policy = needPolicy(ctx);
  const dmk = needDmk(ctx);
  try {
    return { authInfo: hex(encodeAuthInfo(policy, dmk)) };
  } finally {
    wipe(dmk);
  }
};
