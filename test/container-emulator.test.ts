/**
 * The real EVSM emulator in its container (image built from emulators/evsm/program.ts): a DMK
 * and an internal key made before a SIGKILL are there, with the same check values, after the
 * container is restarted on its volume. Talks to the device like any application would: the
 * management protocol (docs/management-protocol.md) to initialize it, the EVSM client
 * (drivers/evsm) over the host protocol for keys. Skipped, with the reason, when Docker is
 * missing or the emulator cannot be built into an image yet.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { sm2GenerateKeyPair } from '../crypto/index.ts';
import { EvsmClient } from '../drivers/evsm/index.ts';
import {
  EvsmEmulatorContainer, assertNoProjectContainers, checkContainersReadiness, removeProjectContainers, stopAllEvsmContainers,
} from '../drivers/evsm/container/index.ts';

const runId = `test-emulator-${process.pid}-${Date.now().toString(36)}`;

/**
 * Sends one message with a `prefix`-byte length in front, resolves with the first answer message
 * (without its length) that `final` accepts, then closes.
 */
function exchange(port: number, body: Buffer, prefix: 2 | 4, final: (m: Buffer) => boolean = () => true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const head = Buffer.alloc(prefix);
    if (prefix === 2) head.writeUInt16BE(body.length);
    else head.writeUInt32BE(body.length);
    socket.write(Buffer.concat([head, body]));
    let buf = Buffer.alloc(0);
    const lengthOf = (): number => (prefix === 2 ? buf.readUInt16BE(0) : buf.readUInt32BE(0));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= prefix && buf.length >= prefix + lengthOf()) {
        const n = lengthOf();
        const message = buf.subarray(prefix, prefix + n);
        buf = buf.subarray(prefix + n);
        if (!final(message)) continue;
        socket.end();
        resolve(message);
        return;
      }
    });
    socket.on('error', reject);
  });
}

/** One management request (4-byte length + JSON), its final answer's result; progress events skipped. */
async function manage(port: number, op: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  type Answer = { ok?: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } };
  const parse = (m: Buffer): Answer => JSON.parse(m.toString('utf8')) as Answer;
  const answer = parse(await exchange(port, Buffer.from(JSON.stringify({ id: 1, op, params })), 4, (m) => parse(m).ok !== undefined));
  if (!answer.ok) throw new Error(`${op}: ${answer.error?.code} ${answer.error?.message}`);
  return answer.result ?? {};
}

/** The device is set to a 4-character header here (withHeaderLength), and the client to match. */
function hostConfig(port: number): string {
  return `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};timeout=5;headerLength=4}`;
}

/** One host request (no header: the image's default) → the answer after its length field. */
async function hostRequest(port: number, request: string): Promise<string> {
  return (await exchange(port, Buffer.from(request, 'latin1'), 2)).toString('latin1');
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
  const a = await new EvsmEmulatorContainer().withName('A').withRunId(runId).withHeaderLength(4).start();
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
      keyKcv = await before.storeKey(1, 'ZEK', 'P');
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

/** A throw-away self-signed certificate for 127.0.0.1 (openssl is part of the base system). */
function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('withTls: the container serves the host protocol inside TLS on its TLS port', async () => {
  const { cert, key } = selfSigned();
  const a = await new EvsmEmulatorContainer().withName('TLS').withRunId(runId).withTls({ cert, key }).start();
  try {
    expect(a.tlsPort).toBeGreaterThan(0);
    // B2 echo of HELLO, no header (the default): L = 2 + 4 + 5 = 11 = 0x000B.
    const request = Buffer.from('000B' + Buffer.from('B20005HELLO').toString('hex'), 'hex');
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: a.tlsPort as number, ca: cert, minVersion: 'TLSv1.2' }, () => socket.write(request));
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          socket.end();
          resolve(buf);
        }
      });
      socket.on('error', reject);
    });
    expect(answer.readUInt16BE(0)).toBe(answer.length - 2);
    expect(answer.subarray(2).toString('latin1')).toBe('B300HELLO');
  } finally {
    await a.stop();
  }
  await assertNoProjectContainers({ runId });
});

test('withDmkComponents and withInit: containers an application can use at once', async () => {
  test.setTimeout(120_000);
  const components = ['0123456789ABCDEFFEDCBA9876543210', '00112233445566778899AABBCCDDEEFF'];
  const a = await new EvsmEmulatorContainer().withName('CA').withRunId(runId).withDmkComponents(components).start();
  const b = await new EvsmEmulatorContainer().withName('CB').withRunId(runId).withDmkComponents(components).start();
  const r = await new EvsmEmulatorContainer().withName('RI').withRunId(runId).withInit().start();
  try {
    // Same components, same DMK; the check value is in the ready line and answers X8 (extension).
    expect(a.dmkKcv).toMatch(/^[0-9A-F]{16}$/);
    expect(b.dmkKcv).toBe(a.dmkKcv);
    expect(await hostRequest(a.port, 'X8')).toBe(`X900${a.dmkKcv}`);
    // Same DMK, same LMKs: NC's LMK check value agrees.
    expect((await hostRequest(a.port, 'NC')).slice(0, 20)).toBe((await hostRequest(b.port, 'NC')).slice(0, 20));
    expect(r.dmkKcv).toMatch(/^[0-9A-F]{16}$/);
    expect(r.dmkKcv).not.toBe(a.dmkKcv);
    // Initialized, yet not re-keyed by a restart.
    await r.kill();
    await r.restart();
    expect(await hostRequest(r.port, 'X8')).toBe(`X900${r.dmkKcv}`);
    // The components are a file in the container, not in its environment.
    expect(JSON.stringify(execFileSync('docker', ['inspect', a.containerId], { encoding: 'utf8' }))).not.toContain(components[0]);
  } finally {
    await Promise.all([a.stop(), b.stop(), r.stop()]);
  }
  await assertNoProjectContainers({ runId });
});
