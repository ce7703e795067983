/**
 * High availability through the interface configuration (seed: 步骤3 接口配置): several
 * [HOSTn] sections, the client fails over when a device dies or hangs.
 */
import { test, expect } from '../harness/fixtures.ts';
import { cacipherString, hostEntry, openApplicationClient, silentHost, writeCacipherFile } from '../harness/ha.ts';
import type { ConnectedDevice } from '../harness/devices/connect.ts';
import type { Procedures } from '../harness/procedures/perform.ts';
import { macS0, type UsableKey } from '../harness/devices/key-use.ts';

const message = (i: number) => Buffer.from(`HA stream message ${String(i).padStart(6, '0')} ...`);

/** A ZAK as the application holds it: a cryptogram under the LMK (external storage). */
type Zak = UsableKey;

/** A and B DMK-synced (original init, recovery init); returns a ZAK cryptogram both accept. */
async function syncedPair(evsmA: ConnectedDevice, evsmB: ConnectedDevice, procedures: Procedures): Promise<Zak> {
  const a = await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  await procedures.recoveryInit(evsmB, { components: a.components, auth: { sync: a.auth.tokens[0] } });
  await expect([evsmA, evsmB]).toShareDmk();
  return { keyType: 'ZAK', key: (await evsmA.client.generateKey('ZAK', 'P')).keyUnderLmk };
}

/**
 * Runs `n` MACs in order, each the application's S0 call (the SDK's generalCalMAC); kills
 * `victim` when `killAt` commands are done, without pausing the stream.
 */
async function stream(client: Awaited<ReturnType<typeof openApplicationClient>>, zak: Zak, n: number, victim?: ConnectedDevice, killAt = -1): Promise<{ macs: string[]; failed: number }> {
  const macs: string[] = [];
  let failed = 0;
  let killing: Promise<void> | undefined;
  for (let i = 0; i < n; i++) {
    if (i === killAt && victim) killing = victim.control.kill();
    try {
      macs.push(await macS0(client, zak, message(i)));
    } catch (e) {
      failed++;
      macs.push(`error: ${(e as Error).message}`);
    }
  }
  await killing;
  return { macs, failed };
}

test('HA-01 two synced devices in one cacipher configuration: the primary dies mid-stream, the stream goes on, results equal', async ({ evsmA, evsmB, procedures, evidence }) => {
  const zak = await syncedPair(evsmA, evsmB, procedures);
  const file = writeCacipherFile(test.info().outputPath('cacipher.ini'), [hostEntry(evsmA.slot.host), hostEntry(evsmB.slot.host)]);
  const client = await openApplicationClient(file, evidence);
  try {
    const N = 150;
    const run = await test.step('stream of MACs; device A killed (SIGKILL / container kill) after 50', () => stream(client, zak, N, evsmA, 50));
    evidence.fact('HA-01 stream', { commands: N, failed: run.failed, hosts: client.hosts().map((h) => ({ name: h.name, state: h.state })) });
    expect(run.failed, 'no command of the stream is lost').toBe(0);
    await test.step('verify: every answer equals B\'s own MAC of the same message', async () => {
      for (let i = 0; i < N; i++) expect(run.macs[i], `message ${i}`).toBe(await macS0(evsmB.client, zak, message(i)));
    });
    expect(client.hosts().find((h) => h.name === 'HOST1')?.state, 'A is marked down').toBe('down');
    await test.step('A restarts on the same state and rejoins', async () => {
      await evsmA.control.restart();
      await client.waitForHost('HOST1', 'up', 20_000);
      await expect([evsmA, evsmB]).toShareDmk();
    });
  } finally {
    client.close();
  }
});

test('HA-02 the string form of the configuration behaves as the file form', async ({ evsmA, evsmB, procedures, evidence }) => {
  const zak = await syncedPair(evsmA, evsmB, procedures);
  const hosts = [hostEntry(evsmA.slot.host), hostEntry(evsmB.slot.host)];
  const fileClient = await openApplicationClient(writeCacipherFile(test.info().outputPath('cacipher.ini'), hosts), evidence, 'file-form');
  const stringClient = await openApplicationClient(cacipherString(hosts), evidence, 'string-form');
  try {
    expect(stringClient.config, 'both forms parse to the same configuration').toEqual(fileClient.config);
    const before = await Promise.all([stream(fileClient, zak, 20), stream(stringClient, zak, 20)]);
    expect(before[1]).toEqual(before[0]);
    await evsmA.control.kill();
    const after = await Promise.all([stream(fileClient, zak, 20), stream(stringClient, zak, 20)]);
    expect(after[0].failed, 'file form fails over').toBe(0);
    expect(after[1], 'string form fails over the same way, same answers').toEqual(after[0]);
    expect(stringClient.hosts().map((h) => h.state)).toEqual(fileClient.hosts().map((h) => h.state));
  } finally {
    fileClient.close();
    stringClient.close();
  }
});

test('HA-03 a host that accepts but never answers is passed over within its timeout', async ({ evsmA, procedures, evidence }) => {
  await procedures.originalInit(evsmA, { components: 2, threshold: 2, authTokens: 3 });
  const zak = { keyType: 'ZAK', key: (await evsmA.client.generateKey('ZAK', 'P')).keyUnderLmk };
  const expected = await macS0(evsmA.client, zak, message(1));
  const silent = await silentHost();
  const TIMEOUT_S = 2;
  try {
    const client = await openApplicationClient(cacipherString([{ host: '127.0.0.1', port: silent.port }, hostEntry(evsmA.slot.host)], TIMEOUT_S), evidence);
    try {
      const t0 = Date.now();
      expect(await macS0(client, zak, message(1))).toBe(expected);
      const first = Date.now() - t0;
      const t1 = Date.now();
      expect(await macS0(client, zak, message(1))).toBe(expected);
      const second = Date.now() - t1;
      evidence.fact('HA-03 timings ms', { first, second, timeoutMs: TIMEOUT_S * 1000 });
      expect(first, 'the silent host is given up within its timeout (plus scheduling slack)').toBeLessThan(TIMEOUT_S * 1000 + 1500);
      expect(second, 'once marked down, the silent host is not waited for again').toBeLessThan(1000);
      expect(client.hosts()[0].state).toBe('down');
    } finally {
      client.close();
    }
  } finally {
    await silent.close();
  }
});
