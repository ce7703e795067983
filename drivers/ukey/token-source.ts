/**
 * The TokenSource behind "insert KBK UKEY 2 of 3 and enter its PIN". One implementation for the
 * bench and CI; only its parts differ:
 *   bench: a PKCS#11 locator (vendor module), PINs from the environment then the operator, a
 *          terminal operator, a wait of minutes (woken early by USB inserts when a watcher runs);
 *   CI:    the SoftHSM2 pool (or a virtual token directory), the pool's PIN, a recording operator,
 *          no wait: the token is either in the pool or the step fails with the same message.
 * Scenario code calls acquire()/release() the same way on every target.
 */
import type { EventEmitter } from 'node:events';
import type { TokenLocator } from './locators.ts';
import type { TokenOperator } from './operator.ts';
import type { PinProvider } from './pins.ts';
import { describeRole } from './role.ts';
import { TokenError, type Token, type TokenRequest, type TokenSource } from './token.ts';

export interface LocatingTokenSourceOptions {
  locator: TokenLocator;
  pins: PinProvider;
  operator: TokenOperator;
  /** Default wait for a token when the request gives none; 0 = look once (CI). Default 120 s. */
  timeoutMs?: number;
  /** How often the locator is polled while waiting. Default 500 ms. */
  pollMs?: number;
  /** Something that emits 'insert' (a started UsbWatcher): wakes the wait at once. */
  inserts?: EventEmitter;
}

interface Wake {
  inserted: boolean;
  notify: () => void;
  /** A pass was cut short by an insert (once per request, so files that keep changing cannot stall the search). */
  cut?: boolean;
}

function tokenName(t: Token): string {
  return `UKEY "${t.identity.label}" (serial ${t.identity.serial})`;
}

export class LocatingTokenSource implements TokenSource {
  private readonly inUse = new Map<Token, string>();
  private readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: LocatingTokenSourceOptions) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.pollMs = opts.pollMs ?? 500;
  }

  async acquire(request: TokenRequest): Promise<Token> {
    this.opts.operator.say(request.instruction);
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const told = new Set<string>();
    // An insert during a pass must not be lost: note it for the whole request.
    const wake = { inserted: false, notify: (): void => undefined };
    const onInsert = (): void => {
      wake.inserted = true;
      wake.notify();
    };
    // A USB watcher given, else the locator's own (a virtual token folder being watched).
    const inserts = this.opts.inserts ?? this.opts.locator.inserts;
    inserts?.on('insert', onInsert);
    try {
      return await this.search(request, deadline, timeoutMs, told, wake);
    } finally {
      inserts?.off('insert', onInsert);
    }
  }

  private async search(request: TokenRequest, deadline: number, timeoutMs: number, told: Set<string>, wake: Wake): Promise<Token> {
    const { operator, locator } = this.opts;
    for (;;) {
      wake.inserted = false;
      const refused: string[] = [];
      const token = await this.findMatching(request, refused, wake);
      if (token) {
        if (request.login !== false) await this.login(token);
        return token;
      }
      const fresh = refused.filter((r) => !told.has(r));
      for (const r of fresh) {
        told.add(r);
        operator.say(`${r} — remove it; ${request.instruction}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = refused.length > 0 ? ` Refused: ${refused.join('; ')}.` : ' No token appeared.';
        throw new TokenError('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s waiting for: ${request.instruction} (${locator.where}).${seen}`);
      }
      await this.pause(Math.min(this.pollMs, left), wake);
    }
  }

  /** Serials of the tokens this source has handed out and not released (they are not offered again). */
  serialsInUse(): ReadonlySet<string> {
    return new Set(this.inUse.values());
  }

  /** Opens each present token not in use; keeps the first that fits, closes the others. */
  private async findMatching(request: TokenRequest, refused: string[], wake?: Wake): Promise<Token | undefined> {
    const busy = this.serialsInUse();
    for (const p of await this.opts.locator.present()) {
      if (busy.has(p.serial)) continue;
      // Inserted during the pass: look again at once rather than first open every other token present.
      if (wake?.inserted && !wake.cut) {
        wake.cut = true;
        return undefined;
      }
      let token: Token;
      try {
        token = await p.open();
      } catch (e) {
        // Pulled between listing and opening (or not usable): as if absent, say why once.
        refused.push(`UKEY "${p.label}" (serial ${p.serial}) cannot be opened: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        continue;
      }
      let keep = false;
      try {
        if (request.expect) {
          await token.expectRole(request.expect);
        } else if (request.blank) {
          const role = await token.readRole();
          if (role) throw new TokenError('wrong-token', `${tokenName(token)}: this is ${describeRole(role)}, not a blank UKEY`);
        }
        keep = true;
      } catch (e) {
        if (!(e instanceof TokenError)) throw e;
        refused.push(e.message);
      } finally {
        if (!keep) await token.close();
      }
      if (keep) {
        this.inUse.set(token, p.serial);
        return token;
      }
    }
    return undefined;
  }

  /** PINs from the provider chain; a wrong one is reported (never echoed) and asked again. */
  private async login(token: Token): Promise<void> {
    const { operator, pins } = this.opts;
    try {
      for (let attempt = 1; ; attempt++) {
        const pin = await pins(token.identity, 'user', attempt);
        if (pin === undefined) {
          throw new TokenError(
            'pin-incorrect',
            `no${attempt > 1 ? ' further' : ''} PIN for ${tokenName(token)}: set EVSM_UKEY_PIN (or EVSM_UKEY_PIN_<SERIAL>) or run with an operator (docs/ukey.md)`,
          );
        }
        try {
          await token.login(pin);
          return;
        } catch (e) {
          if (!(e instanceof TokenError) || e.code !== 'pin-incorrect') throw e;
          operator.say(`${tokenName(token)}: PIN incorrect${e.retriesLeft !== undefined ? `, ${e.retriesLeft} tries left` : ''}`);
        }
      }
    } catch (e) {
      await this.release(token, false);
      throw e;
    }
  }

  /** Waits for the poll interval, or less when a token is (or was, during the pass) inserted. */
  private pause(ms: number, wake: Wake): Promise<void> {
    if (wake.inserted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake.notify = () => undefined;
        resolve();
      }
      wake.notify = done;
    });
  }

  async release(token: Token, tell = true): Promise<void> {
    if (!this.inUse.has(token)) return;
    this.inUse.delete(token);
    if (tell) this.opts.operator.say(`${tokenName(token)} may be removed`);
    await token.close();
  }

  async close(): Promise<void> {
    for (const t of [...this.inUse.keys()]) await this.release(t, false);
  }
}
