/**
 * Command line of the emulator program (docs/emulator.md). The options a container user sets
 * (header length, limits, an initialized start) can also come from the environment, the image's
 * way; an option on the command line wins over its variable.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MGMT_CONNECTIONS, MAX_IDLE_TIMEOUT_S } from './connections.ts';

export interface EmulatorOptions {
  port: number;
  dataDir: string;
  name: string;
  host: string;
  /** undefined = port + 1, or ephemeral when port is 0 */
  mgmtPort?: number;
  tlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  headerLength: number;
  debug: boolean;
  /** ms; 0 = never close idle connections (default 300 s) */
  idleTimeoutMs?: number;
  /** cap on open host connections, TCP and TLS together (default 512) */
  maxConnections?: number;
  /** cap on open management connections (default 32) */
  maxMgmtConnections?: number;
  /** threads that run commands: 0 or 1 = the main thread alone; N ≥ 2 = N host worker threads (host/workers.ts) */
  workers?: number;
  /** the file a host worker thread runs (the program itself: program.ts or its bundle) */
  workerScript?: string | URL;
}

/** What the command line asks for beyond the running device: an initialized start. */
export interface InitOptions {
  /** --init / EVSM_INIT=1: a random DMK on a factory device */
  init: boolean;
  /** --dmk-components-file / EVSM_DMK_COMPONENTS_FILE */
  componentsFile?: string;
  /** EVSM_DMK_COMPONENTS=hex,hex,… (environment only: a command line is visible to every user) */
  componentsInline?: string;
}

export const USAGE =
  'usage: evsm-lab emulator --port P --data DIR [--name NAME] [--host 127.0.0.1] [--mgmt-port Q] ' +
  '[--tls-port T --tls-cert CERT.pem --tls-key KEY.pem] [--header-length 0] [--idle-timeout 300] ' +
  '[--max-connections 512] [--max-mgmt-connections 32] [--workers N] [--init] [--dmk-components-file FILE] [--debug]';

export class UsageError extends Error {}

export const MAX_WORKERS = 64;

/**
 * Host worker threads by default: one per core beyond the first (that one runs the main thread:
 * sockets, framing, state), at most 4; none on a machine with fewer than 3 cores, where the main
 * thread and a worker would compete for the same cores (measured, docs/emulator.md).
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return cores < 3 ? 1 : Math.min(4, cores - 1);
}

const VALUE_OPTIONS = {
  '--port': undefined,
  '--data': undefined,
  '--name': undefined,
  '--host': undefined,
  '--mgmt-port': undefined,
  '--tls-port': undefined,
  '--tls-cert': undefined,
  '--tls-key': undefined,
  '--header-length': 'EVSM_HEADER_LENGTH',
  '--idle-timeout': 'EVSM_IDLE_TIMEOUT',
  '--max-connections': 'EVSM_MAX_CONNECTIONS',
  '--max-mgmt-connections': 'EVSM_MAX_MGMT_CONNECTIONS',
  '--workers': 'EVSM_WORKERS',
  '--dmk-components-file': 'EVSM_DMK_COMPONENTS_FILE',
} as const satisfies Record<string, string | undefined>;
type ValueOption = keyof typeof VALUE_OPTIONS;

function isValueOption(a: string): a is ValueOption {
  return Object.prototype.hasOwnProperty.call(VALUE_OPTIONS, a);
}

function intOf(flag: string, v: string, min: number, max: number, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag} must be ${what} ${min}-${max}, got "${v.slice(0, 40)}"`);
  return n;
}

function portOf(flag: string, v: string): number {
  return intOf(flag, v, 0, 65535, 'a port number');
}

const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['', '0', 'false', 'no']);

function flagFromEnv(name: string, env: NodeJS.ProcessEnv): boolean {
  const v = (env[name] ?? '').trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new UsageError(`${name} must be 1 or 0, got "${v.slice(0, 40)}"`);
}

export function parseArgs(args: readonly string[], env: NodeJS.ProcessEnv = {}): EmulatorOptions & InitOptions {
  const values = new Map<ValueOption, string>();
  let debug = false;
  let init = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--debug') {
      debug = true;
      continue;
    }
    if (a === '--init') {
      init = true;
      continue;
    }
    if (!isValueOption(a)) throw new UsageError(`unknown option ${a.slice(0, 60)}`);
    const v = args[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    values.set(a, v);
  }
  // The environment fills what the command line left open.
  for (const [flag, variable] of Object.entries(VALUE_OPTIONS) as Array<[ValueOption, string | undefined]>) {
    if (variable && !values.has(flag) && env[variable] !== undefined && env[variable] !== '') values.set(flag, env[variable] as string);
  }
  init ||= flagFromEnv('EVSM_INIT', env);
  const port = values.get('--port');
  const dataDir = values.get('--data');
  if (port === undefined) throw new UsageError('--port is required (0 = any free port)');
  if (dataDir === undefined) throw new UsageError('--data is required (the directory that holds the device state)');
  const name = values.get('--name') ?? 'EVSM';
  if (!/^\S{1,64}$/u.test(name)) throw new UsageError('--name must be 1-64 characters without spaces');
  const host = values.get('--host') ?? '127.0.0.1';
  if (!isIP(host) && !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) {
    throw new UsageError(`--host must be an IP address or a host name, got "${host.slice(0, 60)}"`);
  }
  const headerLength = intOf('--header-length', values.get('--header-length') ?? '0', 0, 32, 'a header length');
  const idle = intOf('--idle-timeout', values.get('--idle-timeout') ?? String(DEFAULT_IDLE_TIMEOUT_S), 0, MAX_IDLE_TIMEOUT_S, 'seconds (0 = never)');
  const maxConnections = intOf('--max-connections', values.get('--max-connections') ?? String(DEFAULT_MAX_CONNECTIONS), 1, 100_000, 'a count');
  const maxMgmtConnections = intOf('--max-mgmt-connections', values.get('--max-mgmt-connections') ?? String(DEFAULT_MAX_MGMT_CONNECTIONS), 1, 10_000, 'a count');
  const workers = intOf('--workers', values.get('--workers') ?? String(defaultWorkers()), 0, MAX_WORKERS, 'a thread count');
  const tlsPort = values.has('--tls-port') ? portOf('--tls-port', values.get('--tls-port') as string) : undefined;
  const tlsCert = values.get('--tls-cert');
  const tlsKey = values.get('--tls-key');
  if (tlsPort !== undefined && (!tlsCert || !tlsKey)) throw new UsageError('--tls-port needs --tls-cert and --tls-key (PEM files)');
  const componentsFile = values.get('--dmk-components-file');
  const componentsInline = env.EVSM_DMK_COMPONENTS?.trim() ? env.EVSM_DMK_COMPONENTS : undefined;
  if (componentsFile !== undefined && componentsInline !== undefined) {
    throw new UsageError('give the DMK components one way: --dmk-components-file (or EVSM_DMK_COMPONENTS_FILE) or EVSM_DMK_COMPONENTS, not both');
  }
  return {
    port: portOf('--port', port),
    dataDir,
    name,
    host,
    mgmtPort: values.has('--mgmt-port') ? portOf('--mgmt-port', values.get('--mgmt-port') as string) : undefined,
    tlsPort,
    tlsCert,
    tlsKey,
    headerLength,
    debug,
    idleTimeoutMs: idle * 1000,
    maxConnections,
    maxMgmtConnections,
    workers,
    init,
    componentsFile,
    componentsInline,
  };
}
