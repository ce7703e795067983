/**
 * DMK life cycle: originalInit, recovery init (recoveryBegin → importComponent → combine →
 * syncAuth | newAuth) and exportDmkComponents.
 */
import { combineXor, findDuplicate, hex, kcv, randomBytes, splitXor, wipe } from '../../../../crypto/index.ts';
import { MgmtError } from '../../errors.ts';
import type { AuthPolicy } from '../../device/state.ts';
import { decodeAuthInfo, encodeAuthInfo } from '../auth.ts';
import type { MgmtContext, Op } from '../context.ts';
import { authorize, needDmk, policyKeys } from '../guards.ts';
import { hexListParam, hexParam, intParam, recipients } from '../params.ts';
import { openSealed, sealTo } from '../sealing.ts';

const DMK_LENGTH = 16;

/** Splits the DMK into n fresh components, each sealed to its recipient. */
function sealedComponents(dmk: Buffer, recipientKeys: Buffer[]): Array<{ number: number; encrypted: string; kcv: string }> {
  const parts = splitXor(dmk, recipientKeys.length);
  try {
    return parts.map((c, i) => ({ number: i + 1, encrypted: sealTo(recipientKeys[i], c), kcv: kcv('SM4', c) }));
  } finally {
    wipe(...parts);
  }
}

function setPolicy(ctx: MgmtContext, policy: AuthPolicy): void {
  ctx.device.commit((s) => ({ ...s, auth: policy }));
}

export const originalInit: Op = (ctx, p) => {
  if (ctx.recovery) throw new MgmtError('WRONG_STATE', 'a recovery init is in progress: finish it (combine, then syncAuth or newAuth) instead');
  if (ctx.device.state.dmk) throw new MgmtError('ALREADY_INITIALIZED', 'this device already has a DMK: originalInit is for a factory device; use recoveryBegin to re-key it (that wipes every key)');
  const n = intParam(p, 'components', 2, 9);
  const keys = policyKeys(hexListParam(p, 'authPublicKeys'));
  if (keys.length < 1 || keys.length > 9) throw new MgmtError('BAD_POLICY', 'give 1-9 auth public keys (2-of-3 recommended, 1-of-1 allowed)');
  const m = intParam(p, 'threshold', 1, keys.length);
  const to = recipients(p, n);
  const dmk = randomBytes(DMK_LENGTH);
  try {
    const components = sealedComponents(dmk, to);
    const policy = { m, publicKeys: keys };
    const authInfo = hex(encodeAuthInfo(policy, dmk));
    ctx.device.commit((s) => ({ ...s, dmk: hex(dmk), auth: policy, keys: [] }));
    ctx.log.info(`originalInit: DMK from ${n} components, authorization ${m}-of-${keys.length}`);
    return { dmkKcv: kcv('SM4', dmk), components, authInfo, state: ctx.device.status };
  } finally {
    wipe(dmk);
  }
};

export const recoveryBegin: Op = (ctx, p) => {
  const n = intParam(p, 'components', 2, 9);
  if (p.confirmWipe !== true) {
    throw new MgmtError('CONFIRM_REQUIRED', 'recovery init wipes the DMK, the authorization and every key on this device: send confirmWipe: true to go ahead');
  }
  if (ctx.device.state.auth && !ctx.recovery) authorize(ctx, p, 'recoveryBegin');
  for (const c of ctx.recovery?.components ?? []) wipe(c);
  const wipedKeys = ctx.device.state.keys.length;
  ctx.device.commit((s) => ({ ...s, dmk: null, auth: null, keys: [] }));
  ctx.recovery = { n, components: [], wipedKeys };
  ctx.log.info(`recoveryBegin: wiped DMK, authorization and ${wipedKeys} keys; expecting ${n} components`);
  return { wipedKeys, devicePublicKey: hex(ctx.device.publicKey), state: 'recovering' };
};

export const importComponent: Op = (ctx, p) => {
  const r = ctx.recovery;
  if (!r) throw new MgmtError('WRONG_STATE', 'no recovery init in progress: call recoveryBegin first');
  const sealed = hexParam(p, 'encrypted');
  if (r.components.length >= r.n) throw new MgmtError('COMPONENT_COUNT', `all ${r.n} components are already imported: call combine`);
  const c = openSealed(ctx.device, sealed, 'the component');
  if (c.length !== DMK_LENGTH) {
    wipe(c);
    throw new MgmtError('BAD_COMPONENT', `a DMK component is ${DMK_LENGTH} bytes, this one is ${c.length}: use a component token of this DMK`);
  }
  const dup = findDuplicate(r.components, c);
  if (dup >= 0) {
    wipe(c);
    throw new MgmtError('DUPLICATE_COMPONENT', `this component was already imported (as number ${dup + 1}); each component may be imported once: insert the next, different component token`);
  }
  r.components.push(c);
  return { imported: r.components.length, of: r.n, kcv: kcv('SM4', c) };
};

export const combine: Op = (ctx) => {
  const r = ctx.recovery;
  if (!r) throw new MgmtError('WRONG_STATE', 'no recovery init in progress: call recoveryBegin first');
  if (r.components.length !== r.n) throw new MgmtError('COMPONENT_COUNT', `${r.components.length} of ${r.n} components imported: import the rest before combine`);
  const dmk = combineXor(r.components);
  try {
    ctx.device.commit((s) => ({ ...s, dmk: hex(dmk), auth: null, keys: [] }));
    wipe(...r.components);
    ctx.recovery = null;
    ctx.log.info('combine: DMK set from imported components; awaiting authorization');
    return { dmkKcv: kcv('SM4', dmk), wipedKeys: r.wipedKeys, state: ctx.device.status };
  } finally {
    wipe(dmk);
  }
};

function needAwaitingAuth(ctx: MgmtContext): Buffer {
  const dmk = needDmk(ctx);
  if (ctx.device.state.auth) {
    wipe(dmk);
    throw new MgmtError('WRONG_STATE', 'this device already has an authorization policy: syncAuth/newAuth only finish a recovery init');
  }
  return dmk;
}

export const syncAuth: Op = (ctx, p) => {
  const blob = hexParam(p, 'authInfo');
  const dmk = needAwaitingAuth(ctx);
  try {
    const policy = decodeAuthInfo(blob, dmk);
    setPolicy(ctx, policy);
    ctx.log.info(`syncAuth: authorization ${policy.m}-of-${policy.publicKeys.length} taken from auth info`);
    return { m: policy.m, n: policy.publicKeys.length, state: ctx.device.status };
  } finally {
    wipe(dmk);
  }
};

export const newAuth: Op = (ctx, p) => {
  const keys = policyKeys([hexParam(p, 'publicKey')]);
  const dmk = needAwaitingAuth(ctx);
  try {
    const policy = { m: 1, publicKeys: keys };
    setPolicy(ctx, policy);
    ctx.log.info('newAuth: authorization 1-of-1');
    return { authInfo: hex(encodeAuthInfo(policy, dmk)), m: 1, n: 1, state: ctx.device.status };
  } finally {
    wipe(dmk);
  }
};

export const exportDmkComponents: Op = (ctx, p) => {
  const n = intParam(p, 'components', 2, 9);
  const to = recipients(p, n);
  authorize(ctx, p, 'exportDmkComponents');
  const dmk = needDmk(ctx);
  try {
    ctx.log.info(`exportDmkComponents: ${n} fresh components`);
    return { dmkKcv: kcv('SM4', dmk), components: sealedComponents(dmk, to) };
  } finally {
    wipe(dmk);
  }
};

