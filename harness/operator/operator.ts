/**
 * Confirmations from the person at the bench ("switch device B off", "click OK in VsmManager").
 * Token prompts ("insert KBK UKEY 2 of 3") go through the UKEY layer's TokenSource instead.
 *
 *  - `automatic` (embedded, containers): the harness performs the step itself; no operator.
 *  - `pool` (bench rehearsal): the prompt is printed and answered at once, so the hardware code
 *    path runs in CI without a person.
 *  - `console` (a real bench): the instruction is written to the terminal (/dev/tty, because
 *    Playwright workers have no stdin) and the harness waits for Enter, up to a timeout.
 */
import { askTerminal } from '../../drivers/ukey/index.ts';
import type { PromptMode } from '../procedures/runner.ts';
import type { Text } from '../procedures/types.ts';

export type { PromptMode };

export interface Operator {
  readonly mode: PromptMode;
  /** Shows the instruction and resolves when it is done. Returns how it was answered. */
  confirm(what: Text, device: string): Promise<'performed' | 'answered' | 'prompted'>;
  /** Asks the operator what the bench showed (e.g. a VsmManager error); '' when nothing to report. */
  ask(question: Text, device: string): Promise<string>;
}

/** Rehearsal: answered at once; the log shows the prompt a person would have seen. */
export function poolOperator(log: (line: string) => void = () => {}): Operator {
  return {
    mode: 'pool',
    async confirm(what, device) {
      log(`[operator prompt answered by rehearsal] ${device}: ${what.en}`);
      return 'answered';
    },
    async ask(question, device) {
      log(`[operator question answered by rehearsal: nothing to report] ${device}: ${question.en}`);
      return '';
    },
  };
}

export function consoleOperator(timeoutSeconds: number, tty = '/dev/tty'): Operator {
  return {
    mode: 'console',
    async confirm(what, device) {
      await question(what, device, 'Press Enter when done. ', timeoutSeconds, tty);
      return 'prompted';
    },
    ask(what, device) {
      return question(what, device, '> ', timeoutSeconds, tty);
    },
  };
}

/** One line from the operator's terminal, after showing `what` in both languages (terminal.ts rules). */
async function question(what: Text, device: string, cue: string, timeoutSeconds: number, tty: string): Promise<string> {
  try {
    return await askTerminal({ text: `[device ${device}] ${what.zh}\n[device ${device}] ${what.en}`, cue, timeoutMs: timeoutSeconds * 1000 }, tty);
  } catch (e) {
    throw new Error(`hardware: ${(e as Error).message} (step "${what.en}" on device ${device})`);
  }
}
