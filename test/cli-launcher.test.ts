/**
 * The launcher runs the CLI in its own process: a signal sent to the pid of `evsm-lab emulator`
 * (or of `npx evsm-lab emulator`) stops the emulator, frees its ports and removes its lock
 * within 2 s, exit 0. Each test starts a real emulator through bin/evsm-lab.mjs.
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const launcher = join(root, 'bin', 'evsm-lab.mjs');
const STOP_WITHIN_MS = 2000;

interface Started {
  child: ChildProcess;
  /** pid printed in the ready line: the process that runs the emulator. */
  pid: number;
  ports: number[];
  dataDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Process groups started by this file's tests: whatever a failed test left running is killed after it. */
const started: number[] = [];
test.afterEach(() => {
  for (const pgid of started.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* the group is gone: the test stopped everything */
    }
  }
});

/** Starts `command args… emulator --port 0 --data TMP` in a process group of its own and waits for the ready line. */
async function startEmulator(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'evsm-cli-launcher-'));
  const child = spawn(command, [...args, 'emulator', '--port', '0', '--data', dataDir], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child.pid!);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s; stderr: ${err}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      // Fields by name: the line may grow more of them (docs/emulator.md).
      const m = /^evsm-emulator ready .*\bport=(\d+) mgmt-port=(\d+) .*\bpid=(\d+)\b.*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then(({ code }) => reject(new Error(`exited ${code} before the ready line; stderr: ${err}`)));
  });
  expect(existsSync(join(dataDir, 'lock')), 'the running emulator holds its lock').toBe(true);
  return { child, pid: Number(ready[3]), ports: [Number(ready[1]), Number(ready[2])], dataDir, exited };
}

/** The measured time goes into the report and on the console (docs/cli.md quotes it). */
function note(description: string): void {
  test.info().annotations.push({ type: 'kill-to-exit', description });
  console.log(`kill-to-exit: ${description}`);
}

/**
 * Whether `pid` still runs. An exited process stays a zombie until its parent reaps it; the
 * emulator under npx is reparented to PID 1, which may reap late, so a zombie counts as gone.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves to the ms until `pid` is gone (polled every 5 ms), or rejects after `limit`. */
async function goneWithin(pid: number, since: number, limit: number): Promise<number> {
  while (alive(pid)) {
    if (performance.now() - since > limit) throw new Error(`pid ${pid} still running ${limit} ms after the signal`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - since;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

async function expectStopped(e: Started): Promise<void> {
  for (const port of e.ports) expect(await refused(port), `port ${port} is free`).toBe(true);
  expect(existsSync(join(e.dataDir, 'lock')), 'lock file removed').toBe(false);
  expect(existsSync(join(e.dataDir, 'state.json')), 'state kept').toBe(true);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`node bin/evsm-lab.mjs emulator: ${signal} to its pid stops it within 2 s, exit 0, ports free, lock gone`, async () => {
    const e = await startEmulator(process.execPath, [launcher]);
    // In-process: the pid we started is the one that runs the emulator (no child in between).
    expect(e.pid).toBe(e.child.pid);
    const t0 = performance.now();
    e.child.kill(signal);
    const { code } = await e.exited;
    const ms = performance.now() - t0;
    note(`${signal}: exit ${code} after ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(STOP_WITHIN_MS);
    expect(code).toBe(0);
    await expectStopped(e);
  });
}

/** npx with its registry look-ups off: it must take this repository's own bin. */
function npxEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, npm_config_offline: 'true', npm_config_yes: 'true', npm_config_update_notifier: 'false', ...extra };
}

/**
 * npx runs us as npm → sh -c → node. npm passes a signal to sh only; dash dies of SIGTERM without
 * passing it on (the launcher then sees its parent go and stops), and waits through SIGINT (so a
 * `kill -INT` of the npx pid alone does not reach us: docs/cli.md gives the ways that do).
 */
const NPX_CASES = [
  { title: 'SIGTERM to the npx pid', env: {}, signal: 'SIGTERM', group: false },
  { title: 'SIGINT to its process group (what Ctrl-C does)', env: {}, signal: 'SIGINT', group: true },
  { title: 'SIGINT to the npx pid with npm_config_script_shell=bash', env: { npm_config_script_shell: 'bash' }, signal: 'SIGINT', group: false },
] as const;

for (const c of NPX_CASES) {
  test(`npx evsm-lab emulator: ${c.title} stops the emulator within 2 s, ports free, lock gone`, async () => {
    const e = await startEmulator('npx', ['evsm-lab'], npxEnv(c.env));
    expect(e.pid).not.toBe(e.child.pid);
    const t0 = performance.now();
    if (c.group) process.kill(-e.child.pid!, c.signal);
    else e.child.kill(c.signal);
    const ms = await goneWithin(e.pid, t0, STOP_WITHIN_MS);
    const npx = await e.exited;
    note(`npx, ${c.title}: emulator gone after ${ms.toFixed(0)} ms; npx itself ended with ${npx.code ?? npx.signal}`);
    await expectStopped(e);
  });
}
