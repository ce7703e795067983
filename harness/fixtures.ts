/**
 * The Playwright fixtures every scenario uses: `import { test, expect } from './fixtures.ts'`.
 *
 *  - `bench` (worker): the project's target — embedded, containers or hardware (lab file) — as a
 *    strategy (harness/targets/bench.ts): its devices, tokens, procedure drivers and control. The
 *    fixtures only ask it; they never branch on the target's name. A target whose system part is
 *    missing makes every test skip with one line saying why.
 *  - `evsmA`, `evsmB`, `evsmC` (test): a device in factory state, connected; released after the test.
 *  - `evidence` (test, automatic): what the test proved, attached as JSON when it ends.
 */
import { test as base } from '@playwright/test';
import { Evidence } from './evidence/evidence.ts';
import { connectDevice, type ConnectedDevice } from './devices/connect.ts';
import { openBench, targetOf } from './targets/open.ts';
import type { Bench } from './targets/bench.ts';
import type { DeviceName } from './devices/types.ts';
import type { LoginTokenSource, TokenStore } from './tokens/pool-source.ts';
import { Procedures } from './procedures/perform.ts';
import { StepRunner } from './procedures/runner.ts';
import { defaultLabFile } from './lab/lab-file.ts';

export { expect } from './matchers.ts';
/** Errors scenarios assert on, re-exported so scenarios import the harness only. */
export { EvsmCommandError } from '../drivers/evsm/index.ts';
export { ManagementError } from '../drivers/evsm/manager/index.ts';
export { TokenError } from '../drivers/ukey/index.ts';
/** A device's management connection, or a one-line skip naming what needs it (operator-path benches). */
export { needsManagement } from './procedures/management-driver.ts';

/** The bench-rehearsal lab file (docs/lab-file.md). */
export { REHEARSAL_LAB } from './lab/lab-file.ts';

export interface WorkerFixtures {
  /** Lab file for the hardware target (option; default: env EVSM_LAB_FILE, set by `evsm-lab run --lab`). */
  labFile: string | undefined;
  bench: Bench;
  /** Where blank UKEYs come from for this worker (virtual, or a SoftHSM2 pool); undefined with its reason. */
  tokenStore: TokenStore | { unavailable: string };
}

export interface TestFixtures {
  evidence: Evidence;
  /** Skips the test with the bench's one-line reason when its target cannot run here. */
  benchReady: void;
  evsmA: ConnectedDevice;
  evsmB: ConnectedDevice;
  evsmC: ConnectedDevice;
  /** The token source: the pool answers token prompts (CI, rehearsal), a person at a bench. */
  tokens: LoginTokenSource;
  /** The seed procedures, each step a test.step named by its id. */
  procedures: Procedures;
}

function deviceFixture(name: DeviceName) {
  return async ({ bench, evidence, benchReady: _ }: { bench: Bench; evidence: Evidence; benchReady: void }, use: (d: ConnectedDevice) => Promise<void>) => {
    const slot = await bench.device(name);
    const device = await connectDevice(slot, bench, evidence);
    try {
      await use(device);
    } finally {
      await device.close();
    }
  };
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  // The run's lab file (--lab / EVSM_LAB_FILE), or none; each target decides what it does with it
  // (harness/lab/which-lab.ts): the real-bench target needs one, the rehearsal target falls back
  // to lab/rehearsal.json, so a bench run never lands on emulators by accident.
  labFile: [defaultLabFile(), { option: true, scope: 'worker' }],

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

  tokenStore: [
    async ({ bench }, use) => {
      let store: TokenStore | { unavailable: string };
      try {
        store = bench.unavailable ? { unavailable: bench.unavailable } : await bench.tokenStore();
      } catch (e) {
        store = { unavailable: `${bench.target}: UKEY tokens unavailable: ${(e as Error).message.split('\n')[0]}` };
      }
      await use(store);
      if ('close' in store) await store.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],

  tokens: async ({ tokenStore }, use, testInfo) => {
    if ('unavailable' in tokenStore) testInfo.skip(true, tokenStore.unavailable);
    const store = tokenStore as TokenStore;
    const source = await store.source();
    try {
      await use(source);
    } finally {
      // Blank again for the next test (a locked token is unblocked with the pool's SO PIN),
      // then the source closes what it still holds (close is idempotent).
      await store.reset();
      await source.close();
    }
  },

  procedures: async ({ tokens, evidence, bench }, use, testInfo) => {
    const log = (line: string) => console.log(line);
    const runner = new StepRunner({ evidence, promptMode: bench.operatorMode, log });
    // The bench picks each device's procedure driver (management protocol, or the operator in VsmManager).
    await use(new Procedures({ evidence, tokens, runner, outputPath: (name) => testInfo.outputPath(name) }, (device, deps) => bench.procedureDriver(device, deps)));
  },

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
