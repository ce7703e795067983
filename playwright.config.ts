import { availableParallelism } from 'node:os';
import { defineConfig, type Project } from '@playwright/test';
import { TARGET_LIST } from './harness/targets/open.ts';

/**
 * One runner for everything. Projects:
 *  - station-rehearsal: the catalog on the operator path, answered through the pages in Chromium
 *  - unit:       module tests in test/ (crypto, emulator, tokens, client, harness pieces)
 *  - one per target, the scenario catalog on it: each file harness/targets/NAME.target.ts is a
 *    target and its project NAME (embedded, the default; containers; hardware, a real bench named
 *    in a lab file; rehearsal, a bench played by emulators), with the options the target gives
 *  - hardware-lab: the lab file check the lab-file targets depend on
 *  - vendor-sdk: the vendor's Java SDK against emulators (conformance/), when EVSM_VENDOR_SDK_DIR is set
 * A target whose system part is missing skips its tests with a one-line reason.
 */
const outputRoot = process.env.EVSM_LAB_OUTPUT ?? 'lab-output';

/** A target's project: the catalog, `metadata.target` naming the target, and the target's own options. */
function targetProject(t: (typeof TARGET_LIST)[number]): Project {
  const { metadata, ...own } = t.project?.() ?? {};
  return { name: t.name, testDir: 'scenarios', testMatch: /.*\.spec\.ts$/, ...own, metadata: { ...metadata, target: t.name } };
}

export default defineConfig({
  timeout: 120_000,
  // One run id for every worker's containers; removes and names any container a run left behind.
  // A lab file in operator.mode "station" also gets its operator station here (docs/station.md).
  globalSetup: './harness/station/run-setup.ts',
  fullyParallel: false,
  // Playwright's default is half the cores: 1 worker on a 2-core machine, where the catalog then
  // runs one test at a time although a test mostly waits on emulator processes. At least 2 (every
  // target gives each worker its own devices: port 0 on embedded, a port stride in the rehearsal);
  // `--workers N` still overrides.
  workers: Math.max(2, Math.floor(availableParallelism() / 2)),
  forbidOnly: !!process.env.CI,
  outputDir: `${outputRoot}/test-results`,
  reporter: [
    // A bench run with prompts on the terminal gets whole lines only (evsm-lab run sets it; docs/cli.md).
    [process.env.EVSM_LAB_REPORTER === 'lines' ? './harness/reporters/lines.ts' : 'list'],
    ['json', { outputFile: `${outputRoot}/results.json` }],
    // detail: false keeps Allure's step list to the procedure step ids and their attachments.
    ['allure-playwright', { resultsDir: `${outputRoot}/allure-results`, detail: false }],
    // Progress on the operator station page; does nothing when no station runs (EVSM_STATION_URL unset).
    ['./harness/station/reporter.ts'],
  ],
  projects: [
    // The operator path through the station and console pages in Chromium, in parts of the
    // catalog that run side by side (test/station-rehearsal.test.ts). Its own project, listed
    // first, so its parts are the first tests handed to the workers: they are the longest of the
    // suite, and started after most of the unit files (as one unit file, 's') they ended the run.
    { name: 'station-rehearsal', testDir: 'test', testMatch: /station-rehearsal\.test\.ts$/ },
    { name: 'unit', testDir: 'test', testMatch: /.*\.test\.ts$/, testIgnore: /station-rehearsal\.test\.ts$/ },
    ...TARGET_LIST.map(targetProject),
    // Checks the run's lab file once before any test of a target that reads it: a broken one fails the run (harness/lab/lab-check.setup.ts).
    { name: 'hardware-lab', testDir: 'harness/lab', testMatch: /lab-check\.setup\.ts$/ },
    // The vendor's Java SDK against the emulator (docs/conformance.md); skips without EVSM_VENDOR_SDK_DIR.
    { name: 'vendor-sdk', testDir: 'conformance/specs', testMatch: /.*\.spec\.ts$/ },
    { name: 'ha-vendor-sdk', testDir: 'scenarios', testMatch: /ha\.spec\.ts$/, metadata: { target: process.env.EVSM_HA_SDK_TARGET ?? 'embedded', applicationClient: 'vendor-sdk' } },
  ],
});
