/** Which lab file a run uses (no parsing here: playwright.config.ts imports this). */
import { fileURLToPath } from 'node:url';

/** The bench-rehearsal lab file (docs/lab-file.md): the `rehearsal` target's when the run names none. */
export const REHEARSAL_LAB = fileURLToPath(new URL('../../lab/rehearsal.json', import.meta.url));

/**
 * The run's lab file: EVSM_LAB_FILE (`evsm-lab run --lab` sets it), else none. Each target that
 * reads lab files decides what it does with it: `hardware` needs one of a real bench, `rehearsal`
 * takes one with a `rehearsal` section and otherwise uses lab/rehearsal.json.
 */
export function defaultLabFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.EVSM_LAB_FILE || undefined;
}
