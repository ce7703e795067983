/**
 * Runs one EVSM emulator as a child process (the `embedded` target, and the bench rehearsal's
 * "hardware" devices). The program's contract (issue 3): it prints exactly one stdout line
 * `evsm-emulator ready name=<NAME> port=<P> mgmt-port=<Q> tls-port=<T or -> pid=<PID> dmk-kcv=<16H or ->`
 * and stops on SIGTERM. Only 127.0.0.1 is ever used.
 *
 * The program runs from an esbuild bundle of its sources (docker/bundle.ts, the one the image
 * uses), built once per run and cached by content in node_modules/.cache/evsm-lab: a process is
 * ready in ~0.15 s instead of ~0.45 s under tsx. `EVSM_EMULATOR_RUNNER=tsx` runs the sources
 * through tsx instead (stack traces name the .ts files); so does a bundle that cannot be built,
 * with one line on stderr saying why. `EVSM_EMULATOR_BUNDLE` names the bundle to run: the
 * Playwright global setup sets it for its workers, so a run bundles once (docs/harness.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReadyLine, type ReadyLine } from '../../drivers/evsm/container/ready-line.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EMULATOR_PROGRAM = join(root, 'emulators', 'evsm', 'program.ts');

export { parseReadyLine, type ReadyLine };

/** How emulator children are started: node arguments that come before the emulator's own. */
export interface EmulatorLauncher {
  kind: 'bundle' | 'tsx';
  nodeArgs: string[];
  /** Why tsx runs although a bundle was wanted (the bundle could not be built). */
  reason?: string;
}

export const EMULATOR_RUNNER_ENV = 'EVSM_EMULATOR_RUNNER';
export const EMULATOR_BUNDLE_ENV = 'EVSM_EMULATOR_BUNDLE';

/**
 * Decides how to start the emulator: `EVSM_EMULATOR_RUNNER=tsx` → tsx; else the bundle named by
 * `EVSM_EMULATOR_BUNDLE` when that file exists; else a bundle built now into `cacheDir` (its
 * path is then written to `env`, so later calls and child processes reuse it); and if that
 * fails, tsx with the reason (`warn` gets one line).
 */
export async function resolveEmulatorLauncher(
  env: NodeJS.ProcessEnv = process.env,
  o: { entry?: string; cacheDir?: string; warn?: (line: string) => void } = {},
): Promise<EmulatorLauncher> {
  const entry = o.entry ?? EMULATOR_PROGRAM;
  const tsx = (reason?: string): EmulatorLauncher => ({ kind: 'tsx', nodeArgs: ['--import', createRequire(import.meta.url).resolve('tsx'), entry], ...(reason ? { reason } : {}) });
  const runner = env[EMULATOR_RUNNER_ENV];
  if (runner === 'tsx') return tsx();
  if (runner !== undefined && runner !== '' && runner !== 'bundle') throw new Error(`${EMULATOR_RUNNER_ENV}=${runner}: expected bundle or tsx`);
  const given = env[EMULATOR_BUNDLE_ENV];
  if (given && o.entry === undefined && existsSync(given) && statSync(given).isFile()) return { kind: 'bundle', nodeArgs: [given] };
  try {
    const { cachedBundle } = await import('../../docker/bundle.ts');
    const { file } = await cachedBundle(entry, o.cacheDir);
    if (o.entry === undefined) env[EMULATOR_BUNDLE_ENV] = file;
    return { kind: 'bundle', nodeArgs: [file] };
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    (o.warn ?? ((line: string) => console.error(line)))(`evsm-lab: emulator processes run under tsx (about 0.3 s slower to start): the bundle could not be built: ${reason}`);
    return tsx(reason);
  }
}

let defaultLauncher: Promise<EmulatorLauncher> | undefined;

/**
 * Temporary directories to remove when this process exits (one exit listener for all). A device
 * is stopped, killed and restarted on its data directory, so its stop is not the end of it; a
 * test's worker exiting is.
 */
const atExit = new Set<string>();
export function removeAtExit(dir: string): void {
  if (atExit.size === 0) process.once('exit', () => atExit.forEach((d) => rmSync(d, { recursive: true, force: true })));
  atExit.add(dir);
}

