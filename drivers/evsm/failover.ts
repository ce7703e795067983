/**
 * Which host runs a command, and what happens when that host fails. The policy (docs/client.md):
 *
 * - `ordered` (default): hosts in [HOSTn] order; the first host not marked down takes every
 *   command (primary/standby). When the primary rejoins, new commands go back to it.
 * - `balance`: round-robin over the hosts not marked down.
 * - Hosts marked down are tried last, as a last resort, so a client whose every host was down
 *   does not refuse work while the recovery loops have not yet noticed a host is back.
 *
 * A wire failure marks the host down. Then:
 * - the request never left (connect refused, queue handed back): try the next host, always;
 * - the request was sent and the command is safe to repeat: try the next host;
 * - the request was sent and the command changes device state: stop, EvsmNotRetriedError.
 * Device answers with an error code are answers: they are returned, never failed over — except
 * `42` (busy), which says the device did not act: the next host is tried.
 */
import { EvsmClosedError, EvsmCommandError, EvsmHostError, EvsmNotRetriedError, EvsmUnavailableError } from './errors.ts';

/** Device error "busy" (host-protocol §3): a management operation holds the key store. */
const DEVICE_BUSY = '42';
import type { EvsmLogger } from './log/logger.ts';
import type { HostPool, Lease } from './pool/host-pool.ts';
import { HostConnection } from './wire/connection.ts';

export type FailoverPolicy = 'ordered' | 'balance';

/** A command ready to send: its encoded message and how to read the answer. */
export interface WireCommand<T> {
  /** 2-character command code, e.g. `B2`. */
  code: string;
  /** Name for messages and logs, e.g. `B2 echo`. */
  name: string;
  /** Safe to repeat on another host if its host dies mid-command. */
  idempotent: boolean;
  /** Command code and fields, without length prefix or header. */
  message: Buffer;
  /** Decodes the answer (after the header); throws EvsmCommandError on a device error code. */
  parse: (answer: Buffer, host: string) => T;
}

export interface DispatchOptions {
  /** Read timeout for this command, ms; default: the host's readTimeout. */
  timeoutMs?: number;
  /** Filled in when the command is answered: which host, after how many tries (evidence, tests). */
  trace?: { host?: string; tries?: number };
}

export interface Answered<T> {
  value: T;
  /** `HOSTn` that answered. */
  host: string;
  /** 1 when the first host answered. */
  tries: number;
}

export class Dispatcher {
  private cursor = 0;
  closed = false;

  constructor(
    private readonly pools: readonly HostPool[],
    private readonly policy: FailoverPolicy,
    private readonly logger: EvsmLogger,
  ) {}

  /** Hosts in the order this command will try them. */
  plan(): HostPool[] {
    const live = this.pools.filter((p) => p.state !== 'down');
    const down = this.pools.filter((p) => p.state === 'down');
    if (this.policy === 'balance' && live.length > 1) {
      const start = this.cursor++ % live.length;
      return [...live.slice(start), ...live.slice(0, start), ...down];
    }
    return [...live, ...down];
  }

  /** Runs the command per the policy; says which host answered and after how many tries. */
  async run<T>(cmd: WireCommand<T>, options: DispatchOptions = {}): Promise<Answered<T>> {
    const attempts: EvsmHostError[] = [];
    let busy: EvsmCommandError | undefined;
    for (const pool of this.plan()) {
      if (this.closed) throw new EvsmClosedError();
      const wasDown = pool.state === 'down';
      const timeoutMs = options.timeoutMs ?? pool.readTimeoutMs;
      let lease: Lease;
      try {
        // A down host gets one fresh connection attempt (acquire refuses down hosts, so reopen first).
        lease = wasDown ? await this.lastResort(pool) : await pool.acquire(timeoutMs);
      } catch (err) {
        if (!(err instanceof EvsmHostError)) throw err;
        pool.reportFailure(err);
        attempts.push(err);
        continue;
      }
      let answer: Buffer;
      try {
        answer = await lease.conn.request(cmd.message, timeoutMs);
      } catch (err) {
        // Protocol errors (header mismatch) close the socket; the host itself may be fine.
        this.giveBack(pool, lease, wasDown);
        if (this.closed) throw new EvsmClosedError();
        if (!(err instanceof EvsmHostError)) throw err;
        pool.reportFailure(err);
        if (err.requestSent && !cmd.idempotent) {
          this.logger.error('state-changing command not retried', { command: cmd.name, host: pool.target.label, reason: err.reason });
          throw new EvsmNotRetriedError(cmd.name, pool.target.label, err);
        }
        this.logger.warn('command moved to next host', { command: cmd.name, host: pool.target.label, reason: err.reason });
        attempts.push(err);
        continue;
      }
      this.giveBack(pool, lease, wasDown);
      let value: T;
      try {
        value = cmd.parse(answer, pool.target.label);
      } catch (err) {
        // 42 = busy: the device refused the command without acting on it, so another host may
        // take it (any command). If none can, the caller gets the device's own answer.
        if (err instanceof EvsmCommandError && err.errorCode === DEVICE_BUSY) {
          busy ??= err;
          attempts.push(new EvsmHostError(pool.target.label, 'busy', false, 'device answered 42 (busy)'));
          continue;
        }
        throw err;
      }
      if (attempts.length) this.logger.info('command answered after failover', { command: cmd.name, host: pool.target.label, tries: attempts.length + 1 });
      return { value, host: pool.name, tries: attempts.length + 1 };
    }
    if (busy) throw busy;
    throw new EvsmUnavailableError(cmd.name, attempts);
  }

  /** One short-lived connection to a host marked down, without waiting for its recovery loop. */
  private async lastResort(pool: HostPool): Promise<Lease> {
    const conn = await HostConnection.open(pool.target, pool.connTimeoutMs);
    return { conn, shortLived: true };
  }

  /** Pool leases go back to the pool; a last-resort connection is the dispatcher's and is closed. */
  private giveBack(pool: HostPool, lease: Lease, adHoc: boolean): void {
    if (adHoc) lease.conn.close();
    else pool.release(lease);
  }
}
