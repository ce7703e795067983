/**
 * The operator at the bench: instructions go to the terminal, PINs come back with echo off.
 * In CI a recording operator stands in, so the step log reads the same on every target.
 */
import { askTerminal, tellTerminal } from './terminal.ts';
import type { TokenIdentity } from './token.ts';
import type { PinProvider } from './pins.ts';

/**
 * What the token layer needs of a person: to be told a line and asked a secret. Not the harness's
 * `Operator` (harness/operator/operator.ts), which confirms bench steps and asks what VsmManager showed.
 */
export interface TokenOperator {
  /** One line for the operator (an instruction, or why a token was refused). */
  say(line: string): void;
  /** Asks for a secret; the answer is never echoed or logged. */
  askSecret(question: string): Promise<string>;
}

/**
 * The person at the terminal: lines and prompts go to /dev/tty, in order (terminal.ts), secrets
 * asked with echo off, because a Playwright worker's stdin is /dev/null and its stderr reaches the
 * screen later than the terminal does. With no terminal, lines go to `output` (stderr).
 */
export function terminalOperator(output: NodeJS.WritableStream = process.stderr, ttyPath = '/dev/tty'): TokenOperator {
  return {
    say: (line) =>
      void tellTerminal(line, ttyPath).then((shown) => {
        if (!shown) output.write(`${line}\n`);
      }),
    askSecret: (question) => askTerminal({ text: question, cue: '(typing is not shown) > ', secret: true }, ttyPath),
  };
}

/** Records what the operator would have been told (CI); asking for a secret is an error there. */
export function recordingOperator(lines: string[] = []): TokenOperator & { lines: string[] } {
  return {
    lines,
    say: (line) => void lines.push(line),
    askSecret: async (question) => {
      throw new Error(`no operator to answer "${question}" (set the PIN environment variables, docs/ukey.md)`);
    },
  };
}

/** PINs typed by the operator, asked with the token named so the right PIN is typed. */
export function operatorPins(operator: TokenOperator, maxAttempts = 3): PinProvider {
  return async (token: TokenIdentity, kind, attempt) => {
    if (attempt > maxAttempts) return undefined;
    const who = kind === 'user' ? 'PIN' : 'SO PIN';
    return operator.askSecret(`Enter the ${who} of UKEY "${token.label}" (serial ${token.serial}):`);
  };
}
