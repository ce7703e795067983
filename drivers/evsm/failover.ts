/**
 * Which host runs a command, and what happens when that host fails (docs/client.md). After the
 * vendor SDK (sjj1310-wire.md §4):
 *
 * - `balance` (default, the SDK's behaviour): round-robin over the hosts not marked down.
 * - `ordered`: hosts in [HOSTn] order; the first host not marked down takes every command
 *   (primary/standby); when the primary rejoins, new commands go back to it.
 * - Hosts marked down are not tried: with every host down a command fails at once
 *   (EvsmUnavailableError), and succeeds again as soon as a heartbeat probe brings a host back.
 *
 * A wire failure marks the host down. Then:
 * - the request never left (connect refused, queue handed back): try the next host, always;
 * - the request was sent (read timeout, connection lost) and the command is safe to repeat: the
 *   next live host gets the same request;
 * - the request was sent and the command stores or deletes: stop, EvsmNotRetriedError.
 * Device answers with an error code are answers: they go to the caller, never to another host.
 */
import { EvsmClosedError, EvsmHostError, EvsmNotRetriedError, EvsmUnavailableError } from './errors.ts';
import type { EvsmLogger } from './log/logger.ts';
import type { HostPool, Lease } from './pool/host-pool.ts';

export type FailoverPolicy = 'ordered' | 'balance';

/** A command ready to send: its encoded message and how to read the answer. */
export interface WireCommand<T> {
  /** 2-character command code, e.g. `A0`. */
  code: string;
  /** Name for messages and logs, e.g. `A0 generate key`. */
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
  /** Run on this host only (`HOSTn`), no failover: NC for one device's serial, per-device checks. */
  host?: string;
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

  /** Live hosts in the order this command will try them. */
  plan(only?: string): HostPool[] {
    if (only !== undefined) {
      const pool = this.pools.find((p) => p.name === only);
      if (!pool) throw new Error(`no host ${only} in this configuration`);
      return pool.state === 'down' ? [] : [pool];
    }
    const live = this.pools.filter((p) => p.state !== 'down');
    if (this.policy === 'balance' && live.length > 1) {
      const start = this.cursor++ % live.length;
      return [...live.slice(start), ...live.slice(0, start)];
    }
    return live;
  }

  /** Runs the command per the policy; says which host answered and after how many tries. */
  async run<T>(cmd: WireCommand<T>, options: DispatchOptions = {}): Promise<Answered<T>> {
    const attempts: EvsmHostError[] = [];
    for (const pool of this.plan(options.host)) {
      if (this.closed) throw new EvsmClosedError();
      // A host marked down while this command tried another is skipped, not waited for.
      if (pool.state === 'down') continue;
      const timeoutMs = options.timeoutMs ?? pool.readTimeoutMs;
      let lease: Lease;
      try {
        lease = await pool.acquire(timeoutMs);
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
        pool.release(lease);
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
      pool.release(lease);
      const value = cmd.parse(answer, pool.target.label);
      if (attempts.length) this.logger.info('command answered after failover', { command: cmd.name, host: pool.target.label, tries: attempts.length + 1 });
      return { value, host: pool.name, tries: attempts.length + 1 };
    }
    throw new EvsmUnavailableError(cmd.name, attempts);
  }
}
