/**
 * The operator's terminal (/dev/tty), shared by every prompt of a process: token PINs, "insert
 * UKEY 2 of 3", "press Enter when VsmManager shows 完成".
 *
 * Why /dev/tty and not stdin: Playwright workers run with stdin on /dev/null, so a prompt on
 * stdin can never be answered. Why raw mode: it is the only way to keep a PIN off the screen
 * (no echo) and to see Ctrl-C as a key while a prompt waits. Rules a person at a bench relies on:
 *  - one prompt at a time (prompts from several callers queue);
 *  - input typed before a prompt appeared is thrown away (an Enter typed ahead must not confirm
 *    the next step): the terminal hands buffered bytes to the first read at once, so whatever
 *    arrives within FLUSH_MS of opening is discarded;
 *  - a secret is never echoed, not even as stars, and never logged;
 *  - Ctrl-C at a prompt ends the whole run as a Ctrl-C anywhere else would: SIGINT goes to the
 *    terminal's foreground process group (interruptRun()), exactly as the terminal sends it with
 *    echo on. The prompt then neither answers nor fails: the run stops the test that waits on it,
 *    so the test is reported `interrupted` (and `run --resume` runs it again), not failed.
 *
 * A process with no controlling terminal cannot open /dev/tty (ENXIO). `evsm-lab run` starts
 * Playwright in a session of its own (so one Ctrl-C reaches it once), which leaves the workers
 * without one; the runner therefore names its terminal in EVSM_LAB_TTY (operatorTtyPath()), and a
 * prompt that finds no controlling terminal opens that one instead.
 */
