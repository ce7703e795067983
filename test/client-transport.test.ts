/**
 * Pool, timeouts, failover rules and logging against small in-test devices (no emulator needed):
 * a fake that speaks just the framing and B2 echo, a silent server that accepts and never
 * answers, and a closed port. The real-emulator acceptance tests are in client-failover.test.ts.
 */
import { test, expect } from '@playwright/test';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EvsmClient,
  EvsmClosedError,
  EvsmCommandError,
  EvsmHostError,
  EvsmNotRetriedError,
  EvsmUnavailableError,
  type DispatchOptions,
  type WireCommand,
} from '../drivers/evsm/index.ts';
import { FrameReader, encodeFrame } from '../drivers/evsm/wire/frame.ts';
import { Backoff } from '../drivers/evsm/pool/backoff.ts';
import { encodeCommand, openAnswer, responseCodeFor } from '../drivers/evsm/commands/codec.ts';
import { redactFields, redactText } from '../drivers/evsm/log/redact.ts';
import { makeTlsMaterial } from './support/emulator-process.ts';

type Behaviour = (code: string, body: Buffer, socket: Socket) => Buffer | 'silent' | 'hangup';

/** A device that frames like the EVSM and answers through `behaviour` (default: echo B2, 00 to others). */
class FakeDevice {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  commands: string[] = [];
  /** Error code for every command but B2 (which always answers 00, so probes pass). */
  errorCode = '00';
  /** When set, B2 (the health probe) gets no answer either. */
  silenceEcho = false;
  constructor(
    private behaviour: Behaviour = () => Buffer.alloc(0),
    tlsFiles?: { cert: string; key: string },
  ) {
    const onSocket = (socket: Socket): void => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const reader = new FrameReader();
      socket.on('data', (chunk) => {
        for (const msg of reader.push(chunk)) {
          const header = msg.subarray(0, 4);
          const code = msg.subarray(4, 6).toString('latin1');
          const body = msg.subarray(6);
          this.commands.push(code);
          if (code === 'B2' && this.silenceEcho) continue;
          const out = this.behaviour(code, body, socket);
          if (out === 'silent') continue;
          if (out === 'hangup') {
            socket.destroy();
            return;
          }
          const error = code === 'B2' ? '00' : this.errorCode;
          const reply = error !== '00' ? Buffer.alloc(0) : code === 'B2' ? body.subarray(4) : out;
          socket.write(encodeFrame(Buffer.concat([header, Buffer.from(responseCodeFor(code) + error), reply])));
        }
      });
    };
    this.server = tlsFiles
      ? createTlsServer({ cert: readFileSync(tlsFiles.cert), key: readFileSync(tlsFiles.key), minVersion: 'TLSv1.2' }, onSocket)
      : createServer(onSocket);
  }
  setBehaviour(b: Behaviour): void {
    this.behaviour = b;
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A port nothing listens on: bind, note it, close. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function hostsConfig(ports: number[], extra = 'timeout=2'): string {
  return `{${ports.map((p, i) => `[HOST${i + 1}];hsmModel=SJJ1310;host=127.0.0.1;port=${p};${extra};`).join('')}}`;
}

/** A state-changing command for the rules (the typed ones are tested on the emulator). */
function writeCommand(): WireCommand<void> {
  return { code: 'ZZ', name: 'ZZ store', idempotent: false, message: encodeCommand('ZZ', '001'), parse: (a, h) => void openAnswer('ZZ', a, h) };
}
function readCommand(): WireCommand<string> {
  return { code: 'ZR', name: 'ZR read', idempotent: true, message: encodeCommand('ZR'), parse: (a, h) => openAnswer('ZR', a, h).restText() };
}

test.describe('framing and helpers', () => {
  test('frames survive arbitrary chunking', () => {
    const frames = [Buffer.from('0001B2'), Buffer.alloc(300, 0x41), Buffer.alloc(0)].map(encodeFrame);
    const all = Buffer.concat(frames);
    const reader = new FrameReader();
    const got: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) got.push(...reader.push(all.subarray(i, i + 7)));
    expect(got.map((b) => b.length)).toEqual([6, 300, 0]);
    expect(reader.pending).toBe(0);
  });

  test('response code is the command with its second character advanced', () => {
    expect(responseCodeFor('B2')).toBe('B3');
    expect(responseCodeFor('NC')).toBe('ND');
    expect(responseCodeFor('A0')).toBe('A1');
  });

  test('backoff doubles up to its ceiling and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    const j = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1);
    expect(j.next()).toBe(50);
  });

  test('redaction masks secrets by field name and long hex or base64 anywhere', () => {
    const key = '0123456789ABCDEFFEDCBA9876543210';
    expect(redactText(`bad key ${key} here`)).not.toContain(key);
    expect(redactFields({ pin: '1234', clearComponent: 'ab', host: '127.0.0.1', port: 8018 })).toEqual({
      pin: '<redacted 4 chars>', clearComponent: '<redacted 2 chars>', host: '127.0.0.1', port: 8018,
    });
  });
});

