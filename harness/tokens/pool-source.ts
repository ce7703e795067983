/**
 * The token pool as a TokenSource: how CI (and the bench rehearsal) answers "insert a blank
 * UKEY" / "insert KBK UKEY 2 of 3 and enter its PIN" without a person. Blank requests get a
 * token no one used in this test; role requests get the token handed out earlier in the test
 * whose role record matches (the same check a bench prompt makes on the inserted token).
 *
 * Two stores behind it: virtual tokens (embedded; a fresh directory per test) and a SoftHSM2
 * pool (containers and the rehearsal; one per worker, its tokens erased between tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualToken } from '../../drivers/ukey/virtual.ts';
import { SoftHsmPool } from '../../drivers/ukey/softhsm-pool.ts';
import { FACTORY_USER_PIN, TokenError, type RoleExpectation, type Token, type TokenRequest, type TokenSource } from '../../drivers/ukey/token.ts';
import type { Evidence } from '../evidence/evidence.ts';

/** Where blank tokens come from; `reset` makes every token handed out blank again. */
export interface TokenStore {
  readonly kind: 'virtual' | 'softhsm2';
  /** PINs of the tokens the harness created itself (factory user PIN; SO PIN random or fixed). */
  readonly userPin: string;
  readonly soPin: string;
  next(): Promise<Token>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const VIRTUAL_SO_PIN = 'evsm-lab-so';

/** Virtual UKEYs in a temporary directory; `reset` starts a new, empty directory. */
export function virtualStore(): TokenStore {
  let dir = mkdtempSync(join(tmpdir(), 'evsm-ukeys-'));
  let n = 0;
  const open: Token[] = [];
  return {
    kind: 'virtual',
    userPin: FACTORY_USER_PIN,
    soPin: VIRTUAL_SO_PIN,
    async next() {
      n++;
      const t = await createVirtualToken(dir, { label: `VUKEY-${n}`, serial: `VUK${String(n).padStart(5, '0')}`, userPin: FACTORY_USER_PIN, soPin: VIRTUAL_SO_PIN });
      open.push(t);
      return t;
    },
    async reset() {
      for (const t of open.splice(0)) await t.close();
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'evsm-ukeys-'));
    },
    async close() {
      for (const t of open.splice(0)) await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A SoftHSM2 pool of `count` tokens (per worker); `reset` unblocks and erases the ones used. */
export async function softHsmStore(count: number, modulePath?: string): Promise<TokenStore> {
  const pool = await SoftHsmPool.create({ count, modulePath, labelPrefix: 'evsm-lab' });
  const { userPin, soPin } = pool.credentials();
  let used: Token[] = [];
  let cursor = 0;
  return {
    kind: 'softhsm2',
    userPin,
    soPin,
    async next() {
      if (cursor >= pool.members.length) throw new TokenError('device', `the SoftHSM2 pool has only ${pool.members.length} tokens; raise rehearsal.tokens`);
      const t = pool.open(pool.members[cursor++].index);
      used.push(t);
      return t;
    },
    async reset() {
      for (const t of used) {
        // A scenario may have locked a token (KS-07) or left it logged in: bring it back to blank.
        await t.logout().catch(() => undefined);
        const st = await t.pinStatus();
        if (st.locked || st.countLow) await t.unblockPin(soPin, userPin);
        await t.login(userPin);
        await t.erase();
        await t.close();
      }
      used = [];
      cursor = 0;
    },
    async close() {
      await pool.dispose();
    },
  };
}

function matches(role: Awaited<ReturnType<Token['readRole']>>, e: RoleExpectation): boolean {
  return !!role && role.role === e.role && (e.deviceId === undefined || role.deviceId === e.deviceId) && (e.number === undefined || role.number === e.number) && (e.total === undefined || role.total === e.total) && (e.backupId === undefined || role.backupId === e.backupId);
}

/** The TokenSource a test uses; records every token it hands out as evidence. */
export class PoolTokenSource implements TokenSource {
  private readonly handedOut: Token[] = [];

  constructor(
    readonly store: TokenStore,
    private readonly evidence: Evidence,
  ) {}

  async acquire(request: TokenRequest): Promise<Token> {
    let token: Token | undefined;
    if (request.expect) {
      for (const t of this.handedOut) {
        if (matches(await t.readRole(), request.expect)) {
          token = t;
          break;
        }
      }
      if (!token) throw new TokenError('wrong-token', `no token in the pool is ${describe(request.expect)} (asked: ${request.instruction})`);
    } else {
      token = await this.store.next();
      this.handedOut.push(token);
    }
    if (request.login !== false && !token.loggedIn) await token.login(this.store.userPin);
    return token;
  }

  /** Logs a token in with the pool's PIN (the pool's answer to "enter its PIN"). */
  async loginToken(token: Token): Promise<void> {
    if (!token.loggedIn) await token.login(this.store.userPin);
  }

  async release(token: Token): Promise<void> {
    await token.logout().catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const t of this.handedOut) await t.logout().catch(() => undefined);
  }

  /** Every token handed out in this test, in order. */
  tokens(): readonly Token[] {
    return this.handedOut;
  }
}

export function describe(e: RoleExpectation): string {
  const what = e.role === 'dmk-component' ? 'DMK component' : e.role === 'kbk-share' ? 'KBK share' : e.role === 'auth' ? 'authorization key' : 'backup';
  return `${what}${e.number !== undefined ? ` ${e.number}` : ''}${e.total !== undefined ? ` of ${e.total}` : ''}${e.backupId ? ` of backup ${e.backupId}` : ''}`;
}
