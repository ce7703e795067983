/**
 * The connections to one device and what the client believes about its health, after the vendor
 * SDK's observed behaviour (sjj1310-wire.md §3-4, docs/client.md):
 *
 * - `linkNum` N > 0: up to N long-lived connections, and when all are busy up to N extra
 *   short-lived ones; N < 0: at most |N| connections, further commands queue; N = 0: a new
 *   connection for every command (closed after it).
 * - A heartbeat `CR0016` every `heartbeatIntervalMs` (the SDK's 1 s) on an idle connection, or on
 *   a short-lived one when every connection is busy (so a blocked pool does not hide a dead host).
 * - A failure on the wire (refused, reset, closed, read timeout) or a failed heartbeat marks the
 *   host down: idle sockets are dropped, queued commands are handed back (never sent), commands in
 *   flight on its other connections fail at once, and a probe (connect + CR0016, no NC, as the
 *   SDK) runs every interval until the host answers again.
 */
import type { HostConfig } from '../config/types.ts';
import { EvsmHostError } from '../errors.ts';
import type { EvsmLogger } from '../log/logger.ts';
import { HostConnection, type ConnectTarget } from '../wire/connection.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';

export type HostState = 'unknown' | 'up' | 'down';

/** Sends a harmless command on a connection; resolves when the device answered correctly. */
export type Probe = (conn: HostConnection, timeoutMs: number) => Promise<void>;

export interface PoolOptions {
  /** Delay between probes of a down host. */
  backoff: BackoffOptions;
  heartbeatIntervalMs: number;
  /** This host's `msgheadlength` header (the client's random characters, cut to its length). */
  header: string;
  /** The heartbeat (CR0016). */
  probe: Probe;
  logger: EvsmLogger;
  onStateChange?: (pool: HostPool, state: HostState) => void;
}

export interface Lease {
  conn: HostConnection;
  shortLived: boolean;
}

interface Waiter {
  resolve: (lease: Lease) => void;
  reject: (err: EvsmHostError) => void;
  timer: NodeJS.Timeout;
}

export class HostPool {
  readonly target: ConnectTarget;
  private stateValue: HostState = 'unknown';
  private readonly members = new Set<HostConnection>();
  private idle: HostConnection[] = [];
  private opening = 0;
  private extras = 0;
  private waiters: Waiter[] = [];
  private readonly backoff: Backoff;
  private recoverTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private beating = false;
  private closed = false;
  lastError: EvsmHostError | undefined;
  /** Heartbeats sent and failed (diagnostics, tests). */
  readonly heartbeats = { sent: 0, failed: 0 };

