/**
 * Conformance layer (b) (issue 10): the vendor's own Java SDK against our emulator. When
 * EVSM_VENDOR_SDK_DIR names the folder with the TASS SDK jars, the conformance program
 * (conformance/java) is compiled and run against
 *  - embedded emulators (`--init`, processes on 127.0.0.1), from the vendor's cacipher.ini file
 *    form (`[HOST 1]`, tabs around `=`) and from the string form;
 *  - an emulator container (the containers target's image) when Docker is there;
 *  - two hosts with one killed mid-stream: zero failed calls.
 * Without the jars every test skips with one line naming EVSM_VENDOR_SDK_DIR.
 */
import { test, expect, type TestInfo } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formFixtureZmk, iniConfig, startTestDevice, stringConfig, writeFixtureFile } from '../record/device.ts';
import { compileConformance, findSdk, runConformance, type RunOptions, type RunResult } from '../record/java.ts';

const sdk = findSdk();

test.describe.configure({ mode: 'serial' });
test.setTimeout(300_000);

test.beforeEach(() => {
  test.skip(!sdk.ok, sdk.ok ? '' : sdk.reason);
});

let classpath: string | undefined;
function conformanceClasspath(): string {
  if (!sdk.ok) throw new Error(sdk.reason);
  classpath ??= compileConformance(sdk.jars);
  return classpath;
}

/** Runs the program, attaches its results, and fails with every failed check's line. */
async function runAndExpect(info: TestInfo, name: string, opts: Omit<RunOptions, 'classpath'>): Promise<RunResult> {
  const r = await runConformance({ classpath: conformanceClasspath(), ...opts });
  await info.attach(`${name}.json`, { body: JSON.stringify({ summary: r.summary, checks: r.checks, otherOutput: r.otherOutput }, null, 1), contentType: 'application/json' });
  const failed = r.checks.filter((c) => !c.ok);
  const lines = failed.map((c) => `FAIL ${c.check}: ${c.detail}`).join('\n');
  expect(failed, `${failed.length} of ${r.checks.length} checks failed:\n${lines}\n${r.otherOutput.slice(-5).join('\n')}`).toEqual([]);
  expect(r.summary, `no summary line (exit ${r.exitCode}): ${r.otherOutput.slice(-10).join('\n')}`).toBeDefined();
  expect(r.exitCode).toBe(0);
  return r;
}

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'evsm-vendor-sdk-'));
}

for (const form of ['string', 'file'] as const) {
  test(`embedded --init emulator, ${form} form of cacipher: every SDK method in scope`, async ({}, info) => {
    const device = await startTestDevice({ name: `SDK-${form.toUpperCase()}`, deterministic: false });
    try {
      const work = workDir();
      const fixture = writeFixtureFile(work, await formFixtureZmk(device.port));
      let config = stringConfig([device.port]);
      if (form === 'file') {
        config = join(work, 'cacipher.ini');
        writeFileSync(config, iniConfig([device.port]));
      }
      const r = await runAndExpect(info, `embedded-${form}`, { config, fixtureFile: fixture, cwd: work, groups: ['basics', 'hash', 'keys', 'data', 'mac', 'pin', 'cvv', 'sm2', 'perf'], perfCalls: 300 });
      const perf = r.checks.find((c) => c.check === 'perf.sequential');
      if (perf) info.annotations.push({ type: 'throughput', description: perf.detail });
    } finally {
      await device.stop();
    }
  });
}

test('two hosts, one killed mid-stream: zero failed calls', async ({}, info) => {
  // Same DMK on both (the test components), so every cryptogram works on either host.
  const a = await startTestDevice({ name: 'SDK-HA-A' });
  const b = await startTestDevice({ name: 'SDK-HA-B' });
  try {
    const work = workDir();
    const fixture = writeFixtureFile(work, await formFixtureZmk(a.port));
    let killedAt: number | undefined;
    let killing: Promise<void> | undefined;
    const started = Date.now();
    const r = await runAndExpect(info, 'ha', {
      config: stringConfig([a.port, b.port], { timeout: 2 }),
      fixtureFile: fixture,
      cwd: work,
      groups: ['ha'],
      haSeconds: 8,
      haThreads: 4,
      onHa: (p) => {
        // Kill host A once the stream runs on both hosts (2 s in, some calls done).
        if (killing === undefined && p.calls > 20 && Date.now() - started > 2000) {
          killedAt = p.calls;
          killing = a.kill();
        }
      },
    });
    await killing;
    expect(killedAt, 'host A was never killed: the stream did not get going').toBeDefined();
    const ha = r.checks.find((c) => c.check === 'ha.stream');
    expect(ha?.skipped, ha?.detail).toBeFalsy();
    info.annotations.push({ type: 'ha', description: `host A killed after ${killedAt} calls; ${ha?.detail}` });
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('emulator container (containers target image), file and string form: every SDK method in scope', async ({}, info) => {
  const { checkContainersReadiness, EvsmEmulatorContainer, stopAllEvsmContainers } = await import('../../drivers/evsm/container/index.ts');
  const ready = await checkContainersReadiness();
  test.skip(!ready.ready, ready.ready ? '' : ready.reason);
  const c = await new EvsmEmulatorContainer().withName('SDK-CTR').withInit().withHeaderLength(0).start();
  try {
    const work = workDir();
    const fixture = writeFixtureFile(work, await formFixtureZmk(c.port));
    const file = join(work, 'cacipher.ini');
    writeFileSync(file, iniConfig([c.port]));
    await runAndExpect(info, 'container-file', { config: file, fixtureFile: fixture, cwd: work });
    await runAndExpect(info, 'container-string', { config: stringConfig([c.port]), fixtureFile: fixture, cwd: work });
  } finally {
    await c.stop();
    await stopAllEvsmContainers();
  }
});
