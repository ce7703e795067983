/**
 * m-of-n authorization: single-use challenges, signature checks, and the auth-info blob
 * (docs/management-protocol.md 3).
 */
import { constantTimeEqual, fromHex, hex, hmacSm3, kcv, randomBytes, sm2IsValidPublicKey, sm2Verify, wipe } from '../../../crypto/index.ts';
import { MgmtError } from '../errors.ts';
import type { AuthPolicy } from '../device/state.ts';
import type { Params } from './params.ts';

export const CHALLENGE_TTL_MS = 120_000;
/** Open challenges one connection may hold; its oldest goes when it asks for one more. */
export const CHALLENGES_PER_CONNECTION = 8;

export function authMessage(op: string, deviceId: string, challenge: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`evsm-lab/auth/v1|${op}|${deviceId}|`, 'ascii'), challenge]);
}

/** Who asked for a challenge: one per management connection. */
export type ChallengeOwner = object;

/**
 * Single-use challenges in per-connection slots. A connection that asks for many challenges only
 * ever replaces its own oldest one, so it cannot evict the challenge an operator on another
 * connection is having signed. A challenge may be spent on any connection (it is 32 random
 * bytes); it lives until it is spent, expires, or its connection closes (release()).
 */
export class Challenges {
  /** challenge → owner and expiry; a Map keeps issue order, oldest first */
  private readonly open = new Map<string, { owner: ChallengeOwner; exp: number }>();
  private readonly perOwner = new Map<ChallengeOwner, Set<string>>();

  issue(owner: ChallengeOwner, now = Date.now()): { challenge: string; expiresInMs: number } {
    const mine = this.perOwner.get(owner) ?? new Set<string>();
    for (const c of [...mine]) if ((this.open.get(c)?.exp ?? 0) <= now) this.drop(c);
    while (mine.size >= CHALLENGES_PER_CONNECTION) this.drop(mine.values().next().value as string);
    const challenge = hex(randomBytes(32));
    this.open.set(challenge, { owner, exp: now + CHALLENGE_TTL_MS });
    mine.add(challenge);
    // drop() forgets an owner whose set ran empty: (re)register it.
    this.perOwner.set(owner, mine);
    return { challenge, expiresInMs: CHALLENGE_TTL_MS };
  }

  /** Spends the challenge (whatever happens next); refuses unknown, used or expired ones. */
  spend(challenge: string, now = Date.now()): void {
    const key = challenge.toUpperCase();
    const entry = this.open.get(key);
    this.drop(key);
    if (entry === undefined || entry.exp <= now) {
      throw new MgmtError('AUTH_CHALLENGE', 'challenge unknown, already used or expired: call getChallenge and sign the new one');
    }
  }

  /** Forgets every challenge of `owner` (its connection closed). */
  release(owner: ChallengeOwner): void {
    for (const c of this.perOwner.get(owner) ?? []) this.open.delete(c);
    this.perOwner.delete(owner);
  }

  /** Open challenges in all (tests). */
  get size(): number {
    return this.open.size;
  }

  private drop(challenge: string): void {
    const entry = this.open.get(challenge);
    if (!entry) return;
    this.open.delete(challenge);
    const mine = this.perOwner.get(entry.owner);
    mine?.delete(challenge);
    if (mine && mine.size === 0) this.perOwner.delete(entry.owner);
  }
}

/** Checks `params.authorization` for `op` against the policy; throws when it is not enough. */
export function checkAuthorization(params: Params, op: string, deviceId: string, policy: AuthPolicy, challenges: Challenges): void {
  const a = params.authorization as { challenge?: unknown; signatures?: unknown } | undefined;
  if (!a || typeof a !== 'object') {
    throw new MgmtError('AUTH_REQUIRED', `${op} needs authorization: ${policy.m} of the ${policy.publicKeys.length} auth tokens must sign a fresh challenge`);
  }
  if (typeof a.challenge !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(a.challenge) || !Array.isArray(a.signatures)) {
    throw new MgmtError('BAD_REQUEST', 'authorization must be {challenge: 64 hex, signatures: [{publicKey, signature}]}');
  }
  challenges.spend(a.challenge);
  const message = authMessage(op, deviceId, fromHex(a.challenge));
  const counted = new Set<string>();
  for (const s of a.signatures as Array<{ publicKey?: unknown; signature?: unknown }>) {
    if (typeof s?.publicKey !== 'string' || typeof s?.signature !== 'string') continue;
    const pk = s.publicKey.toUpperCase();
    if (!policy.publicKeys.includes(pk) || counted.has(pk) || !/^([0-9A-F]{2})*$/i.test(s.signature)) continue;
    if (sm2Verify(fromHex(pk), message, fromHex(s.signature))) counted.add(pk);
  }
  if (counted.size < policy.m) {
    throw new MgmtError(
      'AUTH_INSUFFICIENT',
      `${op} needs ${policy.m} valid signatures from this device's auth tokens, got ${counted.size}: sign the challenge with ${policy.m} different auth tokens of this device`,
    );
  }
}

function authKey(dmk: Uint8Array): Buffer {
  return hmacSm3(dmk, Buffer.from('evsm-lab/auth-info/v1', 'ascii'));
}

export function encodeAuthInfo(policy: AuthPolicy, dmk: Uint8Array): Buffer {
  const body = Buffer.concat([
    Buffer.from('EAI1', 'ascii'),
    Buffer.from([policy.m, policy.publicKeys.length]),
    ...policy.publicKeys.map((k) => fromHex(k)),
    fromHex(kcv('SM4', dmk)),
  ]);
  const k = authKey(dmk);
  const mac = hmacSm3(k, body);
  wipe(k);
  return Buffer.concat([body, mac]);
}

/** Verifies an auth-info blob under `dmk` and returns its policy. */
export function decodeAuthInfo(blob: Buffer, dmk: Uint8Array): AuthPolicy {
  const n = blob.length >= 6 ? blob[5] : 0;
  const bodyLen = 6 + 65 * n + 8;
  if (blob.length < 6 || blob.subarray(0, 4).toString('ascii') !== 'EAI1' || n < 1 || blob.length !== bodyLen + 32) {
    throw new MgmtError('AUTH_INFO_INVALID', 'auth info is not an EAI1 blob: read it again from an auth token of the first device');
  }
  const m = blob[4];
  const k = authKey(dmk);
  const ok = constantTimeEqual(hmacSm3(k, blob.subarray(0, bodyLen)), blob.subarray(bodyLen));
  wipe(k);
  if (!ok) {
    throw new MgmtError('AUTH_INFO_MAC', "auth info does not verify under this device's DMK: it comes from a device with another DMK or was altered; use an auth token of a device with the same DMK, or newAuth");
  }
  if (m < 1 || m > n) throw new MgmtError('AUTH_INFO_INVALID', `auth info has threshold ${m} of ${n}`);
  const publicKeys: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = blob.subarray(6 + 65 * i, 6 + 65 * (i + 1));
    if (!sm2IsValidPublicKey(k)) throw new MgmtError('AUTH_INFO_INVALID', `auth info key ${i + 1} is not a point on the SM2 curve: this policy could never authorize; use newAuth`);
    publicKeys.push(hex(k));
  }
  return { m, publicKeys };
}
