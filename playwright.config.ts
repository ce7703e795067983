import { availableParallelism } from 'node:os';
import { defineConfig } from '@playwright/test';
import { hardwareWorkers } from './harness/lab/bench-workers.ts';
import { defaultLabFile } from './harness/lab/which-lab.ts';

/**
 * One runner for everything. Projects:
 *  - unit:       module tests in test/ (crypto, emulator, tokens, client, harness pieces)
 *  - embedded:   the scenario catalog on emulator processes and virtual UKEYs (default target)
 *  - containers: the catalog on emulator containers and SoftHSM2 tokens
 *  - hardware:   the catalog on real devices named in a lab file (or the rehearsal lab file)
 *  - vendor-sdk: the vendor's Java SDK against emulators (conformance/), when EVSM_VENDOR_SDK_DIR is set
 * A target whose system part is missing skips its tests with a one-line reason.
 */
const outputRoot = process.env.EVSM_LAB_OUTPUT ?? 'lab-output';

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
    { name: 'unit', testDir: 'test', testMatch: /.*\.test\.ts$/ },
    { name: 'embedded', testDir: 'scenarios', testMatch: /.*\.spec\.ts$/, metadata: { target: 'embedded' } },
    { name: 'containers', testDir: 'scenarios', testMatch: /.*\.spec\.ts$/, metadata: { target: 'containers' } },
    // Checks the lab file once before any hardware test: a broken one fails the run (harness/lab/lab-check.setup.ts).
    { name: 'hardware-lab', testDir: 'harness/lab', testMatch: /lab-check\.setup\.ts$/ },
    // A real bench (one set of devices, one person) runs one test at a time; a rehearsal may run in parallel.
    { name: 'hardware', testDir: 'scenarios', testMatch: /.*\.spec\.ts$/, metadata: { target: 'hardware' }, dependencies: ['hardware-lab'], workers: hardwareWorkers(defaultLabFile()) },
    // The vendor's Java SDK against the emulator (docs/conformance.md); skips without EVSM_VENDOR_SDK_DIR.
    { name: 'vendor-sdk', testDir: 'conformance/specs', testMatch: /.*\.spec\.ts$/ },
    { name: 'ha-vendor-sdk', testDir: 'scenarios', testMatch: /ha\.spec\.ts$/, metadata: { target: process.env.EVSM_HA_SDK_TARGET ?? 'embedded', applicationClient: 'vendor-sdk' } },
  ],
});
