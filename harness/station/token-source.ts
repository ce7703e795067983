/**
 * "Insert KBK UKEY 2 of 3 and enter its PIN" on the operator station. The search itself is the
 * UKEY layer's own (`LocatingTokenSource`: the same locator, role check, PIN retries and timeout as
 * the console bench); this source only shows it:
 *  - one token prompt per `acquire`, with the instruction and what is wanted;
 *  - live detection: every token the locator lists, and what the role check made of it (fits,
 *    wrong UKEY and why, unreadable), reported to the station as it changes;
 *  - the PIN: asked on the page once the right token is in (after the PIN providers given, e.g.
 *    the lab file's variables, have none); a wrong one is said on the page and asked again.
 * The PIN goes from the page to `token.login` and nowhere else.
 */
import type { EventEmitter } from 'node:events';
import type { TokenLocator } from '../../drivers/ukey/locators.ts';
import type { TokenOperator } from '../../drivers/ukey/index.ts';
import { chainPins, type PinProvider } from '../../drivers/ukey/pins.ts';
import { describeRole } from '../../drivers/ukey/role.ts';
import { LocatingTokenSource } from '../../drivers/ukey/token-source.ts';
import type { Token, TokenRequest, TokenSource } from '../../drivers/ukey/token.ts';
import { extendTestTimeout } from '../lab/test-clock.ts';
import type { Text } from '../procedures/types.ts';
import { cannot, type StationClient } from './client.ts';
import { expectedToken, MAX_SIGHTINGS, type AnswerPoll, type Sighting } from './protocol.ts';

export interface StationTokenSourceOptions {
  station: StationClient;
  locator: TokenLocator;
  /** Asked first (the lab file's variables, EVSM_UKEY_PIN…); the page is asked when they have none. */
  pins?: PinProvider;
  /** PINs asked on the page per token before giving up (default 3). */
  maxPinAttempts?: number;
  /** How long to wait for the token to appear (default: the station client's prompt timeout). */
  timeoutMs?: number;
  /** How often the locator is polled (default 500 ms). */
  pollMs?: number;
  /** A started UsbWatcher: an insert is noticed at once. */
  inserts?: EventEmitter;
  /** The device the tokens are for, shown on the page ('' when none). */
  device?: string;
}

/** Re-sent this often even when nothing changed, so the station knows the worker is still there. */
const HEARTBEAT_MS = 5000;

interface Current {
  id: string;
  request: TokenRequest;
  text: Text;
  seen: Map<string, Sighting>;
  /** The serials listed when the prompt opened; a token not among them arrived during it. */
  before?: Set<string>;
  /** Arrived during the prompt, newest first: searched first, and shown first. */
  arrived: string[];
  posted: string;
  postedAt: number;
  /** A report is on its way; `dirty` asks for one more with the state as it is then. */
  sending?: boolean;
  dirty?: boolean;
  /** Set when the person answered 无法完成 (or the prompt went away): the search stops with it. */
  stopped?: Error;
  /** The PIN question waiting for the page's answer. */
  pinWaiter?: { resolve(pin: string): void; reject(e: Error): void };
}

export class StationTokenSource implements TokenSource {
  private readonly inner: LocatingTokenSource;
  private readonly searchMs: number;
  private current: Current | undefined;
  private posting: Promise<void> = Promise.resolve();

