/**
 * Runs procedure steps: each as a Playwright `test.step` titled with the step id, so the step
 * log reads the same on every target. `walk` goes through a procedure's steps in the order its
 * data gives (harness/procedures/<procedure>.ts) and calls the driver's handler for each: the
 * sequence is written once, in the data; a driver only says what each step does on its side
 * (driver.ts). How token steps are answered is the bench's prompt mode:
 *  - `automatic`: the harness performs them (embedded, containers);
 *  - `pool`: the rehearsal's token pool answers, and the prompt a person would see is logged;
 *  - `console`: a person inserts the UKEY and enters the PIN.
 */
import { test } from '@playwright/test';
import type { Evidence, StepRecord } from '../evidence/evidence.ts';
import type { OperatorMode } from '../lab/lab-file.ts';
import type { Procedure, ProcedureStep } from './types.ts';
import { shortName, stepOf } from './types.ts';

/**
 * How a bench answers prompts: `automatic` (emulator targets: nothing to ask), or the lab file's
 * `operator.mode` (harness/lab/lab-file.ts `OperatorMode`: `pool`, `console`, and later modes).
 */
export type PromptMode = 'automatic' | OperatorMode;

export interface StepContext {
  evidence: Evidence;
  /** How token prompts are answered on this bench. */
  promptMode: PromptMode;
  /** Prints a line to the run log (the rehearsal shows the prompts a person would have seen). */
  log?: (line: string) => void;
}

export class StepRunner {
  constructor(private readonly ctx: StepContext) {}

  /** Runs `perform` as the step `proc.short` on `device`, recording it as evidence. */
  async step<S extends string, T>(proc: Procedure<S>, short: S, device: string, perform: () => Promise<T>): Promise<T> {
    const step = stepOf(proc, short);
    return test.step(step.id, async () => {
      const started = Date.now();
      // Only the rehearsal logs the prompt a person would have seen. At a real bench the token layer
      // asks for what it needs itself (which UKEY, the PIN), and the step's VsmManager wording
      // ("click Import component UKEY") would tell the person to do what the harness already does.
      if (this.ctx.promptMode === 'pool' && step.kind === 'token') this.ctx.log?.(`[${step.id}] ${device}: ${step.text.en}`);
      const result = await perform();
      this.record(step, device, started);
      return result;
    });
  }

  private record(step: ProcedureStep, device: string, started: number): void {
    const mode = this.ctx.promptMode;
    const how: StepRecord['how'] = step.kind !== 'token' || mode === 'automatic' ? 'performed' : mode === 'pool' ? 'answered' : 'prompted';
    this.ctx.evidence.steps.push({ id: step.id, kind: step.kind, device, how, ms: Date.now() - started });
  }
}

/** Runs steps without test steps or records: a scripted operator's own clicks inside one harness step. */
export const DIRECT_RUNNER: Pick<StepRunner, 'step'> = { step: (_proc, _short, _device, perform) => perform() };

/** What a driver does on each step of a procedure; `i` counts the repetitions of a repeating step. */
export type StepHandlers<S extends string> = { readonly [K in S]: (i: number) => Promise<void> };

/** How one run goes through the data: how often each repeating step is done, which alternatives are left out. */
export interface WalkPlan<S extends string> {
  /** Repetitions of a repeating step (default 1; 0 leaves it out). */
  times?: Partial<Record<S, number>>;
  /** Optional steps (alternatives) not taken. */
  omit?: readonly S[];
}

/** Does `proc`'s steps in their data order on `device`, each through `runner.step` and its handler. */
export async function walk<S extends string>(runner: Pick<StepRunner, 'step'>, proc: Procedure<S>, device: string, handlers: StepHandlers<S>, plan: WalkPlan<S> = {}): Promise<void> {
  for (const s of proc.steps) {
    const short = shortName(proc, s);
    if (plan.omit?.includes(short)) {
      if (!s.optional) throw new Error(`procedure ${proc.id}: step ${s.id} is not optional and cannot be left out`);
      continue;
    }
    const times = plan.times?.[short] ?? 1;
    if (times !== 1 && !s.repeats) throw new Error(`procedure ${proc.id}: step ${s.id} does not repeat (asked for ${times} times)`);
    for (let i = 0; i < times; i++) await runner.step(proc, short, device, () => handlers[short](i));
  }
}
