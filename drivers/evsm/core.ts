/**
 * The life cycle of a client, in the spirit of the vendor SDK's `getInstance("./cacipher.ini")`:
 * one HostPool per [HOSTn], a Dispatcher that applies the failover policy, the logger, and the
 * raw `execute` every typed call goes through. At connect each host gets NC then the heartbeat
 * CR0016, as from the SDK. The typed calls are in client.ts (EvsmClient) and sdk.ts (client.sdk).
 */
import type { CacipherConfig, HostConfig } from './config/types.ts';
import { EvsmClosedError, EvsmHostError, EvsmProtocolError, EvsmUnavailableError } from './errors.ts';
import { Dispatcher, type DispatchOptions, type FailoverPolicy, type WireCommand } from './failover.ts';
import { EvsmLogger, type LogSink } from './log/logger.ts';
import type { BackoffOptions } from './pool/backoff.ts';
import { HostPool, type HostState, type Probe } from './pool/host-pool.ts';
import { heartbeat, ncStatus, serialFromNc } from './commands/device.ts';
import { randomHeader, MAX_HEADER_LENGTH } from './wire/header.ts';

export interface ClientOptions {
  /** `balance` (round-robin over live hosts, the SDK's behaviour; default) or `ordered` (primary/standby). */
  failover?: FailoverPolicy;
  /** Heartbeat period per host, ms (the SDK's 1000; default 1000). Tests make it shorter. */
  heartbeatIntervalMs?: number;
  /** Former name of `heartbeatIntervalMs`, still accepted. */
  healthIntervalMs?: number;
  /** Delay between probes of a down host (default: the heartbeat interval, fixed, as the SDK). */
  backoff?: Partial<BackoffOptions>;
  /** Header length for hosts whose configuration has no `msgheadlength` (default 0). */
  headerLength?: number;
  /** The header characters (default: random alphanumerics chosen once per client, as the SDK). */
  header?: string;
  /** Where a relative logPath is resolved (default: working directory). */
  baseDir?: string;
  /** Also receive every (redacted) log record, e.g. to show it in a test report. */
  logSink?: LogSink;
  /**
   * Connect to every host when opening (default true): NC then CR0016 per host; `open` fails with
   * EvsmUnavailableError if no host answers NC. With false, hosts are reached on first use.
   */
  connectOnOpen?: boolean;
}

/** One finished command, as `onCommand` listeners see it. */
export interface CommandEvent {
  /** e.g. `A0 generate key`. */
  command: string;
  ok: boolean;
  /** `HOSTn` that answered (undefined when it failed). */
  host: string | undefined;
  /** Hosts tried, 1 = no failover. */
  tries: number;
  ms: number;
  error?: Error;
}

export interface HostStatus {
  name: string;
  address: string;
  state: HostState;
  pooled: number;
  idle: number;
  lastError: string | undefined;
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** The heartbeat: CR0016; any `CS00…` answer keeps the host alive, anything else is a failure. */
const heartbeatProbe: Probe = async (conn, timeoutMs) => {
  const cmd = heartbeat();
  cmd.parse(await conn.request(cmd.message, timeoutMs), conn.target.label);
};

export class EvsmClientCore {
  readonly config: CacipherConfig;
  /** Configuration warnings (unknown sections/keys, ignored hosts), as printed to the log. */
  readonly warnings: readonly string[];
  readonly logger: EvsmLogger;
  /** The header characters this client sends (each host its first `msgheadlength`). */
  readonly header: string;
  protected readonly pools: HostPool[];
  private readonly dispatcher: Dispatcher;
  private closed = false;
  /** NC serial per host (the SDK's getDeviceSerial entry), once a host answered NC. */
  private readonly serials = new Map<string, string>();
  private readonly stateListeners: Array<(host: string, state: HostState) => void> = [];
  private readonly commandListeners: Array<(event: CommandEvent) => void> = [];

  /** Applications use `EvsmClient.open` / `EvsmClient.fromConfig`, which also connect. */
  constructor(config: CacipherConfig, warnings: string[], options: ClientOptions) {
    this.config = config;
    this.warnings = warnings;
    this.logger = new EvsmLogger(config.logger, { baseDir: options.baseDir, sink: options.logSink });
    for (const w of warnings) this.logger.warn(w);
    this.header = options.header ?? randomHeader(MAX_HEADER_LENGTH);
    const interval = options.heartbeatIntervalMs ?? options.healthIntervalMs ?? 1_000;
    const backoff: BackoffOptions = { initialMs: interval, maxMs: interval, jitter: 0, ...options.backoff };
    this.pools = config.hosts.map((h: HostConfig) => {
      const length = h.headerLength ?? options.headerLength ?? 0;
      if (length > this.header.length) throw new RangeError(`${h.name}: msgheadlength ${length} is longer than the client's header`);
      return new HostPool(h, {
        backoff,
        heartbeatIntervalMs: interval,
        header: this.header.slice(0, length),
        probe: heartbeatProbe,
        logger: this.logger,
        onStateChange: (pool, state) => {
          this.logger.info('host state', { host: pool.target.label, state });
          for (const l of [...this.stateListeners]) l(pool.name, state); // a copy: listeners may unsubscribe
        },
      });
    });
    this.dispatcher = new Dispatcher(this.pools, options.failover ?? 'balance', this.logger);
  }