  constructor(private readonly o: StationTokenSourceOptions) {
    const say: TokenOperator = {
      say: (line) => this.say(line),
      askSecret: async () => {
        throw new Error('the station token source asks PINs on the page (its PIN provider), not as a free question');
      },
    };
    const max = o.maxPinAttempts ?? 3;
    const pagePins: PinProvider = async (token, kind, attempt) => {
      const c = this.current;
      if (!c || attempt > max) return undefined;
      if (c.stopped) throw c.stopped;
      const answered = new Promise<string>((resolve, reject) => (c.pinWaiter = { resolve, reject }));
      const ms = o.station.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PIN typed at the operator station within ${Math.round(ms / 1000)} s (UKEY serial ${token.serial})`)), ms);
      });
      extendTestTimeout(ms);
      try {
        await o.station.askPin(c.id, { serial: token.serial, label: token.label, kind, attempt });
        return await Promise.race([answered, late]);
      } finally {
        clearTimeout(timer);
        c.pinWaiter = undefined;
      }
    };
    this.searchMs = o.timeoutMs ?? o.station.timeoutMs;
    this.inner = new LocatingTokenSource({
      locator: this.watch(o.locator),
      pins: o.pins ? chainPins(o.pins, pagePins) : pagePins,
      operator: say,
      timeoutMs: this.searchMs,
      pollMs: o.pollMs,
      inserts: o.inserts,
    });
  }

  async acquire(request: TokenRequest): Promise<Token> {
    const expect = expectedToken(request);
    const text: Text = { zh: `插入 UKEY 并输入口令：${expect}`, en: request.instruction };
    // open() adds the prompt timeout to the test's; the wait for the UKEY itself may be longer.
    const id = await this.o.station.open({ kind: 'token', device: this.o.device ?? '', text, expect });
    extendTestTimeout(Math.max(0, this.searchMs - this.o.station.timeoutMs));
    const c: Current = { id, request, text, seen: new Map(), arrived: [], posted: '', postedAt: 0 };
    this.current = c;
    const listening = this.listen(c);
    try {
      const token = await this.inner.acquire(request);
      await this.posting;
      await this.o.station.withdraw(id, `UKEY serial ${token.identity.serial} accepted`);
      return token;
    } catch (e) {
      await this.posting;
      await this.o.station.withdraw(id, `not acquired: ${(e as Error).message.split('\n')[0].slice(0, 150)}`);
      throw e;
    } finally {
      this.current = undefined;
      await listening;
    }
  }

  /**
   * Long-polls the token prompt for the whole search: a PIN goes to the question waiting for it,
   * 无法完成 stops the search with the person's reason; the polling also tells the station this
   * worker is still there.
   */
  private async listen(c: Current): Promise<void> {
    let failures = 0;
    while (this.current === c && !c.stopped) {
      let poll: AnswerPoll;
      try {
        poll = await this.o.station.poll(c.id);
        failures = 0;
      } catch (e) {
        if (this.current !== c) return;
        if ((e as { status?: number }).status === 404 || ++failures > 3) {
          this.stop(c, e as Error);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (poll.state !== 'answered') continue;
      if (poll.answer.kind === 'cannot') this.stop(c, cannot(poll.answer.reason, c.text));
      else if (poll.answer.kind === 'pin') c.pinWaiter?.resolve(poll.answer.pin);
    }
  }

  private stop(c: Current, e: Error): void {
    c.stopped = e;
    c.pinWaiter?.reject(e);
  }

  release(token: Token): Promise<void> {
    return this.inner.release(token);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The token layer's lines: on the prompt while one is open, else as a station notice. */
  private say(line: string): void {
    const c = this.current;
    if (c && line === c.request.instruction) return; // already the prompt's text
    const send = c ? this.o.station.note(c.id, line) : this.o.station.notice(line);
    this.posting = this.posting.then(() => send).catch(() => undefined);
  }

  /** The locator, reporting each listing and each role check to the station. */
  private watch(locator: TokenLocator): TokenLocator {
    return {
      where: locator.where,
      ...(locator.inserts ? { inserts: locator.inserts } : {}),
      present: async () => {
        if (this.current?.stopped) throw this.current.stopped;
        let list = await locator.present();
        const c = this.current;
        if (c) {
          // A UKEY inserted while the prompt is open is most likely the one asked for: it is
          // looked at first, so the search does not reopen every UKEY of a full slot folder before it.
          if (!c.before) c.before = new Set(list.map((p) => p.serial));
          else {
            const present = new Set(list.map((p) => p.serial));
            const fresh = list.filter((p) => !c.before!.has(p.serial) && !c.arrived.includes(p.serial)).map((p) => p.serial);
            c.arrived = [...fresh.reverse(), ...c.arrived.filter((s) => present.has(s))];
            const rank = new Map(c.arrived.map((s, i) => [s, i]));
            list = [...list].sort((a, b) => (rank.get(a.serial) ?? Infinity) - (rank.get(b.serial) ?? Infinity));
          }
          const next = new Map<string, Sighting>();
          const held = this.inner.serialsInUse();
          for (const p of list) next.set(p.serial, held.has(p.serial) ? { serial: p.serial, label: p.label, status: 'in-use' } : (c.seen.get(p.serial) ?? { serial: p.serial, label: p.label, status: 'checking' }));
          c.seen = next;
          this.report(c);
        }
        return list.map((p) => ({
          serial: p.serial,
          label: p.label,
          open: async () => {
            try {
              return this.observe(await p.open(), p.serial);
            } catch (e) {
              this.mark(p.serial, 'unreadable', e instanceof Error ? e.message.split('\n')[0] : String(e));
              throw e;
            }
          },
        }));
      },
    };
  }

  private mark(serial: string, status: Sighting['status'], message?: string): void {
    const c = this.current;
    const s = c?.seen.get(serial);
    if (!c || !s) return;
    c.seen.set(serial, message === undefined ? { serial, label: s.label, status } : { serial, label: s.label, status, message });
    this.report(c);
  }

  /**
   * Tells the station what is seen now. One report at a time: changes made while one is on its way
   * go in the next, as the state is then (a pass over a full slot folder changes many sightings,
   * and one POST each queued behind one another). At most 64 sightings, in the search's order
   * (the UKEYs that arrived during the prompt first).
   */
  private report(c: Current): void {
    if (c.sending) {
      c.dirty = true;
      return;
    }
    const list = [...c.seen.values()].slice(0, MAX_SIGHTINGS);
    const json = JSON.stringify(list);
    if (json === c.posted && Date.now() - c.postedAt < HEARTBEAT_MS) return;
    c.posted = json;
    c.postedAt = Date.now();
    c.sending = true;
    this.posting = this.posting
      .then(() => this.o.station.seen(c.id, list))
      .catch(() => undefined)
      .then(() => {
        c.sending = false;
        if (c.dirty && this.current === c) {
          c.dirty = false;
          this.report(c);
        }
      });
  }

  /** The opened token, with its role check reported (same verdict the search reaches). */
  private observe(token: Token, serial: string): Token {
    const verdict = async <T>(check: () => Promise<T>, fits: (v: T) => string | undefined): Promise<T> => {
      try {
        const v = await check();
        const wrong = fits(v);
        this.mark(serial, wrong === undefined ? 'fits' : 'wrong', wrong);
        return v;
      } catch (e) {
        this.mark(serial, 'wrong', e instanceof Error ? e.message : String(e));
        throw e;
      }
    };
    return new Proxy(token, {
      get: (t, prop) => {
        if (prop === 'expectRole') return (e: Parameters<Token['expectRole']>[0]) => verdict(() => t.expectRole(e), () => undefined);
        if (prop === 'readRole') {
          return () =>
            verdict(
              () => t.readRole(),
              (role) => (this.current?.request.blank && role ? `this is ${describeRole(role)}, not a blank UKEY` : undefined),
            );
        }
        const v: unknown = Reflect.get(t, prop, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  }
}

export function stationTokenSource(options: StationTokenSourceOptions): TokenSource {
  return new StationTokenSource(options);
}
