/**
 * The runner's side of a station run: Playwright's global setup (playwright.config.ts
 * `globalSetup`). It does the containers' setup (drivers/evsm/container/playwright-global.ts) and,
 * when the run's lab file (EVSM_LAB_FILE, docs/lab-file.md) says `operator.mode: "station"`,
 * starts the operator station in the runner process on 127.0.0.1:`operator.port` (0: any free
 * port), prints `station: operator station at http://127.0.0.1:PORT/` and sets EVSM_STATION_URL
 * for the workers. A station that already runs (EVSM_STATION_URL set by whoever started the run,
 * e.g. the station rehearsal test) is used as it is. The teardown closes the station after the
 * workers have exited.
 */
import type { FullConfig } from '@playwright/test';
import containerSetup from '../../drivers/evsm/container/playwright-global.ts';
import { loadLabFile, type LabFile } from '../lab/lab-file.ts';
import { defaultLabFile } from '../lab/which-lab.ts';
import { labFileTargets } from '../targets/open.ts';
import { STATION_URL_ENV } from './client.ts';
import { startStationForRun } from './index.ts';

/** The projects named with --project on the runner's command line (empty: all of them). */
export function projectsNamed(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--project' && argv[i + 1] !== undefined) out.push(argv[++i]);
    else if (a.startsWith('--project=')) out.push(a.slice('--project='.length));
  }
  return out;
}

/**
 * The lab whose run needs a station started here: a loadable lab file in station mode, a run
 * that may include tests of a target that reads it, no station already given. A lab file that does not load is
 * the hardware-lab check's to report (harness/lab/lab-check.setup.ts), not this one's.
 */
export function stationLabFor(env: NodeJS.ProcessEnv, argv: readonly string[]): LabFile | undefined {
  if (env[STATION_URL_ENV]) return undefined;
  const named = projectsNamed(argv);
  // A run that may include a target reading the lab file (hardware, rehearsal: harness/targets/).
  if (named.length && !named.some((p) => labFileTargets().includes(p))) return undefined;
  const file = defaultLabFile(env);
  if (!file) return undefined;
  try {
    const lab = loadLabFile(file);
    return lab.operator.mode === 'station' ? lab : undefined;
  } catch {
    return undefined;
  }
}

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const endContainers = await containerSetup();
  const lab = stationLabFor(process.env, process.argv);
  const station = lab ? await startStationForRun({ port: lab.operator.port, title: lab.lab }) : undefined;
  void config;
  return async () => {
    await station?.teardown();
    await endContainers();
  };
}
