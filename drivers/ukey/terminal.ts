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
 *  - Ctrl-C at a prompt ends the whole run: SIGINT goes to this process group (runner, workers,
 *    emulators it started), exactly as the terminal would have sent it with echo on.
 *
 * A process with no controlling terminal cannot open /dev/tty (ENXIO). `evsm-lab run` starts
 * Playwright in a session of its own (so one Ctrl-C reaches it once), which leaves the workers
 * without one; the runner therefore names its terminal in EVSM_LAB_TTY (operatorTtyPath()), and a
 * prompt that finds no controlling terminal opens that one instead.
 */
import { closeSync, openSync, readlinkSync, writeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';

/** Typed-ahead input arrives in the first read after opening; nobody types an answer this fast. */
const FLUSH_MS = 40;

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
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  return new Promise<string>((resolve, reject) => {
    const openedAt = Date.now();
    let answer = '';
    let done = false;
    const finish = (err: Error | undefined, value?: string): void => {
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
      if (err) reject(err);
      else resolve(value as string);
    };
    const onData = (chunk: Buffer): void => {
      if (Date.now() - openedAt < FLUSH_MS) return; // typed ahead: discard
      for (const byte of chunk) {
        if (byte === 0x03) {
          output.write('\nCtrl-C: stopping the run (runner, workers and the emulators it started).');
          finish(new TerminalCancelled('cancelled at the prompt (Ctrl-C): the run stops'));
          // what the terminal itself would do with echo on: SIGINT to the foreground group
          process.kill(0, 'SIGINT');
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
