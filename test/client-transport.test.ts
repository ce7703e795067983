/**
 * Framing, header, connect sequence, heartbeat, pool, timeouts, failover rules and logging
 * against small in-test devices (test/support/fake-sjj1310.ts; no emulator needed). The
 * behaviour follows the vendor SDK's (sjj1310-wire.md §3-4); deliberate differences are in
 * docs/client.md. The real-emulator tests are in client-failover.test.ts.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EvsmClient,
  EvsmClosedError,
  EvsmCommandError,
  EvsmHostError,
  EvsmNotRetriedError,
  EvsmProtocolError,
  EvsmUnavailableError,
  type DispatchOptions,
  type WireCommand,
} from '../drivers/evsm/index.ts';
import { FrameReader, encodeFrame } from '../drivers/evsm/wire/frame.ts';
import { Backoff } from '../drivers/evsm/pool/backoff.ts';
import { encodeCommand, openAnswer, responseCodeFor } from '../drivers/evsm/commands/codec.ts';
import { randomHeader } from '../drivers/evsm/wire/header.ts';
import { redactFields, redactText } from '../drivers/evsm/log/redact.ts';
import { makeTlsMaterial } from './support/emulator-process.ts';
import { FakeSjj1310, closedPort, hostsConfig, until } from './support/fake-sjj1310.ts';

/** Fast heartbeats for tests (the SDK's is 1 s). */
const FAST = { heartbeatIntervalMs: 100 };

/** A state-changing command for the rules (the typed ones are in client-commands.test.ts). */
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
    expect(responseCodeFor('A0')).toBe('A1');
    expect(responseCodeFor('NC')).toBe('ND');
    expect(responseCodeFor('KF')).toBe('KG');
    expect(responseCodeFor('3C')).toBe('3D');
  });

  test('the header is random alphanumerics', () => {
    const h = randomHeader(64);
    expect(h).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(randomHeader(64)).not.toBe(h);
  });

  test('backoff doubles up to its ceiling and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  test('redaction masks secrets by field name and long hex or base64 anywhere', () => {
    const key = '0123456789ABCDEFFEDCBA9876543210';
    expect(redactText(`bad key ${key} here`)).not.toContain(key);
    expect(redactFields({ pin: '1234', clearComponent: 'ab', host: '127.0.0.1', port: 8018 })).toEqual({
      pin: '<redacted 4 chars>', clearComponent: '<redacted 2 chars>', host: '127.0.0.1', port: 8018,
    });
  });
});

