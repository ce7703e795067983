/**
 * Which host commands verified what, per test: one `facts` entry (`host verification`) the
 * report shows, filled in as the device view uses a command for a check. On the `hardware`
 * target it states that only SJJ1310 commands were used; on emulator targets it names the
 * emulator extensions (X4, X8) where they were used.
 */
import type { Evidence } from '../evidence/evidence.ts';
import type { VerificationMode } from './types.ts';

/** The sentence the evidence carries on `hardware` (rehearsal included). */
export const SJJ1310_ONLY = 'verified only with SJJ1310 commands (KG, NC, S0/S3/A8)';
export const EMULATOR_MODE = 'emulator target: key listing by the X4 extension, DMK check value by the X8 extension (with NC\'s LMK check value); key info (KG) and key use (S0/S3/A8) with SJJ1310 commands';

export interface VerificationFacts {
  statement: string;
  /** check → the commands that did it, e.g. `key listing` → `KG per index 1-2048`. */
  checks: Record<string, string>;
}

const FACT = 'host verification';

function factsOf(evidence: Evidence, mode: VerificationMode): VerificationFacts {
  let f = evidence.facts[FACT] as VerificationFacts | undefined;
  if (!f) {
    f = { statement: mode === 'sjj1310' ? SJJ1310_ONLY : EMULATOR_MODE, checks: {} };
    evidence.fact(FACT, f);
  } else if (mode === 'sjj1310' && f.statement !== SJJ1310_ONLY) {
    // Devices of one test share a target; a mixed test would make no honest single statement.
    f.statement = `mixed targets: ${f.statement}; ${SJJ1310_ONLY}`;
  }
  return f;
}

/** Records that `check` was done with `how` (idempotent: the first wording stays, new commands are added). */
export function noteCheck(evidence: Evidence, mode: VerificationMode, check: string, how: string): void {
  const f = factsOf(evidence, mode);
  const had = f.checks[check];
  if (had === undefined) f.checks[check] = how;
  else if (!had.split('; ').includes(how)) f.checks[check] = `${had}; ${how}`;
}

/** Records the statement itself at connect time, so a test that checks nothing still says how it would. */
export function noteMode(evidence: Evidence, mode: VerificationMode): void {
  factsOf(evidence, mode);
}
