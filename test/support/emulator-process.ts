/**
 * Real EVSM emulator processes for client tests and benches: the harness's own launcher
 * (spawn on 127.0.0.1 with port 0, wait for the ready line, kill/pause/resume/stop, restart on
 * the same ports and data directory), plus a test CA and device certificate for the TLS listener;
 * and for the emulator's own robustness tests a launcher of any program file with its
 * environment and descriptor limit, a bundled build, RSS, a seeded PRNG and request helpers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEmulator } from '../../docker/bundle.ts';
import { parseReadyLine, type ReadyLine } from '../../drivers/evsm/container/ready-line.ts';
import { EMULATOR_PROGRAM, emulatorLauncher, removeAtExit } from '../../harness/targets/emulator-process.ts';
import { frameMessage, type HostClient } from '../../emulators/evsm/testing/host-client.ts';

export { EmulatorProcess, EMULATOR_PROGRAM, type EmulatorOptions } from '../../harness/targets/emulator-process.ts';

/** Whether the emulator program exists (tests skip with this reason when it does not). */
export function emulatorAvailable(): boolean {
  return existsSync(EMULATOR_PROGRAM);
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
 * client's `tlsCaFile`. The directory is removed when the process exits.
 */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tls-'));
  // Removed when the worker exits: the emulator started with these files may outlive the test.
  removeAtExit(dir);
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

// ---------------------------------------------------------------------------------------------
// Emulator children for the robustness tests (limits, fuzz, crash): a launcher that takes any
// program file (the tsx entry or a bundle), environment and descriptor limit, and small helpers.


export interface EmulatorChild {
  child: ChildProcess;
  ready: ReadyLine;
  readyLine: string;
  /** everything the child wrote to stderr so far */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** Kills every child launchEmulator started and that still runs (afterAll). */
export function killAllEmulators(): void {
  for (const c of children) c.kill('SIGKILL');
}

export interface LaunchOptions {
  /** a bundle from bundledEmulator() (plain node, starts in a fraction of the tsx time); default: the tsx entry */
  program?: string;
  env?: NodeJS.ProcessEnv;
  /** RLIMIT_NOFILE of the child (set with the shell's ulimit -n) */
  fileLimit?: number;
}

/** Starts the emulator program with `args`; resolves at its ready line, rejects if it exits first. */
export function launchEmulator(args: string[], o: LaunchOptions = {}): Promise<EmulatorChild> {
  const require = createRequire(import.meta.url);
  const nodeArgs = o.program ? [o.program, ...args] : ['--import', require.resolve('tsx'), EMULATOR_PROGRAM, ...args];
  const child =
    o.fileLimit === undefined
      ? spawn(process.execPath, nodeArgs, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -n ${o.fileLimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => parseReadyLine(l));
      if (!line) return;
      resolve({ child, ready: parseReadyLine(line) as ReadyLine, readyLine: line, stderr: () => err, exited });
    });
    void exited.then((e) => reject(new Error(`emulator exited (${e.code ?? e.signal}) before its ready line: ${err.slice(-2000)}`)));
  });
}

let bundle: Promise<string> | undefined;

/**
 * The emulator bundled into one file: the run's content-keyed bundle (EVSM_EMULATOR_BUNDLE, built
 * once by the global setup; docs/harness.md), so a start takes ~0.15 s instead of ~0.45 s under
 * tsx. With `EVSM_EMULATOR_RUNNER=tsx` (or no bundle possible) a bundle is built here once per
 * worker, as the robustness tests need plain `node FILE` children.
 */
export function bundledEmulator(): Promise<string> {
  bundle ??= (async () => {
    const l = await emulatorLauncher();
    if (l.kind === 'bundle') return l.nodeArgs[0];
    const dir = mkdtempSync(join(tmpdir(), 'evsm-bundle-'));
    removeAtExit(dir);
    const file = join(dir, 'evsm-emulator.mjs');
    await writeFile(file, await bundleEmulator(EMULATOR_PROGRAM));
    return file;
  })();
  return bundle;
}

/** Resident set size of a process in KiB (Linux /proc). */
export function rssKib(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

/** A seeded PRNG (mulberry32): the same seed gives the same test, run after run. */
export function seeded(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)] };
}

/**
 * The request (command + fields) that generates a key and stores it at `index`: A0 with a store
 * part (SJJ1310). The answer's last 16 characters are the key's check value.
 */
export function storeKeyRequest(index: number, label = '', type = '00A', flag = 'P'): string {
  return `A00${type}${flag}K${String(index).padStart(4, '0')}${String(label.length).padStart(2, '0')}${label}`;
}

/** Parses an X4 listing (count 3N, more 1N, entries of 24 characters: index 4N, type 3H, flag 1, CV 16H). */
export function parseListing(text: string): { more: boolean; entries: Array<{ index: number; cv: string }> } {
  const count = Number(text.slice(0, 3));
  const entries = (text.slice(4).match(/.{24}/g) ?? []).map((e) => ({ index: Number(e.slice(0, 4)), cv: e.slice(8) }));
  if (entries.length !== count) throw new Error(`X4 listing says ${count} entries, holds ${entries.length}`);
  return { more: text[3] === '1', entries };
}

/**
 * One request (command + fields, no header) on a header-length-0 connection; resolves with the
 * answer's fields, rejects unless the error code is 00.
 */
export async function hostOk(h: HostClient, request: string): Promise<string> {
  const [a] = await h.sendRaw(frameMessage(Buffer.from(request, 'latin1')));
  if (a.error !== '00') throw new Error(`${request.slice(0, 2)} answered ${a.code} ${a.error}`);
  return a.text;
}