import { closeSync, fstatSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';

/** Typed-ahead input arrives in the first read after opening; nobody types an answer this fast. */
const FLUSH_MS = 40;

/**
 * After Ctrl-C a prompt waits this long for the run to stop the process (Playwright interrupts the
 * test; a plain program dies of SIGINT); only a process that ignores SIGINT sees the prompt reject.
 */
export const INTERRUPT_GRACE_MS = 30_000;

export interface TerminalQuestion {
  /** Printed before the cue (may span several lines). */
  text: string;
  /** The cue on the answer line, e.g. `PIN: ` or `Press Enter when done. `. */
  cue: string;
  /** Echo off: the answer never appears on the screen. */
  secret?: boolean;
  /** Rejects after this long without an answer (the bench's per-prompt timeout). */
  timeoutMs?: number;
}

export class TerminalCancelled extends Error {}
export class TerminalUnavailable extends Error {}

let queue: Promise<unknown> = Promise.resolve();

/** The variable through which a runner hands its terminal down to processes without one. */
export const TTY_ENV = 'EVSM_LAB_TTY';

/**
 * The path of this process's terminal (`/dev/pts/3`), from its stdin, or undefined when stdin is
 * no terminal. A runner puts it in TTY_ENV for the processes it starts in a new session.
 */
export function operatorTtyPath(stdin: { isTTY?: boolean } = process.stdin, fdPath = '/proc/self/fd/0'): string | undefined {
  if (!stdin.isTTY) return undefined;
  try {
    const path = readlinkSync(fdPath);
    return path.startsWith('/dev/') ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Opens the operator's terminal: `ttyPath`, or when that is /dev/tty and this process has no controlling terminal, the one the runner named. */
function openTerminal(ttyPath: string, env: NodeJS.ProcessEnv = process.env): { fd: number; path: string } {
  try {
    return { fd: openSync(ttyPath, 'r+'), path: ttyPath };
  } catch (e) {
    const handed = env[TTY_ENV];
    if (ttyPath !== '/dev/tty' || (e as NodeJS.ErrnoException).code !== 'ENXIO' || !handed) throw e;
    return { fd: openSync(handed, 'r+'), path: handed };
  }
}

/**
 * Writes one line for the operator on the terminal, in turn with the prompts (it waits for the
 * prompt before it, and the next one waits for it). Resolves false when there is no terminal, so
 * the caller can write the line elsewhere. Why not stdout/stderr: in a Playwright worker those
 * reach the screen through the runner, later than a prompt written here, so "PIN incorrect, 5
 * tries left" would land after the next PIN prompt, on its cue line.
 */
export function tellTerminal(line: string, ttyPath = '/dev/tty'): Promise<boolean> {
  const run = queue.then(() => {
    let fd: number;
    try {
      ({ fd } = openTerminal(ttyPath));
    } catch {
      return false;
    }
    try {
      writeSync(fd, `${line}\n`);
      return true;
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The foreground process group of the terminal whose device number is `ttyRdev`, read from
 * /proc: this process or the nearest ancestor that has that terminal as its controlling terminal
 * knows it (stat field tpgid). Under `evsm-lab run` that is the launcher's group (Playwright and
 * its workers run in a session of their own, without a terminal); under `npx playwright test` it is
 * Playwright's. Undefined when no ancestor has the terminal (or /proc cannot be read).
 */
export function foregroundGroup(ttyRdev: number, pid = process.pid, proc = '/proc'): number | undefined {
  for (let p = pid, hops = 0; p > 0 && hops < 64; hops++) {
    let stat: string;
    try {
      stat = readFileSync(`${proc}/${p}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // pid (comm) state ppid pgrp session tty_nr tpgid …; comm may hold spaces and parentheses
    const [, ppid, , , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    if (ttyNr === ttyRdev && tpgid > 0) return tpgid;
    p = ppid;
  }
  return undefined;
}

/**
 * Ctrl-C on behalf of the terminal (in raw mode it sends none itself): SIGINT to the terminal's
 * foreground process group, else, when that cannot be found, to this process's own group.
 */
export function interruptRun(ttyRdev: number, kill: (pid: number, signal: NodeJS.Signals) => void = (pid, signal) => process.kill(pid, signal)): void {
  const group = foregroundGroup(ttyRdev);
  kill(group ? -group : 0, 'SIGINT');
}

/** Asks one question on the terminal and resolves with the answer line (trimmed unless secret). */
export function askTerminal(q: TerminalQuestion, ttyPath = '/dev/tty'): Promise<string> {
  const run = queue.then(() => askNow(q, ttyPath));
  queue = run.catch(() => undefined);
  return run;
}

function askNow(q: TerminalQuestion, requestedPath: string): Promise<string> {
  let fd: number;
  let ttyPath = requestedPath;
  try {
    ({ fd, path: ttyPath } = openTerminal(requestedPath));
  } catch (e) {
    return Promise.reject(
      new TerminalUnavailable(`no operator terminal (${ttyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run from a terminal, or set the PIN variables the lab file names`),
    );
  }
  let rdev = 0;
  try {
    rdev = fstatSync(fd).rdev;
  } catch {
    // not knowing the device only means Ctrl-C signals this process's own group
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  return new Promise<string>((resolve, reject) => {
    const openedAt = Date.now();
    let answer = '';
    let done = false;
    /** Gives the terminal back; settles the prompt unless `settle` is false (Ctrl-C: the run stops it). */
    const finish = (err: Error | undefined, value?: string, settle = true): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      input.off('data', onData);
      try {
        input.setRawMode(false);
      } catch {
        // the terminal went away; nothing to restore
      }
      output.write('\n');
      input.destroy();
      // the ReadStream and WriteStream share fd; close it once, after both let go
      setImmediate(() => {
        try {
          closeSync(fd);
        } catch {
          // already closed by the stream
        }
      });
      answer = '';
      if (!settle) return;
      if (err) reject(err);
      else resolve(value as string);
    };
    const onData = (chunk: Buffer): void => {
      if (Date.now() - openedAt < FLUSH_MS) return; // typed ahead: discard
      for (const byte of chunk) {
        if (byte === 0x03) {
          output.write('\nCtrl-C: stopping the run (runner, workers and the emulators it started).');
          // Neither an answer nor an error: a rejection here would fail the test before the run
          // stops it, and the run would report a failure where the person interrupted.
          finish(undefined, undefined, false);
          interruptRun(rdev);
          setTimeout(() => reject(new TerminalCancelled('cancelled at the prompt (Ctrl-C), and the run did not stop')), INTERRUPT_GRACE_MS).unref();
          return;
        }
        if (byte === 0x04 && answer === '') return finish(new TerminalCancelled('end of input at the prompt (Ctrl-D)'));
        if (byte === 0x0d || byte === 0x0a) return finish(undefined, q.secret ? answer : answer.trim());
        if (byte === 0x7f || byte === 0x08) {
          if (answer.length) {
            answer = answer.slice(0, -1);
            if (!q.secret) output.write('\b \b');
          }
          continue;
        }
        if (byte < 0x20) continue; // other control keys (arrows arrive as ESC sequences) are ignored
        const ch = String.fromCharCode(byte);
        answer += ch;
        if (!q.secret) output.write(ch);
      }
    };
    const timer = q.timeoutMs
      ? setTimeout(() => finish(new Error(`no answer at the operator's terminal within ${Math.round(q.timeoutMs! / 1000)} s`)), q.timeoutMs)
      : undefined;
    try {
      input.setRawMode(true);
    } catch (e) {
      finish(new TerminalUnavailable(`${ttyPath} is not a terminal (${(e as Error).message})`));
      return;
    }
    input.on('data', onData);
    input.once('error', (e) => finish(new TerminalUnavailable(`cannot read the operator's terminal ${ttyPath}: ${e.message}`)));
    output.write(`\n${q.text}${q.text.endsWith('\n') ? '' : '\n'}${q.cue}`);
  });
}