  constructor(
    readonly config: HostConfig,
    private readonly options: PoolOptions,
  ) {
    this.target = {
      label: `${config.name} ${config.host}:${config.port}`,
      host: config.host,
      port: config.port,
      socketProtocol: config.socketProtocol,
      tls: config.tls,
      header: options.header,
    };
    this.backoff = new Backoff(options.backoff);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  get state(): HostState {
    return this.stateValue;
  }

  get name(): string {
    return this.config.name;
  }

  get connTimeoutMs(): number {
    return this.config.connTimeout * 1000;
  }

  get readTimeoutMs(): number {
    return this.config.readTimeout * 1000;
  }

  private get maxPooled(): number {
    return Math.abs(this.config.linkNum);
  }

  private get maxExtras(): number {
    return this.config.linkNum > 0 ? this.config.linkNum : 0;
  }

  /** Pool statistics for diagnostics and tests. */
  stats(): { state: HostState; pooled: number; idle: number; extras: number; waiting: number } {
    return { state: this.stateValue, pooled: this.members.size, idle: this.idle.length, extras: this.extras, waiting: this.waiters.length };
  }

  /**
   * A connection for one command. Rejects at once when the host is down, and with reason `busy`
   * when none frees up within `waitMs` (neither marks the host down: the dispatcher moves on).
   */
  async acquire(waitMs: number): Promise<Lease> {
    if (this.closed) throw new EvsmHostError(this.target.label, 'client-closed', false, 'client closed');
    if (this.stateValue === 'down') {
      throw new EvsmHostError(this.target.label, 'down', false, `marked down (${this.lastError?.reason ?? 'unknown'})`);
    }
    if (this.config.linkNum === 0) return this.openExtra(false);
    const conn = this.takeIdle();
    if (conn) return { conn, shortLived: false };
    if (this.members.size + this.opening < this.maxPooled) {
      return { conn: await this.openMember(), shortLived: false };
    }
    if (this.extras < this.maxExtras) return this.openExtra(true);
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new EvsmHostError(this.target.label, 'busy', false, `no free connection within ${waitMs} ms`));
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** A short-lived connection (linkNum 0, or an extra beyond a positive pool). */
  private async openExtra(counted: boolean): Promise<Lease> {
    if (counted) this.extras++;
    try {
      const conn = await this.openConnection();
      return { conn, shortLived: true };
    } catch (err) {
      if (counted) this.extras--;
      throw err;
    }
  }

  /** Returns a connection after its command; short-lived ones are closed. */
  release(lease: Lease): void {
    if (lease.shortLived) {
      if (this.config.linkNum > 0) this.extras = Math.max(0, this.extras - 1);
      lease.conn.close();
      return;
    }
    if (!lease.conn.isOpen || this.closed) return;
    if (this.stateValue === 'down') {
      // A command that finished after its host was marked down: recovery opens fresh sockets.
      lease.conn.close();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(lease);
      return;
    }
    this.idle.push(lease.conn);
  }

  /** A command on this host failed on the wire: the host is down until a probe says otherwise. */
  reportFailure(err: EvsmHostError): void {
    if (err.reason === 'busy' || err.reason === 'down' || err.reason === 'client-closed') return;
    this.markDown(err);
  }

  /** The host answered NC but not its first heartbeat: down until a probe answers (the SDK's init rule). */
  markDownAfterInit(err: EvsmHostError): void {
    this.markDown(err);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    if (this.recoverTimer) clearTimeout(this.recoverTimer);
    this.rejectWaiters(new EvsmHostError(this.target.label, 'client-closed', false, 'client closed'));
    for (const c of [...this.members]) c.close();
    this.members.clear();
    this.idle = [];
  }

  private takeIdle(): HostConnection | undefined {
    while (this.idle.length) {
      const conn = this.idle.pop() as HostConnection;
      if (conn.isOpen) return conn;
    }
    return undefined;
  }

  private async openConnection(): Promise<HostConnection> {
    try {
      const conn = await HostConnection.open(this.target, this.connTimeoutMs);
      this.setState('up');
      return conn;
    } catch (err) {
      if (err instanceof EvsmHostError) this.markDown(err);
      throw err;
    }
  }

  private async openMember(): Promise<HostConnection> {
    this.opening++;
    try {
      const conn = await this.openConnection();
      this.adopt(conn);
      return conn;
    } finally {
      this.opening--;
    }
  }

  /** Makes a connection a pool member and watches it: an idle socket that closes triggers a heartbeat. */
  private adopt(conn: HostConnection): void {
    this.members.add(conn);
    conn.onClose((err) => {
      this.members.delete(conn);
      const wasIdle = this.idle.includes(conn);
      this.idle = this.idle.filter((c) => c !== conn);
      if (wasIdle && !this.closed && err.reason !== 'client-closed') {
        this.options.logger.info('idle connection lost', { host: this.target.label, reason: err.reason });
        void this.heartbeat();
      }
    });
  }

  private setState(state: HostState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.onStateChange?.(this, state);
  }

  private markDown(err: EvsmHostError): void {
    this.lastError = err;
    if (this.closed || this.stateValue === 'down') return;
    this.setState('down');
    this.options.logger.error('host marked down', { host: this.target.label, reason: err.reason, detail: err.message });
    for (const c of this.idle) c.close();
    this.idle = [];
    // Commands still waiting on other connections of this host would each sit out their own
    // read timeout; fail them now so the dispatcher moves (or, if state-changing, reports) them.
    for (const c of [...this.members]) if (c.busy) c.abandon(`host marked down (${err.reason})`);
    this.rejectWaiters(new EvsmHostError(this.target.label, 'down', false, `marked down (${err.reason})`));
    this.backoff.reset();
    this.scheduleRecovery();
  }

  private rejectWaiters(err: EvsmHostError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private scheduleRecovery(): void {
    if (this.closed || this.recoverTimer) return;
    this.recoverTimer = setTimeout(() => {
      this.recoverTimer = undefined;
      void this.tryRecover();
    }, this.backoff.next());
    this.recoverTimer.unref();
  }

  /** One probe of a down host: connect and heartbeat; an answer brings it back into rotation. */
  private async tryRecover(): Promise<void> {
    if (this.closed || this.stateValue !== 'down') return;
    let conn: HostConnection | undefined;
    try {
      conn = await HostConnection.open(this.target, this.connTimeoutMs);
      this.heartbeats.sent++;
      await this.options.probe(conn, this.readTimeoutMs);
    } catch (err) {
      conn?.close();
      if (err instanceof EvsmHostError) this.lastError = err;
      this.options.logger.debug('host still down', { host: this.target.label, reason: this.lastError?.reason });
      this.scheduleRecovery();
      return;
    }
    if (this.closed) {
      conn.close();
      return;
    }
    if (this.config.linkNum === 0) {
      conn.close();
    } else {
      this.adopt(conn);
      this.idle.push(conn);
    }
    this.backoff.reset();
    this.setState('up');
    this.options.logger.info('host rejoined', { host: this.target.label });
  }

  /**
   * The periodic heartbeat of a host that is up: CR0016 on an idle connection, or a short-lived
   * one when none is idle (linkNum 0 always). A failure or timeout marks the host down.
   */
  async heartbeat(): Promise<void> {
    if (this.beating || this.closed || this.stateValue !== 'up') return;
    this.beating = true;
    let lease: Lease | undefined;
    try {
      const idle = this.config.linkNum === 0 ? undefined : this.takeIdle();
      lease = idle ? { conn: idle, shortLived: false } : { conn: await HostConnection.open(this.target, this.connTimeoutMs), shortLived: true };
      this.heartbeats.sent++;
      await this.options.probe(lease.conn, this.readTimeoutMs);
      if (lease.shortLived) lease.conn.close();
      else this.release(lease);
    } catch (err) {
      this.heartbeats.failed++;
      lease?.conn.close();
      const hostErr = err instanceof EvsmHostError ? err : new EvsmHostError(this.target.label, 'reset', true, `heartbeat failed: ${(err as Error).message}`);
      this.options.logger.warn('heartbeat failed', { host: this.target.label, reason: hostErr.reason });
      this.markDown(hostErr);
    } finally {
      this.beating = false;
    }
  }
}
