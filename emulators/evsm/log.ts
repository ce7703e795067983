/**
 * The device log (stderr). Lines name operations and outcomes, never key material.
 * One call is one line: whatever a message holds, control characters are escaped, so text a
 * client sent (an op name, a command code) can never start a forged line.
 */
export interface Logger {
  info(msg: string): void;
  debug(msg: string): void;
}

/** Longest piece of client-supplied text a log line quotes (the rest is counted, not shown). */
export const LOG_QUOTE_MAX = 64;

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/**
 * Client-supplied text (or bytes, read as latin1) for a log line: backslashes and control
 * characters escaped, at most `max` characters shown, then `…(+N)` for the rest.
 */
export function quoteForLog(v: string | Uint8Array, max = LOG_QUOTE_MAX): string {
  const s = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  const shown = s.length > max ? s.slice(0, max) : s;
  const rest = s.length - shown.length;
  return escapeControl(shown.replace(/\\/g, '\\\\')) + (rest > 0 ? `…(+${rest})` : '');
}

export function stderrLogger(name: string, debug: boolean): Logger {
  const line = (level: string, msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${name} ${level} ${escapeControl(msg)}\n`);
  };
  return { info: (m) => line('info', m), debug: (m) => (debug ? line('debug', m) : undefined) };
}

export const silentLogger: Logger = { info: () => undefined, debug: () => undefined };

/** A logger that keeps its lines in memory (tests). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(`info ${escapeControl(m)}`), debug: (m) => void lines.push(`debug ${escapeControl(m)}`) };
}
