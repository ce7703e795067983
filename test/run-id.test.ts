/**
 * Each Playwright runner is its own run for container clean-up (drivers/evsm/container/labels.ts):
 * a run started by a test of another run (the station rehearsal, run --resume tests) must not take
 * the parent's EVSM_LAB_RUN_ID, or its teardown removes the parent's running containers as its own
 * leftovers (seen in CI: the parent's HA-03 on containers lost its device mid-test).
 */
import { test, expect } from '@playwright/test';
import globalSetup from '../drivers/evsm/container/playwright-global.ts';

test('the global setup starts a new run id even when one was inherited', async () => {
  const saved = { id: process.env.EVSM_LAB_RUN_ID, runner: process.env.EVSM_EMULATOR_RUNNER };
  try {
    process.env.EVSM_LAB_RUN_ID = 'parent-run';
    process.env.EVSM_EMULATOR_RUNNER = 'tsx'; // no bundling in this test
    await globalSetup();
    expect(process.env.EVSM_LAB_RUN_ID).toBeTruthy();
    expect(process.env.EVSM_LAB_RUN_ID).not.toBe('parent-run');
  } finally {
    restore('EVSM_LAB_RUN_ID', saved.id);
    restore('EVSM_EMULATOR_RUNNER', saved.runner);
  }
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