function removeNow(dir: string): void {
  atExit.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** resolveEmulatorLauncher() once per process (a failure to build is not retried: the reason is printed once). */
export function emulatorLauncher(): Promise<EmulatorLauncher> {
  defaultLauncher ??= resolveEmulatorLauncher();
  return defaultLauncher;
}

export interface EmulatorOptions {
  name: string;
  /**
   * Data directory; default: a fresh temporary one (`evsm-<name>-*`), removed by close(), by
   * restartFresh() onto another directory, or else when this process exits. A directory given
   * here is the caller's and never removed.
   */
  dataDir?: string;
  /** 0 = any free port (the default); a restart passes the old ports so clients find it again. */
  port?: number;
  mgmtPort?: number;
  /** A TLS listener beside the TCP one (PEM files; port 0 or absent = any free port). */
  tls?: { cert: string; key: string; port?: number };
  /** Host message header length (`msgheadlength`); absent = the emulator's default, 0. */
  headerLength?: number;
  extraArgs?: string[];
  /** Milliseconds to wait for the ready line. */
  readyTimeout?: number;
  /** How to start it; default: emulatorLauncher() (the cached bundle, or tsx). */
  launcher?: EmulatorLauncher;
}

export class EmulatorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  ready!: ReadyLine;
  /** How the process was started (a bundle, or tsx and why). */
  launcher!: EmulatorLauncher;

  /** The data directory start() made (no `dataDir` given), while it is still in use. */
  private ownDir: string | undefined;

  private constructor(readonly options: EmulatorOptions & { dataDir: string }) {}

  static async start(options: EmulatorOptions): Promise<EmulatorProcess> {
    const own = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), `evsm-${options.name}-`)) : undefined;
    const p = new EmulatorProcess({ ...options, dataDir: options.dataDir ?? own! });
    if (own) {
      p.ownDir = own;
      removeAtExit(own);
    }
    try {
      p.launcher = options.launcher ?? (await emulatorLauncher());
      await p.launch(options.port ?? 0, options.mgmtPort ?? 0, options.tls?.port ?? 0);
    } catch (e) {
      p.removeOwnDir();
      throw e;
    }
    return p;
  }

  private removeOwnDir(): void {
    if (this.ownDir) removeNow(this.ownDir);
    this.ownDir = undefined;
  }

  get name(): string {
    return this.options.name;
  }
  get port(): number {
    return this.ready.port;
  }
  get mgmtPort(): number {
    return this.ready.mgmtPort;
  }
  get tlsPort(): number | undefined {
    return this.ready.tlsPort;
  }
  get dataDir(): string {
    return this.options.dataDir;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private launch(port: number, mgmtPort: number, tlsPort: number): Promise<void> {
    const { tls } = this.options;
    const args = [
      ...this.launcher.nodeArgs,
      '--port',
      String(port),
      '--mgmt-port',
      String(mgmtPort),
      '--data',
      this.options.dataDir,
      '--name',
      this.options.name,
      ...(tls ? ['--tls-port', String(tlsPort), '--tls-cert', tls.cert, '--tls-key', tls.key] : []),
      ...(this.options.headerLength !== undefined ? ['--header-length', String(this.options.headerLength)] : []),
      ...(this.options.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      // Keep only the tail: enough to explain a failed start, bounded for long runs.
      stderr = (stderr + d).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`emulator ${this.options.name}: no ready line within ${this.options.readyTimeout ?? 20000} ms${tail(stderr)}`));
      }, this.options.readyTimeout ?? 20_000);
      child.stdout!.setEncoding('utf8');
      const onData = (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        const ready = parseReadyLine(out.slice(0, nl));
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        // Drain the rest so a chatty emulator never blocks on a full pipe.
        child.stdout!.resume();
        if (!ready) {
          child.kill('SIGKILL');
          reject(new Error(`emulator ${this.options.name}: unexpected first line ${JSON.stringify(out.slice(0, nl))}${tail(stderr)}`));
          return;
        }
        this.ready = ready;
        resolve();
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`emulator ${this.options.name} exited before ready (code ${code}, signal ${signal})${tail(stderr)}`));
      });
    });
  }

  /** SIGKILL: a crash, as HA scenarios need. Resolves when the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process hangs — its sockets stay open and accept, nothing answers. */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return this.exited;
    this.child!.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Starts again on the same ports and data directory (the device "rebooted"); stops it first if it runs. */
  async restart(): Promise<this> {
    await this.stop();
    await this.launch(this.ready.port, this.ready.mgmtPort, this.ready.tlsPort ?? 0);
    return this;
  }

  /** Starts again on the same ports with an empty data directory (the caller's): a factory-fresh device. */
  async restartFresh(dataDir: string): Promise<void> {
    await this.stop();
    if (dataDir !== this.ownDir) this.removeOwnDir();
    this.options.dataDir = dataDir;
    await this.launch(this.ready.port, this.ready.mgmtPort, this.ready.tlsPort ?? 0);
  }

  /** The end of the device: stop() it, and remove the data directory start() made (one the caller gave stays). */
  async close(graceMs?: number): Promise<void> {
    await this.stop(graceMs);
    this.removeOwnDir();
  }
}

function tail(stderr: string): string {
  const t = stderr.trim().split('\n').slice(-5).join('\n');
  return t ? `\n${t}` : '';
}
