/**
 * Playwright globalSetup for runs that start EVSM containers (wire it in playwright.config.ts:
 * `globalSetup: './drivers/evsm/container/playwright-global.ts'`).
 *
 * Setup gives every worker of the run one run id (EVSM_LAB_RUN_ID, inherited by the workers),
 * so every container of the run carries the same `evsm-lab.run` label. The returned teardown
 * runs after all workers have exited: it removes whatever of this run is still there (a
 * fixture that did not clean up, a worker that crashed), so `docker ps -a` shows nothing of the
 * project afterwards, and then fails the run naming what it found, because a leftover is a bug.
 * Without Docker (unit or embedded runs on a machine without it) both do nothing.
 */
import { runDocker } from '../../../docker/docker-cli.ts';
import { listProjectContainers, removeProjectContainers } from './cleanup.ts';
import { currentRunId } from './labels.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const runId = currentRunId(); // sets EVSM_LAB_RUN_ID when it was unset
  return () => endRun(runId);
}

/** Removes what run `runId` left behind (containers, owned volumes); throws naming it, if anything. */
export async function endRun(runId: string): Promise<void> {
  if ((await runDocker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 })).code !== 0) return;
  const left = await listProjectContainers({ runId });
  await removeProjectContainers({ runId });
  if (left.length) {
    const names = left.map((c) => `${c.name} (${c.device || '?'}, ${c.status})`).join('; ');
    throw new Error(`evsm-lab: ${left.length} container(s) of run ${runId} were left behind and have been removed: ${names}`);
  }
}
