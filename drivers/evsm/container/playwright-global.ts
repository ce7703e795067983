/**
 * Playwright globalSetup for runs that start EVSM containers (wire it in playwright.config.ts:
 * `globalSetup: './drivers/evsm/container/playwright-global.ts'`).
 *
 * Setup gives every worker of the run one new run id (EVSM_LAB_RUN_ID, inherited by the workers),
 * so every container of the run carries the same `evsm-lab.run` label. The returned teardown
 * runs after all workers have exited: it removes whatever of this run is still there (a
 * fixture that did not clean up, a worker that crashed), so `docker ps -a` shows nothing of the
 * project afterwards, and then fails the run naming what it found, because a leftover is a bug.
 * Without Docker (unit or embedded runs on a machine without it) both do nothing.
 *
 * Setup also bundles the emulator once for the whole run (docker/bundle.ts, cached by content)
 * and names the file in EVSM_EMULATOR_BUNDLE, so every worker's emulator processes start from
 * it without bundling again (harness/targets/emulator-process.ts). If it cannot be built here,
 * each worker tries once itself and, failing that, says why and runs the emulator under tsx.
 */
import { existsSync } from 'node:fs';
import { EMULATOR_ENTRY } from '../../../docker/build-image.ts';
import { cachedBundle } from '../../../docker/bundle.ts';
import { runDocker } from '../../../docker/docker-cli.ts';
import { listProjectContainers, removeProjectContainers } from './cleanup.ts';
import { startRun } from './labels.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const runId = startRun(); // this runner's own id, never one inherited from a run that started it
  await bundleForWorkers();
  return () => endRun(runId);
}

/** Sets EVSM_EMULATOR_BUNDLE for the workers unless the user chose tsx or named a bundle. */
export async function bundleForWorkers(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.EVSM_EMULATOR_RUNNER === 'tsx' || env.EVSM_EMULATOR_BUNDLE || !existsSync(EMULATOR_ENTRY)) return;
  try {
    env.EVSM_EMULATOR_BUNDLE = (await cachedBundle(EMULATOR_ENTRY)).file;
  } catch {
    // each worker tries again and prints the reason once (emulatorLauncher)
  }
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
