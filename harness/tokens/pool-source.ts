/**
 * Token stores per target, and the UKEY layer's TokenSource over each (drivers/ukey/sources.ts):
 *  - embedded: virtual UKEYs, a fresh directory of blank tokens per test;
 *  - containers and the bench rehearsal: a SoftHSM2 pool per worker (one per process is all
 *    SoftHSM2 allows), its used tokens unblocked and erased between tests;
 *  - a real bench: the vendor's PKCS#11 module, the operator prompted (benchTokenSource).
 * The source answers "insert a blank UKEY" / "insert KBK UKEY 2 of 3" the same way on every
 * target; the harness only adds the between-test reset and a way to log a held token in again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchTokenSource,
  createVirtualToken,
  poolTokenSource,
  recordingOperator,
  virtualTokenSource,
  SoftHsmPool,
  UsbWatcher,
  FACTORY_USER_PIN,
  terminalOperator,
  type PinProvider,
  type Token,
  type TokenSource,
} from '../../drivers/ukey/index.ts';
import { tokenPromptClock } from '../lab/test-clock.ts';

/** A token source that can also log in a token the test already holds (the pool can; a bench source asks for the PIN). */
export type LoginTokenSource = TokenSource & { loginToken(token: Token): Promise<void> };

export interface TokenStore {
  readonly kind: 'virtual' | 'softhsm2' | 'bench';
  /** A source for one test. */
  source(): Promise<LoginTokenSource>;
  /** End of test: every token back to blank. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Adds `loginToken` (log in a token the test already holds) and remembers what it handed out. */
export function tracked(source: TokenSource, userPin: string | undefined, opened: Token[]): LoginTokenSource {
  return {
    async acquire(request) {
      const t = await source.acquire(request);
      opened.push(t);
      return t;
    },
    release: (t) => source.release(t),
    close: () => source.close(),
    async loginToken(token) {
      if (token.loggedIn) return;
      if (userPin === undefined) throw new Error(`token ${token.identity.serial} needs its PIN again: re-insert it when prompted`);
      await token.login(userPin);
    },
  };
}

const VIRTUAL_SO_PIN = 'evsm-lab-so';

/** Virtual UKEYs: `perTest` blank tokens in a new directory for each test. */
export function virtualStore(perTest = 16): TokenStore {
  let dir: string | undefined;
  const opened: Token[] = [];
  return {
    kind: 'virtual',
    async source() {
      dir = mkdtempSync(join(tmpdir(), 'evsm-ukeys-'));
      for (let i = 1; i <= perTest; i++) {
        const t = await createVirtualToken(dir, { label: `VUKEY-${i}`, serial: `VUK${String(i).padStart(5, '0')}`, userPin: FACTORY_USER_PIN, soPin: VIRTUAL_SO_PIN });
        await t.close();
      }
      return tracked(poolLikeVirtual(dir), FACTORY_USER_PIN, opened);
    },
    async reset() {
      for (const t of opened.splice(0)) await t.close().catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
    async close() {
      await this.reset();
    },
  };
}

/** The UKEY layer's virtual source; the operator's lines are kept (not printed), as in CI. */
function poolLikeVirtual(dir: string): TokenSource {
  return virtualTokenSource(dir, FACTORY_USER_PIN, recordingOperator());
}

/** A SoftHSM2 pool of `count` tokens for the worker. */
export async function softHsmStore(count: number, modulePath?: string): Promise<TokenStore> {
  const pool = await SoftHsmPool.create({ count, modulePath, labelPrefix: 'evsm-lab' });
  const { userPin, soPin } = pool.credentials();
  const opened: Token[] = [];
  return {
    kind: 'softhsm2',
    async source() {
      return tracked(poolTokenSource(pool, recordingOperator()), userPin, opened);
    },
    async reset() {
      for (const t of opened.splice(0)) {
        // A scenario may have locked a token (KS-07) or left data on it: back to blank.
        await t.logout().catch(() => undefined);
        const st = await t.pinStatus();
        if (st.locked || st.countLow) await t.unblockPin(soPin, userPin);
        await t.login(userPin);
        await t.erase();
        await t.close();
      }
    },
    async close() {
      await pool.dispose();
    },
  };
}

/** With the lab's VID/PID table, a started USB watcher (an insert wakes the source at once); else undefined, said once. */
export async function startUsbWatcher(usb: ReadonlyArray<{ vid: number; pid: number; name: string }>, log: (line: string) => void): Promise<UsbWatcher | undefined> {
  if (!usb.length) return undefined;
  const w = new UsbWatcher(usb.map((u) => ({ vendorId: u.vid, productId: u.pid, name: u.name })));
  try {
    const present = await w.start();
    log(`hardware: USB watcher on ${usb.length} token model(s), ${present.length} present`);
    return w;
  } catch (e) {
    log(`hardware: no USB events (${(e as Error).message.split('\n')[0]}); polling PKCS#11 slots instead`);
    return undefined;
  }
}

/**
 * A real bench: the vendor module; the operator inserts tokens and types PINs (or env vars hold
 * them). With the lab's VID/PID table a USB watcher wakes the source at once on an insert; on a
 * machine without a USB bus the source still polls the PKCS#11 slots, and `log` says so once.
 */
export async function benchStore(
  modulePath: string,
  timeoutMs: number,
  usb: ReadonlyArray<{ vid: number; pid: number; name: string }>,
  log: (line: string) => void,
  /** The PINs from the variables the lab file names (labPins); unset ones are asked. */
  pins?: { provider: PinProvider; user: string | undefined },
): Promise<TokenStore> {
  const opened: Token[] = [];
  const watcher = await startUsbWatcher(usb, log);
  const reset = async (): Promise<void> => {
    for (const t of opened.splice(0)) await t.close().catch(() => undefined);
  };
  return {
    kind: 'bench',
    async source() {
      // Each token prompt adds its wait to the test's timeout (harness/lab/test-clock.ts).
      const operator = tokenPromptClock(terminalOperator(), timeoutMs);
      return tracked(benchTokenSource({ modulePath, timeoutMs, operator, ...(pins ? { pins: pins.provider } : {}), ...(watcher ? { inserts: watcher } : {}) }), pins?.user, opened);
    },
    reset,
    async close() {
      await reset();
      watcher?.stop();
    },
  };
}

