/**
 * Ctrl-C at a console prompt of a bench run is an interrupted run, not a failed test (issue 12,
 * "console mode that works"). A real `evsm-lab run --target rehearsal` in console mode runs in tmux
 * on a rehearsal bench (emulators on free 127.0.0.1 ports); the person answers the first prompt
 * (device A's emulator then runs) and presses Ctrl-C at the second. The run must stop with exit 130 and its one line, mark the test `interrupted`
 * (never failed) in results.json and on the screen, leave no process of the run alive, and
 * `run --resume` must run that test again (it prompts for the same step).
 */
import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foregroundGroup, interruptRun } from '../drivers/ukey/terminal.ts';
import { readResults } from '../reports/playwright-results.ts';
import { LEGS_FILE } from '../reports/run-legs.ts';
import { freePorts } from './support/free-port.ts';
import { until } from './support/until.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
/** Starting a run (Playwright, the lab check, an emulator) takes seconds on a loaded machine. */
const LONG = 60_000;

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (session: string): string => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);

/** Scenario id → the status of its last result, from Playwright's JSON report (scenario tests only). */
function lastResults(file: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (suite: { specs?: { title: string; tests: { results: { status: string }[] }[] }[]; suites?: unknown[] }): void => {
    for (const spec of suite.specs ?? []) {
      const id = /^([A-Z]+-\d+) /.exec(spec.title)?.[1];
      for (const t of spec.tests) if (id) found[id] = t.results[t.results.length - 1]?.status ?? 'not run';
    }
    for (const s of suite.suites ?? []) walk(s as typeof suite);
  };
  for (const s of JSON.parse(readFileSync(file, 'utf8')).suites) walk(s);
  return found;
}

