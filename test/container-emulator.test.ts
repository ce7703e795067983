/**
 * The real EVSM emulator in its container (image built from emulators/evsm/program.ts): a DMK
 * and an internal key made before a SIGKILL are there, with the same check values, after the
 * container is restarted on its volume. Talks to the device like any application would: the
 * management protocol (docs/management-protocol.md) to initialize it, the EVSM client
 * (drivers/evsm) over the host protocol for keys. Skipped, with the reason, when Docker is
 * missing or the emulator cannot be built into an image yet.
 */
import { test, expect } from '@playwright/test';
import { createConnection } from 'node:net';
import { sm2GenerateKeyPair } from '../emulators/crypto/index.ts';
import { EvsmClient } from '../drivers/evsm/index.ts';
import {
  EvsmEmulatorContainer, assertNoProjectContainers, checkContainersReadiness, removeProjectContainers, stopAllEvsmContainers,
} from '../drivers/evsm/container/index.ts';

const runId = `test-emulator-${process.pid}-${Date.now().toString(36)}`;

/** One management request (4-byte length + JSON), its final answer's result; progress events skipped. */
function manage(port: number, op: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const body = Buffer.from(JSON.stringify({ id: 1, op, params }));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    socket.write(Buffer.concat([head, body]));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const n = buf.readUInt32BE(0);
        const answer = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as { ok?: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } };
        buf = buf.subarray(4 + n);
        if (answer.ok === undefined) continue; // a progress event
        socket.end();
        if (answer.ok) resolve(answer.result ?? {});
        else reject(new Error(`${op}: ${answer.error?.code} ${answer.error?.message}`));
      }
    });
    socket.on('error', reject);
  });
}

function hostConfig(port: number): string {
  return `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};timeout=5}`;
}

test.beforeEach(async () => {
  const r = await checkContainersReadiness();
  test.skip(!r.ready, r.ready ? '' : r.reason);
});

test.afterAll(async () => {
  await stopAllEvsmContainers();
  await removeProjectContainers({ runId, volumes: 'all' });
});

test('SIGKILL and restart on the same volume: same DMK check value, same internal key KCV', async () => {
  test.setTimeout(120_000);
  const a = await new EvsmEmulatorContainer().withName('A').withRunId(runId).start();
  try {
    const auth = sm2GenerateKeyPair();
    const init = await manage(a.mgmtPort, 'originalInit', {
      components: 2,
      threshold: 1,
      authPublicKeys: [auth.publicKey.toString('hex').toUpperCase()],
      recipientPublicKey: auth.publicKey.toString('hex').toUpperCase(),
    });
    expect(init.state).toBe('initialized');

    const before = await EvsmClient.open(hostConfig(a.port));
    let dmkKcv: string;
    let keyKcv: string;
    try {
      dmkKcv = await before.dmkCheckValue();
      expect(dmkKcv).toBe(init.dmkKcv);
      keyKcv = await before.storeKey(1, 'ZEK', 'P', { overwrite: true });
    } finally {
      before.close();
    }

    await a.kill();
    await a.restart();

    const after = await EvsmClient.open(hostConfig(a.port));
    try {
      expect(await after.dmkCheckValue()).toBe(dmkKcv);
      expect(await after.keyInfo(1)).toMatchObject({ index: 1, scheme: 'P', kcv: keyKcv });
    } finally {
      after.close();
    }
    expect((await manage(a.mgmtPort, 'getInfo')).state).toBe('initialized');
  } finally {
    await a.stop();
  }
  await assertNoProjectContainers({ runId });
});
