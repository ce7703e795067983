/**
 * Real EVSM emulator processes for client tests: spawn on 127.0.0.1 (port 0 = any free port),
 * wait for the one ready line, kill with SIGTERM or SIGKILL, restart on the same ports and data
 * directory (a restarted device must come back where the configuration points).
 *
 * Contract (emulator engineer): `node --import tsx emulators/evsm/program.ts --port P
 * --mgmt-port Q --data DIR --name N [--tls-port T --tls-cert F --tls-key F]` prints
 * `evsm-emulator ready name=N port=P mgmt-port=Q tls-port=T|- pid=PID`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
// One parser for the ready line, shared with the harness's launcher (which has no TLS options).
import { parseReadyLine, type ReadyLine } from '../../harness/targets/emulator-process.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const EMULATOR_PROGRAM = join(ROOT, 'emulators', 'evsm', 'program.ts');

/** Whether the emulator program exists yet (tests skip with this reason when it does not). */
export function emulatorAvailable(): boolean {
  return existsSync(EMULATOR_PROGRAM);
}

export interface EmulatorOptions {
  name: string;
  /** Data directory; default: a fresh temporary one. */
  dataDir?: string;
  port?: number;
  mgmtPort?: number;
  tls?: { cert: string; key: string; port?: number };
  /** How long to wait for the ready line (default 20 s: tsx compiles on first start). */
  readyTimeoutMs?: number;
  /** Extra arguments for the emulator. */
  extraArgs?: string[];
}

export class EmulatorProcess {
  private constructor(
    readonly options: EmulatorOptions & { dataDir: string },
    readonly ready: ReadyLine,
    private readonly child: ChildProcess,
    /** Everything the process wrote to stderr (for failure messages). */
    readonly stderr: string[],
    readonly exited: Promise<number | null>,
  ) {}

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
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(options: EmulatorOptions): Promise<EmulatorProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `evsm-${options.name}-`));
    const args = [
      '--import', 'tsx', EMULATOR_PROGRAM,
      '--port', String(options.port ?? 0),
      '--mgmt-port', String(options.mgmtPort ?? 0),
      '--data', dataDir,
      '--name', options.name,
    ];
    if (options.tls) args.push('--tls-port', String(options.tls.port ?? 0), '--tls-cert', options.tls.cert, '--tls-key', options.tls.key);
    args.push(...(options.extraArgs ?? []));
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const lines = createInterface({ input: child.stdout! });
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    const ready = await new Promise<ReadyLine>((res, rej) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`emulator ${options.name}: no ready line within ${timeoutMs} ms; stderr: ${stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      lines.on('line', (line) => {
        const parsed = parseReadyLine(line);
        if (parsed) {
          clearTimeout(timer);
          res(parsed);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`emulator ${options.name} exited (${code}) before ready; stderr: ${stderr.join('').slice(-2000)}`));
      });
    });
    const tls = options.tls ? { ...options.tls, port: ready.tlsPort } : undefined;
    // Remember the ports it got, so restart() comes back on the same address.
    return new EmulatorProcess({ ...options, dataDir, port: ready.port, mgmtPort: ready.mgmtPort, tls }, ready, child, stderr, exited);
  }

  /** SIGKILL: the device dies at once, mid-command, nothing flushed. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process hangs — its sockets stay open and accept, nothing answers. */
  pause(): void {
    if (this.alive) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    if (this.alive) this.child.kill('SIGCONT');
  }

  /** SIGTERM: clean stop; SIGKILL after `graceMs` if it lingers. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** A new process on the same ports and data directory (after kill or stop). */
  restart(): Promise<EmulatorProcess> {
    return EmulatorProcess.start(this.options);
  }
}

export interface TlsMaterial {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the device. */
  otherCaCert: string;
}

/**
 * A CA and a device certificate (SAN IP:127.0.0.1 and DNS:evsm.test), made with openssl at test
 * time so no key material lives in the repository. Serves the emulator's TLS listener and the
 * client's `tlsCaFile`.
 */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tls-'));
  const f = (n: string): string => join(dir, n);
  const run = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  for (const ca of ['ca', 'other-ca']) {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=evsm-lab test ${ca}`, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`));
  }
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=evsm.test',
    '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:evsm.test\n');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { dir, caCert: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), otherCaCert: f('other-ca.pem') };
}
