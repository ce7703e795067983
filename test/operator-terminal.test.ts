/**
 * The bench prompts in a real terminal: tmux runs test/support/terminal-demo.ts, keys are typed
 * with send-keys and the screen is read with capture-pane, as a person at the bench would see it.
 */
import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './support/until.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
test.skip(!hasTmux, 'tmux is not installed (npm run setup:system installs it)');

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (session: string): string => tmux('capture-pane', '-p', '-t', session);

/** A person reads the prompt before typing; the terminal layer discards input faster than that. */
const reactionTime = (): Promise<void> => new Promise((r) => setTimeout(r, 250));

function startDemo(dir: string, session: string, extra = '', prefix = ''): string {
  const out = join(dir, 'answers.json');
  // stderr to a file, as a Playwright worker's goes to the runner: lines for the person must not depend on it
  const cmd = `cd ${process.cwd()} && ${prefix}node --import tsx test/support/terminal-demo.ts ${out} ${extra} 2>>${out}.stderr; echo DEMO-EXIT=$?; sleep 30`;
  // remain-on-exit: a Ctrl-C that ends the whole process group (the shell too) leaves the screen readable
  tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', ';', 'set-option', '-t', session, 'remain-on-exit', 'on', ';', 'respawn-pane', '-k', '-t', session, cmd);
  return out;
}

/** Answers the demo's three prompts as a person would: the PIN, Enter, the value; returns its answers file. */
async function answerTheDemo(session: string, out: string): Promise<unknown> {
  await until('the PIN prompt', () => {
    const s = screen(session);
    if (s.includes('DEMO-EXIT=')) throw new Error(`the demo ended before prompting:\n${s}`);
    return s.includes('(serial S2)');
  });
  await reactionTime();
  tmux('send-keys', '-t', session, '-l', '86429753');
  tmux('send-keys', '-t', session, 'Enter');
  await until('the confirmation prompt', () => screen(session).includes('Press Enter when done'));
  await reactionTime();
  expect(screen(session)).not.toContain('86429753');
  tmux('send-keys', '-t', session, 'Enter');
  await until('the value prompt', () => screen(session).includes('type the DMK check value'));
  await reactionTime();
  tmux('send-keys', '-t', session, '-l', '2677F46B09C122CC');
  tmux('send-keys', '-t', session, 'Enter');
  await until('the demo to finish', () => existsSync(out));
  return JSON.parse(readFileSync(out, 'utf8'));
}

const ANSWERS = { pinLength: 8, pinOk: true, confirmed: 'prompted', value: '2677F46B09C122CC' };

test('a person can answer every prompt; the PIN never shows; typed-ahead Enter is discarded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tty-'));
  const session = `evsm-tty-${process.pid}-a`;
  try {
    const out = startDemo(dir, session);
    // typed ahead, before any prompt exists: must not answer anything
    await new Promise((r) => setTimeout(r, 150));
    tmux('send-keys', '-t', session, 'ahead', 'Enter');
    expect(await answerTheDemo(session, out)).toEqual(ANSWERS);
    // The operator's line is on the screen, on a line of its own, above the prompt it explains.
    const lines = screen(session).split('\n');
    const told = lines.findIndex((l) => l.trim() === 'UKEY "kbk-2" (serial S2): PIN incorrect, 5 tries left');
    expect(told, screen(session)).toBeGreaterThanOrEqual(0);
    expect(told).toBeLessThan(lines.findIndex((l) => l.startsWith('Enter the PIN of UKEY "kbk-2"')));
    const final = await until('the exit line', () => (screen(session).includes('DEMO-EXIT=') ? screen(session) : undefined));
    expect(final).toContain('DEMO-EXIT=0');
    expect(final).toContain('插入 KBK UKEY 2');
    expect(final).not.toContain('86429753');
    // 'ahead' may show (the terminal echoed it before any prompt), but it answered nothing: see answers
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What `evsm-lab run` does: hand its terminal down (operatorTtyPath) to a process in a new session, which has no /dev/tty. */
const NEW_SESSION =
  'EVSM_LAB_TTY=$(node --import tsx -e "import(\'./drivers/ukey/terminal.ts\').then((m) => console.log(m.operatorTtyPath() ?? \'\'))") setsid -w ';

test('a process with no controlling terminal (Playwright under evsm-lab run) prompts on the terminal the runner names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tty-'));
  const session = `evsm-tty-${process.pid}-c`;
  try {
    const out = startDemo(dir, session, '', NEW_SESSION);
    // Without the hand-down the first prompt fails at once: "no operator terminal (/dev/tty: ENXIO)".
    expect(await answerTheDemo(session, out)).toEqual(ANSWERS);
    expect(screen(session)).not.toContain('86429753');
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C at a prompt ends the program and what it started, with one clear line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tty-'));
  const session = `evsm-tty-${process.pid}-b`;
  try {
    const out = startDemo(dir, session, 'child');
    await until('the PIN prompt', () => screen(session).includes('(serial S2)'));
    await reactionTime();
    const childPid = Number(readFileSync(`${out}.child`, 'utf8'));
    tmux('send-keys', '-t', session, 'C-c');
    await until('the demo to exit', () => tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim() === '1' || /DEMO-EXIT=\d+/.test(screen(session)));
    await until('the child to be gone', () => {
      try {
        process.kill(childPid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 5_000);
    expect(existsSync(out)).toBe(false);
    expect(screen(session)).toMatch(/Ctrl-C/);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dir, { recursive: true, force: true });
  }
});
