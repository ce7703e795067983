/**
 * The connections to one device and what the client believes about its health.
 *
 * - Up to |linkNum| long-lived connections, opened on demand and kept. A positive linkNum also
 *   allows up to linkNum extra short-lived connections when every pooled one is busy (closed after
 *   their one command); a negative linkNum queues instead.
 * - A failure on the wire (refused, reset, closed, read timeout) marks the host down: idle sockets
 *   are dropped, queued commands are handed back to the dispatcher (they were never sent), and a
 *   recovery loop reconnects with back-off and a probe command until the host answers again.
 * - While up, an idle connection is probed every `healthIntervalMs`, so a host that died while
 *   nobody talked to it is found before a command has to find it.
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
  backoff: BackoffOptions;
  healthIntervalMs: number;
  headerLength: number;
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
  private readonly healthTimer: NodeJS.Timeout;
  private probing = false;
  private closed = false;
  lastError: EvsmHostError | undefined;

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
      headerLength: config.headerLength ?? options.headerLength,
    };
    this.backoff = new Backoff(options.backoff);
    this.healthTimer = setInterval(() => void this.healthCheck(), options.healthIntervalMs);
    this.healthTimer.unref();
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
    const conn = this.takeIdle();
    if (conn) return { conn, shortLived: false };
    if (this.members.size + this.opening < this.maxPooled) {
      return { conn: await this.openMember(), shortLived: false };
    }
    if (this.extras < this.maxExtras) {
      this.extras++;
      try {
        const extra = await this.openConnection();
        this.options.logger.debug('extra short-lived connection', { host: this.target.label });
        return { conn: extra, shortLived: true };
      } catch (err) {
        this.extras--;
        throw err;
      }
    }
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

  /** Returns a connection after its command; short-lived ones are closed. */
  release(lease: Lease): void {
    if (lease.shortLived) {
      this.extras--;
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

  close(): void {
    this.closed = true;
    clearInterval(this.healthTimer);
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

  /** Makes a connection a pool member and watches it: an idle socket that closes triggers a probe. */
  private adopt(conn: HostConnection): void {
    this.members.add(conn);
    conn.onClose((err) => {
      this.members.delete(conn);
      const wasIdle = this.idle.includes(conn);
      this.idle = this.idle.filter((c) => c !== conn);
      if (wasIdle && !this.closed && err.reason !== 'client-closed') {
        this.options.logger.info('idle connection lost', { host: this.target.label, reason: err.reason });
        void this.probeNow();
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
    const delay = this.backoff.next();
    this.recoverTimer = setTimeout(() => {
      this.recoverTimer = undefined;
      void this.tryRecover();
    }, delay);
    this.recoverTimer.unref();
  }

  /** One recovery attempt: connect and probe; success brings the host back into rotation. */
  private async tryRecover(): Promise<void> {
    if (this.closed || this.stateValue !== 'down') return;
    let conn: HostConnection | undefined;
    try {
      conn = await HostConnection.open(this.target, this.connTimeoutMs);
      await this.options.probe(conn, this.readTimeoutMs);
    } catch (err) {
      conn?.close();
      this.lastError = err instanceof EvsmHostError ? err : this.lastError;
      this.options.logger.debug('host still down', { host: this.target.label, reason: this.lastError?.reason });
      this.scheduleRecovery();
      return;
    }
    if (this.closed) {
      conn.close();
      return;
    }
    this.adopt(conn);
    this.idle.push(conn);
    this.backoff.reset();
    this.setState('up');
    this.options.logger.info('host rejoined', { host: this.target.label });
  }

  /** Probes an idle connection right away (after an idle socket closed, or on the timer). */
  private async probeNow(): Promise<void> {
    if (this.probing || this.closed || this.stateValue === 'down') return;
    this.probing = true;
    let lease: Lease | undefined;
    try {
      const conn = this.takeIdle();
      lease = conn ? { conn, shortLived: false } : { conn: await this.openMember(), shortLived: false };
      await this.options.probe(lease.conn, this.readTimeoutMs);
      this.release(lease);
    } catch (err) {
      if (lease) lease.conn.close();
      if (err instanceof EvsmHostError) this.markDown(err);
      else this.markDown(new EvsmHostError(this.target.label, 'reset', true, `probe failed: ${(err as Error).message}`));
    } finally {
      this.probing = false;
    }
  }

  /** Timer: probe only an up host with an idle connection and nobody queued (traffic is its own check). */
  private async healthCheck(): Promise<void> {
    if (this.stateValue !== 'up' || this.idle.length === 0 || this.waiters.length > 0) return;
    await this.probeNow();
  }
}