test.describe('timeouts and dead hosts', () => {
  test('a host that accepts but never answers is detected within its readTimeout', async () => {
    const silent = new FakeDevice(() => 'silent');
    const port = await silent.listen();
    const started = Date.now();
    const err = await EvsmClient.open(hostsConfig([port], 'timeout=0.5')).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    expect((err as EvsmUnavailableError).attempts[0].reason).toBe('read-timeout');
    expect(elapsed).toBeLessThan(500 + 1500); // generous slack over the configured 0.5 s
    await silent.close();
  });

  test('a silent primary is marked down and commands move to the standby', async () => {
    const primary = new FakeDevice();
    const standby = new FakeDevice();
    const ports = [await primary.listen(), await standby.listen()];
    const client = await EvsmClient.open(hostsConfig(ports, 'readTimeout=0.5;connTimeout=1'), { backoff: { initialMs: 60_000 } });
    expect(await client.echo('one')).toBe('one');
    primary.setBehaviour(() => 'silent');
    const started = Date.now();
    expect(await client.echo('two')).toBe('two');
    expect(Date.now() - started).toBeLessThan(500 + 1500);
    expect(client.hosts().map((h) => h.state)).toEqual(['down', 'up']);
    expect(client.hosts()[0].lastError).toContain('read-timeout');
    client.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  test('when a host is marked down, commands waiting on its other connections move at once', async () => {
    const primary = new FakeDevice((code) => (code === 'B2' ? Buffer.alloc(0) : 'silent'));
    const standby = new FakeDevice((code) => (code === 'ZR' ? Buffer.from('standby') : Buffer.alloc(0)));
    const client = await EvsmClient.open(hostsConfig([await primary.listen(), await standby.listen()], 'readTimeout=0.5;linkNum=-4'), {
      backoff: { initialMs: 60_000 },
    });
    const first = client.execute(readCommand());
    await new Promise((r) => setTimeout(r, 100));
    // This one would wait a minute for its own timeout; it is answered because HOST1 went down.
    const trace: DispatchOptions['trace'] = {};
    const patient = client.execute(readCommand(), { timeoutMs: 60_000, trace });
    const write = client.execute(writeCommand(), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(await first).toBe('standby');
    expect(await patient).toBe('standby');
    expect(trace).toEqual({ host: 'HOST2', tries: 2 });
    const err = await write;
    expect(err).toBeInstanceOf(EvsmNotRetriedError);
    expect((err as Error).message).toContain('down');
    expect(standby.commands).not.toContain('ZZ');
    client.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  test('a refused host is marked down; the client opens on the other', async () => {
    const device = new FakeDevice();
    const ports = [await closedPort(), await device.listen()];
    const client = await EvsmClient.open(hostsConfig(ports), { backoff: { initialMs: 60_000 } });
    expect(client.hosts()[0]).toMatchObject({ state: 'down' });
    expect(client.hosts()[0].lastError).toContain('refused');
    expect(await client.echo('x')).toBe('x');
    client.close();
    await device.close();
  });

  test('no host at all: open fails naming every attempt', async () => {
    const err = await EvsmClient.open(hostsConfig([await closedPort(), await closedPort()])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    expect((err as Error).message).toContain('HOST1');
    expect((err as Error).message).toContain('HOST2');
  });
});

test.describe('health checks', () => {
  test('an idle host that hangs is marked down by the periodic probe, with no command sent', async () => {
    const device = new FakeDevice();
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'readTimeout=0.3'), {
      healthIntervalMs: 100,
      backoff: { initialMs: 60_000 },
    });
    device.silenceEcho = true;
    await client.waitForHost('HOST1', 'down', 5_000);
    expect(client.hosts()[0].lastError).toContain('read-timeout');
    client.close();
    await device.close();
  });

  test('an idle host that goes away is marked down at once (its sockets close), with no command sent', async () => {
    const device = new FakeDevice();
    const client = await EvsmClient.open(hostsConfig([await device.listen()]), { backoff: { initialMs: 60_000 } });
    await device.close();
    await client.waitForHost('HOST1', 'down', 5_000);
    expect(client.hosts()[0].lastError).toMatch(/refused|closed|reset/);
    client.close();
  });
});

test.describe('retry rules', () => {
  test('a safe command in flight when its host hangs up is answered by the next host', async () => {
    const primary = new FakeDevice((code) => (code === 'ZR' ? 'hangup' : Buffer.alloc(0)));
    const standby = new FakeDevice((code) => (code === 'ZR' ? Buffer.from('from-standby') : Buffer.alloc(0)));
    const client = await EvsmClient.open(hostsConfig([await primary.listen(), await standby.listen()]), { backoff: { initialMs: 60_000 } });
    expect(await client.execute(readCommand())).toBe('from-standby');
    client.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  test('a state-changing command in flight is not retried, and the error says so', async () => {
    const primary = new FakeDevice((code) => (code === 'ZZ' ? 'hangup' : Buffer.alloc(0)));
    const standby = new FakeDevice();
    const client = await EvsmClient.open(hostsConfig([await primary.listen(), await standby.listen()]), { backoff: { initialMs: 60_000 } });
    const err = await client.execute(writeCommand()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmNotRetriedError);
    expect((err as Error).message).toContain('NOT retried');
    expect((err as Error).message).toContain('HOST1');
    expect(standby.commands).not.toContain('ZZ');
    // The host is down now, so the next state-changing command was never sent there: it goes to the standby.
    await client.execute(writeCommand());
    expect(standby.commands).toContain('ZZ');
    client.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  test('a state-changing command that could not be sent (refused) does go to the next host', async () => {
    const standby = new FakeDevice();
    const client = await EvsmClient.open(hostsConfig([await closedPort(), await standby.listen()]), { connectOnOpen: false });
    await client.execute(writeCommand());
    expect(standby.commands).toEqual(['ZZ']);
    client.close();
    await standby.close();
  });
});

test.describe('device answers', () => {
  test('42 (busy) moves even a state-changing command to the next host; other errors do not move', async () => {
    const primary = new FakeDevice();
    const standby = new FakeDevice();
    primary.errorCode = '42';
    const client = await EvsmClient.open(hostsConfig([await primary.listen(), await standby.listen()]));
    await client.execute(writeCommand());
    expect(standby.commands).toContain('ZZ');
    primary.errorCode = '15';
    const err = await client.execute(writeCommand()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmCommandError);
    expect((err as EvsmCommandError).errorCode).toBe('15');
    expect(standby.commands.filter((c) => c === 'ZZ')).toHaveLength(1);
    expect(client.hosts()[0].state).toBe('up');
    client.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  test('a single busy host: the caller gets the device\'s 42 answer', async () => {
    const only = new FakeDevice();
    only.errorCode = '42';
    const client = await EvsmClient.open(hostsConfig([await only.listen()]), { connectOnOpen: false });
    const err = await client.execute(readCommand()).catch((e: unknown) => e);
    expect((err as EvsmCommandError).errorCode).toBe('42');
    client.close();
    await only.close();
  });

  test('closing the client while a command is in flight gives EvsmClosedError, not a retry', async () => {
    const slow = new FakeDevice((code) => (code === 'ZZ' ? 'silent' : Buffer.alloc(0)));
    const other = new FakeDevice();
    const client = await EvsmClient.open(hostsConfig([await slow.listen(), await other.listen()]));
    const pending = client.execute(writeCommand()).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    client.close();
    expect(await pending).toBeInstanceOf(EvsmClosedError);
    expect(other.commands).not.toContain('ZZ');
    await Promise.all([slow.close(), other.close()]);
  });
});

test.describe('pool and policy', () => {
  test('negative linkNum: at most |n| connections, the rest queue', async () => {
    const device = new FakeDevice((code, _b, socket) => {
      if (code !== 'ZR') return Buffer.alloc(0);
      setTimeout(() => socket.emit('release'), 0);
      return Buffer.from('r');
    });
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'linkNum=-2'));
    await Promise.all(Array.from({ length: 20 }, () => client.execute(readCommand())));
    expect(device.sockets.size).toBeLessThanOrEqual(2);
    expect(client.hosts()[0].pooled).toBeLessThanOrEqual(2);
    client.close();
    await device.close();
  });

  test('positive linkNum: extra short-lived connections under load, closed afterwards', async () => {
    let peak = 0;
    const device = new FakeDevice();
    device.setBehaviour(() => {
      peak = Math.max(peak, device.sockets.size);
      return Buffer.from('r');
    });
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'linkNum=2'));
    await Promise.all(Array.from({ length: 20 }, () => client.execute(readCommand())));
    expect(peak).toBeGreaterThan(2);
    expect(peak).toBeLessThanOrEqual(4);
    expect(client.hosts()[0].pooled).toBeLessThanOrEqual(2);
    client.close();
    await device.close();
  });

  test('ordered policy uses the primary; balance spreads over healthy hosts', async () => {
    const a = new FakeDevice();
    const b = new FakeDevice();
    const ports = [await a.listen(), await b.listen()];
    const ordered = await EvsmClient.open(hostsConfig(ports));
    for (let i = 0; i < 10; i++) await ordered.execute(readCommand());
    expect(a.commands.filter((c) => c === 'ZR')).toHaveLength(10);
    expect(b.commands.filter((c) => c === 'ZR')).toHaveLength(0);
    ordered.close();
    const balanced = await EvsmClient.open(hostsConfig(ports), { failover: 'balance' });
    for (let i = 0; i < 10; i++) await balanced.execute(readCommand());
    expect(a.commands.filter((c) => c === 'ZR')).toHaveLength(15);
    expect(b.commands.filter((c) => c === 'ZR')).toHaveLength(5);
    balanced.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('a down host rejoins when it answers again, and ordered traffic returns to it', async () => {
    const primary = new FakeDevice();
    const standby = new FakeDevice();
    const port = await primary.listen();
    const client = await EvsmClient.open(hostsConfig([port, await standby.listen()]), { backoff: { initialMs: 50, maxMs: 200 } });
    await primary.close();
    expect(await client.echo('during')).toBe('during');
    expect(client.hosts()[0].state).toBe('down');
    const back = new FakeDevice();
    await new Promise<void>((r) => back.server.listen(port, '127.0.0.1', r));
    await client.waitForHost('HOST1', 'up', 10_000);
    back.commands = [];
    expect(await client.echo('after')).toBe('after');
    expect(back.commands).toEqual(['B2']);
    client.close();
    await Promise.all([back.close(), standby.close()]);
  });
});

test.describe('TLSv1.2', () => {
  test('socketProtocol=TLSv1.2 verifies the device against tlsCaFile; a wrong CA is refused as tls', async () => {
    const tls = makeTlsMaterial();
    const device = new FakeDevice(undefined, { cert: tls.serverCert, key: tls.serverKey });
    const port = await device.listen();
    const config = (ca: string, extra = ''): string =>
      `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};socketProtocol=TLSv1.2;tlsCaFile=${ca};${extra}}`;
    const client = await EvsmClient.open(config(tls.caCert));
    expect(await client.echo('over tls')).toBe('over tls');
    client.close();
    const named = await EvsmClient.open(config(tls.caCert, 'tlsServerName=evsm.test'));
    expect(await named.echo('by name')).toBe('by name');
    named.close();
    const err = await EvsmClient.open(config(tls.otherCaCert)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    expect((err as EvsmUnavailableError).attempts[0].reason).toBe('tls');
    const wrongName = await EvsmClient.open(config(tls.caCert, 'tlsServerName=other.test')).catch((e: unknown) => e);
    expect(wrongName).toBeInstanceOf(EvsmUnavailableError);
    await device.close();
  });

  test('a TCP client against a TLS port does not hang past its timeout', async () => {
    const tls = makeTlsMaterial();
    const device = new FakeDevice(undefined, { cert: tls.serverCert, key: tls.serverKey });
    const port = await device.listen();
    const err = await EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};timeout=0.5}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    await device.close();
  });
});

test.describe('logging', () => {
  test('log file per [LOGGER]: categories filter, secrets never written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evsm-log-'));
    const device = new FakeDevice();
    const port = await device.listen();
    const secret = '0123456789ABCDEF0123456789ABCDEF';
    const client = await EvsmClient.open(`{[LOGGER];logsw=error,debug;logPath=${dir};[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};vendorKey=1}`);
    expect(await client.echo(secret)).toBe(secret);
    device.setBehaviour(() => 'hangup');
    await client.echo(secret).catch(() => undefined);
    client.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cacipher-\d{8}\.log$/);
    const text = readFileSync(join(dir, files[0]), 'utf8');
    expect(text).toContain('ERROR host marked down');
    expect(text).toContain('DEBUG command ok');
    expect(text).not.toContain('INFO'); // not switched on
    expect(text).not.toContain(secret);
    await device.close();
  });

  test('config warnings reach the log', async () => {
    const lines: string[] = [];
    const device = new FakeDevice();
    const client = await EvsmClient.open(`{[LOGGER];logsw=warn;[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${await device.listen()};appId=7}`, {
      logSink: (_r, line) => lines.push(line),
    });
    expect(client.warnings).toEqual(['<string> item 7 [HOST1] appId: unknown key "appId" in [HOST1] is ignored']);
    expect(lines.join('')).toContain('unknown key "appId"');
    client.close();
    await device.close();
  });

  test('EvsmHostError carries whether the request was sent', () => {
    const e = new EvsmHostError('HOST1 127.0.0.1:1', 'refused', false, 'x');
    expect(e.requestSent).toBe(false);
    expect(e.code).toBe('HOST');
  });
});