test.describe('msgheadlength', () => {
  test('N random alphanumeric characters, chosen once per client, after the length; the answer echoes them', async () => {
    const device = new FakeSjj1310(() => '00ok', 4);
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'msgheadlength=4'), FAST);
    await client.execute(readCommand());
    await client.execute(readCommand());
    const headers = new Set(device.received.map((r) => r.header));
    expect(headers.size).toBe(1);
    expect([...headers][0]).toMatch(/^[A-Za-z0-9]{4}$/);
    expect([...headers][0]).toBe(client.header.slice(0, 4));
    expect(device.received.find((r) => r.code === 'ZR')?.text).toBe('ZR');
    client.close();
    await device.close();
  });

  test('a device that does not echo the header: a protocol error naming both, and open fails', async () => {
    const device = new FakeSjj1310(() => '00', 4);
    device.wrongHeader = 'ZZZZ';
    const err = await EvsmClient.open(hostsConfig([await device.listen()], 'msgheadlength=4'), { header: 'AbC1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmProtocolError);
    expect((err as Error).message).toContain('"ZZZZ"');
    expect((err as Error).message).toContain('"AbC1"');
    await device.close();
  });

  test('hosts with different msgheadlength send different prefixes of the same header', async () => {
    const a = new FakeSjj1310(() => '00', 2);
    const b = new FakeSjj1310(() => '00', 6);
    const pa = await a.listen();
    const pb = await b.listen();
    const client = await EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${pa};msgheadlength=2;[HOST2];hsmModel=SJJ1310;host=127.0.0.1;port=${pb};msgheadlength=6}`, { header: 'Q1w2E3r4' });
    expect(a.received[0].header).toBe('Q1');
    expect(b.received[0].header).toBe('Q1w2E3');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });
});

test.describe('connect and heartbeat (the SDK\'s init and 1-second CR0016)', () => {
  test('at connect each host gets NC, then CR0016', async () => {
    const a = new FakeSjj1310();
    const b = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]));
    for (const d of [a, b]) expect(d.received.slice(0, 2).map((r) => r.text)).toEqual(['NC', 'CR0016']);
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('heartbeats go out every interval per host', async () => {
    const a = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen()]), FAST);
    await until(() => a.heartbeats() >= 5, '5 heartbeats');
    client.close();
    await a.close();
  });

  test('an NC error code does not fail open; the serial entry is then 12 spaces', async () => {
    const a = new FakeSjj1310();
    a.ncReply = '68';
    const client = await EvsmClient.open(hostsConfig([await a.listen()]));
    expect(await client.sdk.getDeviceSerial()).toEqual(['            ']);
    client.close();
    await a.close();
  });

  test('NC without an answer fails open (one host)', async () => {
    const a = new FakeSjj1310();
    a.ncReply = 'silent';
    const err = await EvsmClient.open(hostsConfig([await a.listen()], 'timeout=0.3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    expect((err as EvsmUnavailableError).attempts[0].reason).toBe('read-timeout');
    await a.close();
  });

  test('a failed first heartbeat: open succeeds, the host is down until a heartbeat answers (CR0016 only, no NC)', async () => {
    const a = new FakeSjj1310(() => '00r');
    a.heartbeatReply = '41';
    const client = await EvsmClient.open(hostsConfig([await a.listen()]), FAST);
    expect(client.hosts()[0].state).toBe('down');
    const err = await client.execute(readCommand()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    const ncBefore = a.count('NC');
    a.heartbeatReply = undefined;
    await client.waitForHost('HOST1', 'up', 3_000);
    expect(a.count('NC')).toBe(ncBefore);
    expect(await client.execute(readCommand())).toBe('r');
    client.close();
    await a.close();
  });

  test('a heartbeat that times out marks the host down; probes follow; an answered CR0016 brings it back', async () => {
    const a = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen()], 'readTimeout=0.2'), FAST);
    a.heartbeatReply = 'silent';
    await client.waitForHost('HOST1', 'down', 3_000);
    expect(client.hosts()[0].lastError).toContain('read-timeout');
    const beats = a.heartbeats();
    await until(() => a.heartbeats() >= beats + 2, 'probes of the down host');
    a.heartbeatReply = undefined;
    await client.waitForHost('HOST1', 'up', 3_000);
    client.close();
    await a.close();
  });

  test('a heartbeat answered with an error code marks the host down', async () => {
    const a = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen()]), FAST);
    a.heartbeatReply = '41';
    await client.waitForHost('HOST1', 'down', 3_000);
    client.close();
    await a.close();
  });

  test('heartbeats continue on a short connection while the only pooled one is busy', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZR' ? 'silent' : '00'));
    const client = await EvsmClient.open(hostsConfig([await a.listen()], 'linkNum=-1;readTimeout=3'), FAST);
    const pending = client.execute(readCommand()).catch((e: unknown) => e);
    await until(() => a.count('ZR') === 1, 'the blocked command');
    const beats = a.heartbeats();
    await until(() => a.heartbeats() >= beats + 3, 'heartbeats while blocked');
    expect(client.hosts()[0].state).toBe('up');
    client.close();
    expect(await pending).toBeInstanceOf(EvsmClosedError);
    await a.close();
  });

  test('getDeviceSerial: one entry per host; a host down at open is null, asked lazily once it is back', async () => {
    const a = new FakeSjj1310();
    a.serial = 'AAAAAAAAAAAA';
    const port2 = await closedPort();
    const client = await EvsmClient.open(hostsConfig([await a.listen(), port2]), FAST);
    expect(await client.sdk.getDeviceSerial()).toEqual(['AAAAAAAAAAAA', null]);
    const b = new FakeSjj1310();
    b.serial = 'BBBBBBBBBBBB';
    await b.listen(port2);
    await client.waitForHost('HOST2', 'up', 3_000);
    expect(await client.sdk.getDeviceSerial()).toEqual(['AAAAAAAAAAAA', 'BBBBBBBBBBBB']);
    expect(b.count('NC')).toBe(1);
    client.close();
    await Promise.all([a.close(), b.close()]);
  });
});

test.describe('timeouts and dead hosts', () => {
  test('a silent host is marked down at open; the other takes the commands', async () => {
    const silent = new FakeSjj1310();
    silent.ncReply = 'silent';
    const other = new FakeSjj1310(() => '00b');
    const client = await EvsmClient.open(hostsConfig([await silent.listen(), await other.listen()], 'timeout=0.5'), FAST);
    expect(client.hosts().map((h) => h.state)).toEqual(['down', 'up']);
    expect(await client.execute(readCommand())).toBe('b');
    client.close();
    await Promise.all([silent.close(), other.close()]);
  });

  test('a timed-out safe request is re-sent to the other live host', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZR' ? 'silent' : '00'));
    const b = new FakeSjj1310(() => '00from-b');
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()], 'readTimeout=0.4'), { failover: 'ordered' });
    const trace: DispatchOptions['trace'] = {};
    const started = Date.now();
    expect(await client.execute(readCommand(), { trace })).toBe('from-b');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(400 + 1500);
    expect(trace).toEqual({ host: 'HOST2', tries: 2 });
    expect(client.hosts()[0].state).toBe('down');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('a timed-out state-changing request is not repeated elsewhere: EvsmNotRetriedError', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZZ' ? 'silent' : '00'));
    const b = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()], 'readTimeout=0.3'), { failover: 'ordered' });
    const err = await client.execute(writeCommand()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmNotRetriedError);
    expect((err as Error).message).toContain('NOT retried');
    expect((err as Error).message).toContain('HOST1');
    expect(b.count('ZZ')).toBe(0);
    // HOST1 is down now: the next state-changing command is never sent there, it goes to HOST2.
    await client.execute(writeCommand());
    expect(b.count('ZZ')).toBe(1);
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('when a host is marked down, commands waiting on its other connections move at once', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZR' || code === 'ZZ' ? 'silent' : '00'));
    const b = new FakeSjj1310((code) => (code === 'ZR' ? '00standby' : '00'));
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()], 'readTimeout=0.5;linkNum=-4'), { failover: 'ordered' });
    const first = client.execute(readCommand());
    await until(() => a.count('ZR') === 1, 'first on HOST1');
    const trace: DispatchOptions['trace'] = {};
    const patient = client.execute(readCommand(), { timeoutMs: 60_000, trace });
    const write = client.execute(writeCommand(), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(await first).toBe('standby');
    expect(await patient).toBe('standby');
    expect(trace).toEqual({ host: 'HOST2', tries: 2 });
    expect(await write).toBeInstanceOf(EvsmNotRetriedError);
    expect(b.count('ZZ')).toBe(0);
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('a host that hangs up on a request: a safe command is answered by the next host', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZR' ? 'hangup' : '00'));
    const b = new FakeSjj1310(() => '00from-b');
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]), { failover: 'ordered' });
    expect(await client.execute(readCommand())).toBe('from-b');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('an answer under 4 bytes is a transport failure: the safe command moves on', async () => {
    const a = new FakeSjj1310((code) => (code === 'ZR' ? { raw: Buffer.from('ZS') } : '00'));
    const b = new FakeSjj1310(() => '00from-b');
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]), { failover: 'ordered' });
    expect(await client.execute(readCommand())).toBe('from-b');
    expect(client.hosts()[0].lastError).toContain('under 4');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('a refused host is marked down; the client opens on the other', async () => {
    const device = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await closedPort(), await device.listen()]));
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

  test('every host down: each call fails at once', async () => {
    const a = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen()]), { heartbeatIntervalMs: 60_000 });
    await a.close();
    await client.waitForHost('HOST1', 'down', 3_000);
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const err = await client.execute(readCommand()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EvsmUnavailableError);
      expect(Date.now() - started).toBeLessThan(50);
    }
    client.close();
  });

  test('an idle host that goes away is marked down at once (its sockets close), with no command sent', async () => {
    const device = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await device.listen()]), { heartbeatIntervalMs: 60_000 });
    await device.close();
    await client.waitForHost('HOST1', 'down', 5_000);
    expect(client.hosts()[0].lastError).toMatch(/refused|closed|reset/);
    client.close();
  });
});

test.describe('device answers', () => {
  test('an error code goes to the caller and is never retried on another host', async () => {
    const a = new FakeSjj1310(() => '15');
    const b = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]), { failover: 'ordered' });
    for (const cmd of [readCommand(), writeCommand()]) {
      const err = await client.execute(cmd as WireCommand<unknown>).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EvsmCommandError);
      expect((err as EvsmCommandError).errorCode).toBe('15');
      expect((err as Error).message).toContain('invalid input data');
    }
    expect(b.commands()).toEqual([]);
    expect(client.hosts()[0].state).toBe('up');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('an error code outside the SDK\'s table (11, 44) or not numeric is a protocol error', async () => {
    for (const code of ['11', '44', 'A1']) {
      const a = new FakeSjj1310(() => code);
      const client = await EvsmClient.open(hostsConfig([await a.listen()]));
      const err = await client.execute(readCommand()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EvsmProtocolError);
      client.close();
      await a.close();
    }
  });

  test('a wrong response code is a protocol error', async () => {
    const a = new FakeSjj1310((code) => ({ raw: Buffer.from(code === 'ZR' ? 'ZX00' : 'ZZ00') }));
    const client = await EvsmClient.open(hostsConfig([await a.listen()]));
    const err = await client.execute(readCommand()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmProtocolError);
    expect((err as Error).message).toContain('"ZX", expected "ZS"');
    client.close();
    await a.close();
  });

  test('closing the client while a command is in flight gives EvsmClosedError, not a retry', async () => {
    const slow = new FakeSjj1310((code) => (code === 'ZZ' ? 'silent' : '00'));
    const other = new FakeSjj1310();
    const client = await EvsmClient.open(hostsConfig([await slow.listen(), await other.listen()]), { failover: 'ordered' });
    const pending = client.execute(writeCommand()).catch((e: unknown) => e);
    await until(() => slow.count('ZZ') === 1, 'the command on HOST1');
    client.close();
    expect(await pending).toBeInstanceOf(EvsmClosedError);
    expect(other.count('ZZ')).toBe(0);
    await Promise.all([slow.close(), other.close()]);
  });
});

test.describe('pool and policy', () => {
  test('balance (default, as the SDK): requests alternate between the hosts', async () => {
    const a = new FakeSjj1310(() => '00a');
    const b = new FakeSjj1310(() => '00b');
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]));
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push(await client.execute(readCommand()));
    expect(got.filter((x) => x === 'a')).toHaveLength(5);
    expect(got.filter((x) => x === 'b')).toHaveLength(5);
    client.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('ordered: the primary takes everything; traffic returns to it when it rejoins', async () => {
    const a = new FakeSjj1310(() => '00a');
    const b = new FakeSjj1310(() => '00b');
    const port = await a.listen();
    const client = await EvsmClient.open(hostsConfig([port, await b.listen()]), { failover: 'ordered', ...FAST });
    for (let i = 0; i < 5; i++) expect(await client.execute(readCommand())).toBe('a');
    await a.close();
    await client.waitForHost('HOST1', 'down', 3_000);
    expect(await client.execute(readCommand())).toBe('b');
    const back = new FakeSjj1310(() => '00a');
    await back.listen(port);
    await client.waitForHost('HOST1', 'up', 5_000);
    expect(await client.execute(readCommand())).toBe('a');
    client.close();
    await Promise.all([back.close(), b.close()]);
  });

  test('negative linkNum: at most |n| connections, the rest queue', async () => {
    const device = new FakeSjj1310(() => '00r');
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'linkNum=-2'), { heartbeatIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 20 }, () => client.execute(readCommand())));
    expect(device.accepted).toBeLessThanOrEqual(2);
    expect(client.hosts()[0].pooled).toBeLessThanOrEqual(2);
    client.close();
    await device.close();
  });

  test('positive linkNum: extra short-lived connections under load, closed afterwards', async () => {
    let peak = 0;
    const device = new FakeSjj1310();
    device.setBehaviour(() => {
      peak = Math.max(peak, device.sockets.size);
      return '00r';
    });
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'linkNum=2'), { heartbeatIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 20 }, () => client.execute(readCommand())));
    expect(peak).toBeGreaterThan(2);
    expect(peak).toBeLessThanOrEqual(4);
    expect(client.hosts()[0].pooled).toBeLessThanOrEqual(2);
    client.close();
    await device.close();
  });

  test('linkNum=0: a new connection for every request and every heartbeat', async () => {
    const device = new FakeSjj1310(() => '00r');
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'linkNum=0'), FAST);
    const before = device.accepted;
    for (let i = 0; i < 5; i++) await client.execute(readCommand());
    expect(device.accepted - before).toBeGreaterThanOrEqual(5);
    const beats = device.heartbeats();
    const accepted = device.accepted;
    await until(() => device.heartbeats() >= beats + 2, 'heartbeats');
    expect(device.accepted).toBeGreaterThanOrEqual(accepted + 2);
    expect(client.hosts()[0].pooled).toBe(0);
    await until(() => device.sockets.size === 0, 'short connections closed');
    client.close();
    await device.close();
  });

  test('omitted linkNum is 10', async () => {
    const device = new FakeSjj1310(() => '00r');
    const client = await EvsmClient.open(hostsConfig([await device.listen()], 'timeout=2'), { heartbeatIntervalMs: 60_000 });
    expect(client.config.hosts[0].linkNum).toBe(10);
    client.close();
    await device.close();
  });

  test('run on one named host only ({ host }): no failover', async () => {
    const a = new FakeSjj1310(() => '00a');
    const b = new FakeSjj1310(() => '00b');
    const client = await EvsmClient.open(hostsConfig([await a.listen(), await b.listen()]));
    for (let i = 0; i < 4; i++) expect(await client.execute(readCommand(), { host: 'HOST2' })).toBe('b');
    client.close();
    await Promise.all([a.close(), b.close()]);
  });
});

test.describe('TLSv1.2', () => {
  test('socketProtocol=TLSv1.2 verifies the device against tlsCaFile; a wrong CA is refused as tls', async () => {
    const tls = makeTlsMaterial();
    const device = new FakeSjj1310(undefined, 0, { cert: tls.serverCert, key: tls.serverKey });
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
    const device = new FakeSjj1310(undefined, 0, { cert: tls.serverCert, key: tls.serverKey });
    const port = await device.listen();
    const err = await EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};timeout=0.5}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvsmUnavailableError);
    await device.close();
  });
});

test.describe('logging', () => {
  test('log file per [LOGGER]: categories filter, secrets never written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evsm-log-'));
    const device = new FakeSjj1310();
    const port = await device.listen();
    const secret = '0123456789ABCDEF0123456789ABCDEF';
    const client = await EvsmClient.open(`{[LOGGER];logsw=error,debug;logPath=${dir};[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${port};vendorKey=1}`);
    expect(await client.echo(secret)).toBe(secret);
    device.setBehaviour(() => 'hangup');
    await client.execute(readCommand()).catch(() => undefined);
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
    const device = new FakeSjj1310();
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
