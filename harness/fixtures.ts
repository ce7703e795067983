/**
 * The Playwright fixtures every scenario uses: `import { test, expect } from '../harness/fixtures.ts'`.
 *
 *  - `bench` (worker): the project's target — embedded, containers or hardware (lab file).
 *    A target whose system part is missing makes every test skip with one line saying why.
 *  - `evsmA`, `evsmB`, `evsmC` (test): a device in factory state, connected; released after the test.
 *  - `evidence` (test, automatic): what the test proved, attached as JSON when it ends.
 */
import { test as base } from '@playwright/test';
import { Evidence } from './evidence/evidence.ts';
import { connectDevice, type ConnectedDevice } from './devices/connect.ts';
import { openBench, targetOf } from './targets/open.ts';
import type { Bench } from './targets/bench.ts';
import type { DeviceName } from './devices/types.ts';

export { expect } from './matchers.ts';

export interface WorkerFixtures {
  /** Lab file for the hardware target (option; default: env EVSM_LAB_FILE, set by `evsm-lab run --lab`). */
  labFile: string | undefined;
  bench: Bench;
}

export interface TestFixtures {
  evidence: Evidence;
  /** Skips the test with the bench's one-line reason when its target cannot run here. */
  benchReady: void;
  evsmA: ConnectedDevice;
  evsmB: ConnectedDevice;
  evsmC: ConnectedDevice;
}

function deviceFixture(name: DeviceName) {
  return async ({ bench, evidence, benchReady: _ }: { bench: Bench; evidence: Evidence; benchReady: void }, use: (d: ConnectedDevice) => Promise<void>) => {
    const slot = await bench.device(name);
    const device = await connectDevice(slot, bench.target, evidence);
    try {
      await use(device);
    } finally {
      await device.close();
    }
  };
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  labFile: [process.env.EVSM_LAB_FILE, { option: true, scope: 'worker' }],

  bench: [
    async ({ labFile }, use, workerInfo) => {
      const target = targetOf(workerInfo.project.metadata) ?? 'embedded';
      const bench = await openBench(target, { labFile, parallelIndex: workerInfo.parallelIndex });
      try {
        await use(bench);
      } finally {
        await bench.close();
      }
    },
    // Building a container image or creating a SoftHSM2 store can take a while on 2 cores.
    { scope: 'worker', timeout: 180_000 },
  ],

  benchReady: [
    async ({ bench }, use, testInfo) => {
      testInfo.skip(bench.unavailable !== undefined, bench.unavailable);
      testInfo.annotations.push({ type: 'target', description: `${bench.target}: ${bench.lab}` });
      await use();
      // Devices are per test: stop or reset them whether the test passed or not.
      await bench.releaseDevices();
    },
    { auto: true },
  ],

  evidence: [
    async ({}, use, testInfo) => {
      const evidence = new Evidence();
      await use(evidence);
      await evidence.attach(testInfo);
    },
    { auto: true },
  ],

  evsmA: deviceFixture('A'),
  evsmB: deviceFixture('B'),
  evsmC: deviceFixture('C'),
});
