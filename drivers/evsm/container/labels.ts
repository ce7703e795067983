/**
 * Labels on every container and volume of the project, so that a clean-up (or a check that
 * nothing is left) can find them with `docker ps -a --filter label=…` even after a crash.
 */
import { randomBytes } from 'node:crypto';

/** Present (value "1") on every container, volume and image of the project. */
export const PROJECT_LABEL = 'evsm-lab';
/** The run that started it: EVSM_LAB_RUN_ID, shared by a run's worker processes when set. */
export const RUN_LABEL = 'evsm-lab.run';
/** One value per container, to find it again when start() fails half-way. */
export const INSTANCE_LABEL = 'evsm-lab.instance';
/** The device name given to withName(). */
export const DEVICE_LABEL = 'evsm-lab.device';
/** "1" on volumes the builder created itself (removed with their container). */
export const OWNED_VOLUME_LABEL = 'evsm-lab.owned';

/**
 * This process's run id. Set EVSM_LAB_RUN_ID (e.g. in Playwright's globalSetup) to give all
 * workers of a run one id; otherwise each process makes its own and exports it to children.
 */
export function currentRunId(): string {
  if (!process.env.EVSM_LAB_RUN_ID) startRun();
  return process.env.EVSM_LAB_RUN_ID as string;
}

/**
 * A new run id for this process and its children, whatever it inherited: a Playwright runner is
 * the root of its own run, also when a test of another run started it (a nested run that took
 * its parent's id would remove the parent's containers as its own leftovers at teardown).
 */
export function startRun(): string {
  process.env.EVSM_LAB_RUN_ID = `${Date.now().toString(36)}-${process.pid}-${randomBytes(2).toString('hex')}`;
  return process.env.EVSM_LAB_RUN_ID;
}

export function randomSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; device names are free text. */
export function dockerSafe(text: string): string {
  return text.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 40) || 'evsm';
}