/** Every process whose environment carries `mark` (the run's launcher, Playwright, its workers, the emulators they started). */
function processesMarked(mark: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(mark)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

test.describe('Ctrl-C at a console prompt', () => {
  test.skip(!hasTmux, 'tmux is not installed (npm run setup:system installs it)');
  test.skip(!existsSync(SOFTHSM), 'SoftHSM2 is not installed (npm run setup:system installs it)');

  test('ends the whole run as interrupted, not failed; nothing of it stays alive; --resume runs the test again', async () => {
    test.setTimeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'evsm-console-int-'));
    const out = join(dir, 'out');
    mkdirSync(out);
    const session = `evsm-console-int-${process.pid}`;
    const mark = `EVSM_CONSOLE_INTERRUPT_TEST=${process.pid}-${Date.now()}`;
    try {
      const [h1, h2, h3, m1, m2, m3] = await freePorts(6);
      const hosts = [h1, h2, h3].map((port, i) => `[HOST${i + 1}]\nhsmModel=SJJ1310\nlinkNum=-4\nhost=127.0.0.1\nport=${port}\ntimeout=5\n`).join('');
      writeFileSync(join(dir, 'cacipher.ini'), `[LOGGER]\nlogsw=error\n\n${hosts}`);
      const lab = JSON.parse(readFileSync(join(root, 'lab', 'rehearsal.json'), 'utf8'));
      lab.lab = 'console interrupt test';
      lab.cacipher = join(dir, 'cacipher.ini');
      lab.devices.A.managementPort = m1;
      lab.devices.B.managementPort = m2;
      lab.devices.C.managementPort = m3;
      lab.operator = { mode: 'console', timeoutSeconds: 120 };
      writeFileSync(join(dir, 'lab.json'), JSON.stringify(lab, null, 1));

      const env = `${mark} EVSM_LAB_OUTPUT=${out} CI=`;
      const runCmd = (args: string, tag: string) => `cd ${root} && env ${env} node bin/evsm-lab.mjs ${args}; echo ${tag}=$?; sleep 120`;
      tmux('new-session', '-d', '-s', session, '-x', '180', '-y', '50', ';', 'set-option', '-t', session, 'remain-on-exit', 'on', ';',
        'respawn-pane', '-k', '-t', session, runCmd(`run --target rehearsal --lab ${join(dir, 'lab.json')} --grep 'KS-01 ' --no-report -- --workers 1`, 'RUN-EXIT'));

      const prompt = 'Press Enter when done.';
      await until('the first console prompt', () => {
        const s = screen(session);
        if (/RUN-EXIT=\d+/.test(s)) throw new Error(`the run ended before prompting:\n${s}`);
        return s.includes(prompt);
      }, LONG);
      // The person resets device A (the rehearsal then starts its emulator) and is asked for B: Ctrl-C there.
      await new Promise((r) => setTimeout(r, 250)); // a person reads the prompt first
      tmux('send-keys', '-t', session, 'Enter');
      await until('the prompt for device B', () => screen(session).includes('Reset device B'), LONG);
      const alive = processesMarked(mark).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      expect(alive.filter((c) => c.includes('--name A')), alive.join('\n')).toHaveLength(1); // device A's emulator
      expect(alive.length, alive.join('\n')).toBeGreaterThanOrEqual(4); // and the launcher, Playwright, its worker
      await new Promise((r) => setTimeout(r, 250));
      tmux('send-keys', '-t', session, 'C-c');
      const final = await until('the run to exit', () => (/RUN-EXIT=\d+/.test(screen(session)) ? screen(session) : undefined), LONG);

      expect(final).toContain('RUN-EXIT=130');
      expect(final).toContain('Ctrl-C: stopping the run');
      expect(final).toContain('evsm-lab run: stopped; `evsm-lab run --resume` runs the tests that had not passed');
      expect(final).toMatch(/^! \[rehearsal\] scenarios\/key-sync\.spec\.ts › KS-01 .*: interrupted \(not a failure\)$/m);
      expect(final).toMatch(/1 passed, 0 failed, 0 skipped, 1 interrupted \(.*\): interrupted/);
      expect(final).not.toContain('✘');
      expect(final).not.toContain('cancelled at the prompt');

      // Playwright's own record: the result is `interrupted`; the reports read it as that, not as a failure.
      expect(lastResults(join(out, 'results.json'))).toEqual({ 'KS-01': 'interrupted' });
      const results = readResults(join(out, 'results.json'));
      expect(results.tests.filter((t) => t.status === 'failed')).toEqual([]);
      expect(results.tests.find((t) => t.title.startsWith('KS-01 '))?.reason).toMatch(/^interrupted \(the run was stopped/);
      expect(existsSync(join(out, LEGS_FILE))).toBe(true);
      // Nothing of the run outlives it: not the runner, a worker, or an emulator it started.
      await until('every process of the run to be gone', () => processesMarked(mark).length === 0 || undefined, 5_000).catch(() => {
        throw new Error(`still alive: ${processesMarked(mark).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')).join('\n')}`);
      });

      // Resumable: leg 2 runs KS-01 again (its first prompt comes back); a second Ctrl-C stops it the same way.
      tmux('respawn-pane', '-k', '-t', session, runCmd('run --resume', 'RESUME-EXIT'));
      await until('the resumed leg to prompt', () => {
        const s = screen(session);
        if (/RESUME-EXIT=\d+/.test(s)) throw new Error(`the resumed run ended before prompting:\n${s}`);
        return s.includes(prompt) && s.includes('KS-01');
      }, LONG);
      expect(screen(session)).toMatch(/leg 2: 1 test\(s\) passed before and are not run again; 1 had not passed/);
      await new Promise((r) => setTimeout(r, 250));
      tmux('send-keys', '-t', session, 'C-c');
      const again = await until('the resumed run to exit', () => (/RESUME-EXIT=\d+/.test(screen(session)) ? screen(session) : undefined), LONG);
      expect(again).toContain('RESUME-EXIT=130');
      expect(lastResults(join(out, 'results.json'))).toEqual({ 'KS-01': 'interrupted' });
      await until('every process of the resumed run to be gone', () => processesMarked(mark).length === 0 || undefined, 5_000);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      for (const pid of processesMarked(mark)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the terminal\'s foreground group is read from the nearest process that has the terminal', () => {
  const proc = mkdtempSync(join(tmpdir(), 'evsm-fake-proc-'));
  try {
    // worker 30 (no terminal) → runner 20 (no terminal, its own session) → launcher 10 on pts 34819, foreground group 10
    const stat = (pid: number, comm: string, ppid: number, tty: number, tpgid: number) => {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} ${tty} ${tpgid} 4194560 0 0`);
    };
    stat(30, 'node worker)', 20, 0, -1); // comm may hold ") "
    stat(20, 'node', 10, 0, -1);
    stat(10, 'node', 1, 34819, 10);
    stat(1, 'init', 0, 0, -1);
    expect(foregroundGroup(34819, 30, proc)).toBe(10);
    expect(foregroundGroup(34820, 30, proc)).toBeUndefined(); // another terminal: nobody here has it
    expect(foregroundGroup(34819, 99, proc)).toBeUndefined();
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
  // No ancestor has the terminal: Ctrl-C goes to this process's own group, as before.
  const sent: [number, string][] = [];
  interruptRun(-12345, (pid, signal) => sent.push([pid, signal]));
  expect(sent).toEqual([[0, 'SIGINT']]);
});
