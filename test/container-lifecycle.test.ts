/**
 * EVSM containers through the builder API (drivers/evsm/container): start on 127.0.0.1, SIGKILL
 * and restart on the same volume keep the state, a failed start and a finished test leave no
 * container behind. Runs the image pipeline's stand-in (docker/stand-in/program.ts: PUT/GET
 * over a line protocol), so it checks the container plumbing whatever the emulator's state.
 * Skipped, with the reason, when Docker is not available.
 */
import { test, expect } from '@playwright/test';
import { createConnection, createServer, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, STAND_IN_ENTRY } from '../docker/build-image.ts';
import {
  EvsmEmulatorContainer, assertNoProjectContainers, checkContainersReadiness, listProjectVolumes, removeProjectContainers, stopAllEvsmContainers,
} from '../drivers/evsm/container/index.ts';
import { endRun } from '../drivers/evsm/container/playwright-global.ts';

/** One run id for this file, so the checks see only this file's containers (others may run in parallel). */
const runId = `test-lifecycle-${process.pid}-${Date.now().toString(36)}`;
let image = '';

/** One request line to the stand-in, one answer line back; rejects when nothing listens. */
function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(`${line}\n`));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
      if (answer.includes('\n')) {
        socket.end();
        resolve(answer.trim());
      }
    });
    socket.on('error', reject);
  });
}

function standIn(name: string): EvsmEmulatorContainer {
  return new EvsmEmulatorContainer().withImage(image).withName(name).withRunId(runId);
}

test.beforeAll(async () => {
  const r = await checkContainersReadiness({ entry: STAND_IN_ENTRY });
  if (r.ready) image = r.image;
});

test.beforeEach(async () => {
  const r = await checkContainersReadiness({ entry: STAND_IN_ENTRY });
  test.skip(!r.ready, r.ready ? '' : r.reason);
});

test.afterAll(async () => {
  if (!image) return;
  await stopAllEvsmContainers();
  await removeProjectContainers({ runId, volumes: 'all' });
});

test('a container answers on 127.0.0.1 on both ports and logs its ready line', async () => {
  const a = await standIn('A').start();
  try {
    expect(a.host).toBe('127.0.0.1');
    expect(await ask(a.port, 'hello')).toBe('hello');
    expect(await ask(a.mgmtPort, 'mgmt')).toBe('mgmt');
    expect(a.pid).toBe(1);
    expect(a.tlsPort).toBeUndefined();
    expect(await a.logs()).toContain(`evsm-emulator ready name=A port=${a.port} mgmt-port=${a.mgmtPort}`);
  } finally {
    await a.stop();
  }
  await assertNoProjectContainers({ runId });
  expect(await listProjectVolumes({ runId })).toEqual([]);
});

test('SIGKILL, then restart on the same volume: same ports, same state', async () => {
  const a = await standIn('PRIMARY').start();
  try {
    expect(await ask(a.port, 'PUT key-material-1')).toBe('OK');
    await a.kill();
    expect(await a.isRunning()).toBe(false);
    await expect(ask(a.port, 'GET')).rejects.toThrow(/ECONNREFUSED/);
    await a.restart();
    expect(await a.isRunning()).toBe(true);
    expect(await ask(a.port, 'GET')).toBe('key-material-1');
    // The wait strategy waited for a NEW ready line, not the one from before the kill.
    expect((await a.logs()).match(/evsm-emulator ready name=PRIMARY/g)).toHaveLength(2);
  } finally {
    await a.stop();
  }
  await assertNoProjectContainers({ runId });
});

test('a caller-named volume outlives its container: a new container serves the same state', async () => {
  const volume = `evsm-lab-${runId}-shared`;
  const first = await standIn('B').withDataVolume(volume).start();
  await ask(first.port, 'PUT kept-across-containers');
  await first.stop();
  expect(await listProjectVolumes({ runId })).toContain(volume);
  const second = await standIn('B').withDataVolume(volume).start();
  try {
    expect(await ask(second.port, 'GET')).toBe('kept-across-containers');
  } finally {
    await second.stop({ removeVolume: true });
  }
  expect(await listProjectVolumes({ runId })).not.toContain(volume);
});

/** Holds a port on 127.0.0.1, so an emulator wanting it exits with EADDRINUSE before its ready line. */
async function holdPort(port = 0): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

test('a container that cannot start fails with its log and is removed', async () => {
  const { port: taken, server: blocker } = await holdPort();
  try {
    const error = await standIn('C').withPorts(taken, taken).withStartupTimeout(15_000).start().then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/EVSM container C did not become ready/);
    expect(error?.message).toMatch(/EADDRINUSE/);
  } finally {
    blocker.close();
  }
  await assertNoProjectContainers({ runId });
  expect(await listProjectVolumes({ runId })).toEqual([]);
});

test('a restart that cannot come up fails with the log; stop() still removes the container', async () => {
  const a = await standIn('D').withStartupTimeout(15_000).start();
  try {
    await a.kill();
    const { server: blocker } = await holdPort(a.port);
    try {
      const error = await a.restart().then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(/EVSM container D did not become ready: the container exited after the restart/);
      expect(error?.message).toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  } finally {
    await a.stop();
  }
  await assertNoProjectContainers({ runId });
});

test('the end-of-run clean-up removes a leaked container and fails naming it; a clean run passes', async () => {
  const leakRun = `${runId}-leak`;
  const leaked = await new EvsmEmulatorContainer().withImage(image).withName('LEAK').withRunId(leakRun).start();
  const error = await endRun(leakRun).then(() => undefined, (e: Error) => e);
  expect(error?.message).toMatch(new RegExp(`1 container\\(s\\) of run ${leakRun} were left behind and have been removed: ${leaked.containerName} \\(LEAK, `));
  await assertNoProjectContainers({ runId: leakRun });
  expect(await listProjectVolumes({ runId: leakRun })).toEqual([]);
  await leaked.stop(); // already gone: stop() must not throw
  await expect(endRun(leakRun)).resolves.toBeUndefined();
});

test('a process that exits without stopping its containers still takes them with it', async () => {
  const exitRun = `${runId}-exit`;
  const script = `import { EvsmEmulatorContainer } from ${JSON.stringify(`${REPO_ROOT}/drivers/evsm/container/index.ts`)};
    const c = await new EvsmEmulatorContainer(${JSON.stringify(image)}).withName('ORPHAN').withRunId(${JSON.stringify(exitRun)}).start();
    console.log(c.containerName);
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim()).toMatch(/^evsm-lab-ORPHAN-[0-9a-f]{6}$/);
  await assertNoProjectContainers({ runId: exitRun });
  expect(await listProjectVolumes({ runId: exitRun })).toEqual([]);
});