  /** NC then CR0016 on every host; resolves when at least one answered NC, else closes and throws. */
  protected async connectAll(): Promise<void> {
    const results = await Promise.allSettled(this.pools.map((p) => this.initHost(p)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    this.close();
    const attempts = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof EvsmHostError ? [r.reason] : []));
    const other = results.find((r) => r.status === 'rejected' && !(r.reason instanceof EvsmHostError));
    if (attempts.length === 0 && other?.status === 'rejected') throw other.reason;
    throw new EvsmUnavailableError('open', attempts);
  }

  /**
   * The SDK's init per host: connect, NC (its answer, even an error code, gives the serial), then
   * the first heartbeat; a host whose heartbeat fails stays down until a probe answers.
   */
  private async initHost(pool: HostPool): Promise<void> {
    await this.fetchSerial(pool);
    await pool.heartbeat();
  }

  /** NC on one host; caches and returns the serial. Throws EvsmHostError when the host does not answer. */
  private async fetchSerial(pool: HostPool): Promise<string> {
    const lease = await pool.acquire(pool.connTimeoutMs);
    const nc = ncStatus();
    let serial = ' '.repeat(12);
    try {
      const answer = await lease.conn.request(nc.message, pool.readTimeoutMs);
      try {
        serial = serialFromNc(nc.parse(answer, pool.target.label));
      } catch (err) {
        // A wrong response code does not fail the SDK's init either: the entry is blank.
        if (!(err instanceof EvsmProtocolError)) throw err;
        this.logger.warn('NC answer not understood', { host: pool.target.label, error: err.message });
      }
    } catch (err) {
      if (err instanceof EvsmHostError) pool.reportFailure(err);
      throw err;
    } finally {
      pool.release(lease);
    }
    this.serials.set(pool.name, serial);
    return serial;
  }

  /**
   * The SDK's getDeviceSerial: one entry per host in configuration order. A host that answered NC
   * gives its serial (12 spaces when NC failed with an error); a host never reached is asked now
   * if it is not down, else null.
   */
  async deviceSerials(): Promise<Array<string | null>> {
    if (this.closed) throw new EvsmClosedError();
    return Promise.all(
      this.pools.map(async (p) => {
        const cached = this.serials.get(p.name);
        if (cached !== undefined) return cached;
        if (p.state === 'down') return null;
        return this.fetchSerial(p).catch(() => null);
      }),
    );
  }

  /** Runs one encoded command through the failover policy (the typed calls all come here). */
  async execute<T>(cmd: WireCommand<T>, options: DispatchOptions = {}): Promise<T> {
    if (this.closed) throw new EvsmClosedError();
    const started = Date.now();
    try {
      const answered = await this.dispatcher.run(cmd, options);
      const ms = Date.now() - started;
      if (options.trace) Object.assign(options.trace, { host: answered.host, tries: answered.tries });
      this.logger.debug('command ok', { command: cmd.name, host: answered.host, tries: answered.tries, ms });
      this.emitCommand({ command: cmd.name, ok: true, host: answered.host, tries: answered.tries, ms });
      return answered.value;
    } catch (err) {
      const ms = Date.now() - started;
      this.logger.error('command failed', { command: cmd.name, ms, error: (err as Error).message });
      this.emitCommand({ command: cmd.name, ok: false, host: undefined, tries: 0, ms, error: err as Error });
      throw err;
    }
  }

  /** Called after every command: which host answered, or the error (evidence, benchmarks). */
  onCommand(listener: (event: CommandEvent) => void): () => void {
    this.commandListeners.push(listener);
    return () => removeFrom(this.commandListeners, listener);
  }

  private emitCommand(event: CommandEvent): void {
    for (const l of [...this.commandListeners]) l(event);
  }

  /** Each host's state as the client sees it. */
  hosts(): HostStatus[] {
    return this.pools.map((p) => {
      const s = p.stats();
      return {
        name: p.name,
        address: `${p.config.host}:${p.config.port}`,
        state: s.state,
        pooled: s.pooled,
        idle: s.idle,
        lastError: p.lastError?.message,
      };
    });
  }

  /** Called whenever a host goes up or down (tests and the harness wait on it). */
  onHostState(listener: (host: string, state: HostState) => void): () => void {
    this.stateListeners.push(listener);
    return () => removeFrom(this.stateListeners, listener);
  }

  /** Resolves when the named host reaches `state`, or rejects after `timeoutMs`. */
  waitForHost(name: string, state: HostState, timeoutMs: number): Promise<void> {
    const pool = this.pools.find((p) => p.name === name);
    if (!pool) return Promise.reject(new Error(`no host ${name}`));
    if (pool.state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${name} not ${state} within ${timeoutMs} ms (is ${pool.state})`));
      }, timeoutMs);
      const stop = this.onHostState((host, s) => {
        if (host === name && s === state) {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dispatcher.closed = true;
    for (const p of this.pools) p.close();
    this.logger.info('client closed');
  }
}
