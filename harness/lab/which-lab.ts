/** Which lab file a run uses (no parsing here: playwright.config.ts imports this). */
import { fileURLToPath } from 'node:url';

/** The bench-rehearsal lab file (docs/lab-file.md). */
export const REHEARSAL_LAB = fileURLToPath(new URL('../../lab/rehearsal.json', import.meta.url));

/** EVSM_LAB_FILE, else in CI (CI=true) the bench rehearsal, else none. */
export function defaultLabFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.EVSM_LAB_FILE || (env.CI ? REHEARSAL_LAB : undefined);
}
