/**
 * The life cycle of a client, in the spirit of the vendor SDK's `getInstance("./cacipher.ini")`:
 * one HostPool per [HOSTn], a Dispatcher that applies the failover policy, the logger, and the
 * raw `execute` every typed call goes through. The typed calls are in client.ts (EvsmClient).
 */
import type { CacipherConfig, HostConfig } from './config/types.ts';
import { EvsmClosedError, EvsmHostError, EvsmProtocolError, EvsmUnavailableError } from './errors.ts';
import { Dispatcher, type DispatchOptions, type FailoverPolicy, type WireCommand } from './failover.ts';
import { EvsmLogger, type LogSink } from './log/logger.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './pool/backoff.ts';
import { HostPool, type HostState, type Probe } from './pool/host-pool.ts';
import { echoCommand } from './commands/catalog.ts';

export interface ClientOptions {
  /** `ordered` (primary/standby, default) or `balance` (round-robin over healthy hosts). */
  failover?: FailoverPolicy;
  /** Period of the idle health probe on hosts that are up, ms (default 5000). */
  healthIntervalMs?: number;
  /** Reconnect back-off for hosts marked down (default 200 ms doubling to 5 s, 20 % jitter). */
  backoff?: Partial<BackoffOptions>;
  /** Message header length the devices expect (docs/host-protocol.md; default 4); `[HOSTn] headerLength` overrides it per host. */
  headerLength?: number;
  /** Where a relative logPath is resolved, and checked (default: working directory). */
  baseDir?: string;
  /** Also receive every (redacted) log record, e.g. to show it in a test report. */
  logSink?: LogSink;
  /**
   * Connect to every host when opening (default true). `open` then fails with
   * EvsmUnavailableError if no host answers; with false, hosts are reached on first use.
   */
  connectOnOpen?: boolean;
}

/** One finished command, as `onCommand` listeners see it. */
export interface CommandEvent {
  /** e.g. `B2 echo`. */
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

/** The health probe: a B2 echo that must come back unchanged (works on a factory device too). */
const probeConnection: Probe = async (conn, timeoutMs) => {
  const cmd = echoCommand('HEALTH');
  const echoed = cmd.parse(await conn.request(cmd.message, timeoutMs), conn.target.label);
  if (echoed !== 'HEALTH') throw new EvsmProtocolError(`${conn.target.label}: B2 probe answered "${echoed}"`);
};

export class EvsmClientCore {
  readonly config: CacipherConfig;
  /** Configuration warnings (unknown sections/keys, ignored hosts), as printed to the log. */
  readonly warnings: readonly string[];
  readonly logger: EvsmLogger;
  private readonly pools: HostPool[];
  private readonly dispatcher: Dispatcher;
  private closed = false;
  private readonly stateListeners: Array<(host: string, state: HostState) => void> = [];
  private readonly commandListeners: Array<(event: CommandEvent) => void> = [];

  /** Applications use `EvsmClient.open` / `EvsmClient.fromConfig`, which also connect. */
  constructor(config: CacipherConfig, warnings: string[], options: ClientOptions) {
    this.config = config;
    this.warnings = warnings;
    this.logger = new EvsmLogger(config.logger, { baseDir: options.baseDir, sink: options.logSink });
    for (const w of warnings) this.logger.warn(w);
    this.pools = config.hosts.map(
      (h: HostConfig) =>
        new HostPool(h, {
          backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
          healthIntervalMs: options.healthIntervalMs ?? 5_000,
          headerLength: options.headerLength ?? 4,
          probe: probeConnection,
          logger: this.logger,
          onStateChange: (pool, state) => {
            this.logger.info('host state', { host: pool.target.label, state });
            for (const l of [...this.stateListeners]) l(pool.name, state); // a copy: listeners may unsubscribe
          },
        }),
    );
    this.dispatcher = new Dispatcher(this.pools, options.failover ?? 'ordered', this.logger);
  }

  /** Probes every host once; resolves when at least one answered, else closes and throws. */
  protected async connectAll(): Promise<void> {
    const results = await Promise.allSettled(this.pools.map((p) => this.probeHost(p)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    this.close();
    const attempts = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof EvsmHostError ? [r.reason] : []));
    const other = results.find((r) => r.status === 'rejected' && !(r.reason instanceof EvsmHostError));
    // A protocol or device error on every host is not "unavailable": show it as it is.
    if (attempts.length === 0 && other?.status === 'rejected') throw other.reason;
    throw new EvsmUnavailableError('open', attempts);
  }

  private async probeHost(pool: HostPool): Promise<void> {
    const lease = await pool.acquire(pool.connTimeoutMs);
    try {
      await probeConnection(lease.conn, pool.readTimeoutMs);
    } catch (err) {
      if (err instanceof EvsmHostError) pool.reportFailure(err);
      throw err;
    } finally {
      pool.release(lease);
    }
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
