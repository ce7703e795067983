/**
 * Runs procedure steps: each as a Playwright `test.step` titled with the step id, so the step
 * log reads the same on every target. The target decides how a step is done:
 *  - steps the harness can do (management protocol, host protocol) it performs;
 *  - token steps go through the token source: the pool answers in CI and in the rehearsal,
 *    a person inserts the UKEY at the bench (`how` says which);
 *  - on a bench device without management access, device and operator steps are prompted to
 *    the VsmManager operator (operator-path.ts) and verified over the host protocol; what that
 *    cannot verify skips with a one-line reason instead of pretending.
 */
import { test } from '@playwright/test';
import type { Evidence, StepRecord } from '../evidence/evidence.ts';
import type { Procedure, ProcedureStep } from './types.ts';
import { stepOf } from './types.ts';

export interface StepContext {
  evidence: Evidence;
  /** How token prompts are answered on this target. */
  operatorMode: 'automatic' | 'pool' | 'console';
  /** Prints a line to the run log (the rehearsal shows the prompts a person would have seen). */
  log?: (line: string) => void;
}

export class StepRunner {
  constructor(private readonly ctx: StepContext) {}

  /** Runs `perform` as the step `proc.short` on `device`, recording it as evidence. */
  async step<T>(proc: Procedure, short: string, device: string, perform: () => Promise<T>): Promise<T> {
    const step = stepOf(proc, short);
    return test.step(step.id, async () => {
      const started = Date.now();
      if (this.ctx.operatorMode !== 'automatic' && step.kind === 'token') this.ctx.log?.(`[${step.id}] ${device}: ${step.text.en}`);
      const result = await perform();
      this.record(step, device, started);
      return result;
    });
  }

  private record(step: ProcedureStep, device: string, started: number): void {
    const how: StepRecord['how'] = step.kind === 'token' ? (this.ctx.operatorMode === 'console' ? 'prompted' : this.ctx.operatorMode === 'pool' ? 'answered' : 'performed') : 'performed';
    this.ctx.evidence.steps.push({ id: step.id, kind: step.kind, device, how, ms: Date.now() - started });
  }
}
