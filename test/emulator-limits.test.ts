/**
 * No client can exhaust the emulator (issue 13, findings 1-4): fairness between connections,
 * backpressure on a client that does not read, idle timeout and connection cap under a small
 * descriptor limit, connection churn, and the same on the management port. Each test runs the
 * program as a child (bundled: it starts in a fraction of a second) so RSS and descriptors are
 * the emulator's own. Bounds asserted here are the ones docs/emulator.md states.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFrames } from '../emulators/evsm/mgmt/frame.ts';
import { FrameSplitter } from '../emulators/evsm/host/frame.ts';
import { HostClient, frameMessage } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { softOriginalInit } from './support/soft-token.ts';
import { bundledEmulator, killAllEmulators, launchEmulator, rssKib, storeKeyRequest, type EmulatorChild } from './support/emulator-process.ts';

/** What a new client may wait for its first answer while others misbehave. */
const NEW_CLIENT_MS = 100;
/** RSS growth allowed over the idle emulator while a client misbehaves (docs/emulator.md "Limits"). */
const RSS_GROWTH_KIB = 64 * 1024;

let dir: string;
let n = 0;

test.describe.configure({ timeout: 30_000 });

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-limits-'));
});

test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

async function start(extra: string[] = [], o: { fileLimit?: number; env?: NodeJS.ProcessEnv } = {}): Promise<EmulatorChild> {
  return launchEmulator(['--port', '0', '--data', join(dir, `d${n++}`), '--init', ...extra], { program: await bundledEmulator(), ...o });
}

async function stop(e: EmulatorChild): Promise<void> {
  e.child.kill('SIGTERM');
  await e.exited;
}

/** A fresh connection's first NC: connect + request + answer, in ms. */
async function newClientMs(port: number, headerLength = 0): Promise<number> {
  const t0 = performance.now();
  const c = await HostClient.connect(port, headerLength);
  const [a] = await c.sendRaw(frameMessage(Buffer.from(`${'H'.repeat(headerLength)}NC`, 'latin1')));
  const ms = performance.now() - t0;
  c.socket.destroy();
  expect(a.code).toBe('ND');
  return ms;
}

/** `count` connections; `closed` collects those the device closed (listened for from the start). */
async function openSockets(port: number, count: number): Promise<Socket[] & { closed: Set<Socket> }> {
  const closed = new Set<Socket>();
  const socks = await Promise.all(
    Array.from({ length: count }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.on('close', () => closed.add(s));
      s.once('connect', () => {
        s.on('error', () => undefined);
        resolve(s);
      });
      s.once('error', reject);
    })),
  );
  return Object.assign(socks, { closed });
}

function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('finding 1: a pipelined burst of store commands on one connection does not hold up another client', async () => {
  const e = await start(['--header-length', '4']);
  const burst = await HostClient.connect(e.ready.port, 4);
  const N = 600;
  const frames = Array.from({ length: N }, (_, i) => frameMessage(Buffer.from(String(i).padStart(4, '0') + storeKeyRequest(1 + (i % 2000)), 'latin1')));
  // One write: the whole burst arrives in one or two chunks, as in the finding.
  const all = burst.sendRaw(Buffer.concat(frames), N);
  // Measure while the burst is being worked on (it takes about a second).
  await sleep(20);
  const latencies: number[] = [];
  for (let i = 0; i < 8; i++) latencies.push(await newClientMs(e.ready.port, 4));
  const answers = await all;
  // In order, each with its own header, all stored.
  expect(answers.map((a) => a.header)).toEqual(frames.map((_, i) => String(i).padStart(4, '0')));
  expect(answers.every((a) => a.error === '00')).toBe(true);
  test.info().annotations.push({ type: 'new-client latency during a 600-store burst (ms)', description: latencies.map((l) => l.toFixed(1)).join(' ') });
  expect(Math.max(...latencies)).toBeLessThan(NEW_CLIENT_MS);
  burst.close();
  await stop(e);
});

test('finding 2: a client that sends and never reads is paused; memory stays bounded; others are served', async () => {
  const e = await start();
  const base = rssKib(e.child.pid as number);
  const s = (await openSockets(e.ready.port, 1))[0];
  s.pause(); // never read: the device's answers pile up unless it stops reading us
  const echo = frameMessage(Buffer.from(`B2${(16 * 1024).toString(16).toUpperCase().padStart(4, '0')}${'x'.repeat(16 * 1024)}`, 'latin1'));
  const burst = Buffer.concat(Array.from({ length: 16 }, () => echo));
  let accepted = 0;
  let peak = base;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    // Write as long as the kernel takes it; when it stops (the device paused us), wait a little.
    if (s.writableLength < burst.length) {
      s.write(burst);
      accepted += burst.length;
    } else await sleep(10);
    if (accepted % (burst.length * 64) === 0) peak = Math.max(peak, rssKib(e.child.pid as number));
    await new Promise((r) => setImmediate(r));
  }
  peak = Math.max(peak, rssKib(e.child.pid as number));
  const ms = await newClientMs(e.ready.port);
  const sent = accepted - s.writableLength;
  test.info().annotations.push({ type: 'non-reading client', description: `${(sent / 2 ** 20).toFixed(1)} MiB taken in 3 s; emulator RSS ${base} → peak ${peak} KiB; new client ${ms.toFixed(1)} ms` });
  expect(peak - base).toBeLessThan(RSS_GROWTH_KIB);
  // Paused: only what the socket buffers and the per-connection bounds hold was taken.
  expect(sent).toBeLessThan(64 * 2 ** 20);
  expect(ms).toBeLessThan(NEW_CLIENT_MS);
  s.destroy();
  await stop(e);
});

test('finding 3: 1,000 idle connections under a 1,024-descriptor limit: cap, store commands still work, idle ones time out', async () => {
  const e = await start(['--idle-timeout', '2'], { fileLimit: 1024 });
  const pid = e.child.pid as number;
  const base = rssKib(pid);
  const socks = await openSockets(e.ready.port, 1000);
  const closedByDevice = socks.closed;
  await sleep(300);
  const held = socks.filter((s) => !closedByDevice.has(s));
  // The cap (512) holds; beyond it connections were accepted and closed at once.
  expect(held.length).toBeLessThanOrEqual(512);
  expect(closedByDevice.size).toBeGreaterThanOrEqual(488);
  // Descriptors left for state writes: a store command on a held connection succeeds.
  const c = held[0];
  const answer = await new Promise<Buffer>((resolve) => {
    c.once('data', (d: Buffer) => resolve(d));
    c.write(frameMessage(Buffer.from(storeKeyRequest(7), 'latin1')));
  });
  expect(answer.subarray(4, 6).toString('latin1')).toBe('00');
  const rss = rssKib(pid);
  // The idle timeout (2 s) closes the rest; then a new client is answered at once.
  await sleep(2600);
  expect(held.filter((s) => !closedByDevice.has(s)).length).toBe(0);
  const ms = await newClientMs(e.ready.port);
  test.info().annotations.push({ type: '1,000 idle connections', description: `held ${held.length}, closed at the cap ${1000 - held.length}; RSS ${base} → ${rss} KiB; after the idle timeout: ${descriptors(pid)} descriptors, new client ${ms.toFixed(1)} ms` });
  expect(rss - base).toBeLessThan(RSS_GROWTH_KIB);
  expect(ms).toBeLessThan(NEW_CLIENT_MS);
  for (const s of socks) s.destroy();
  await stop(e);
});

test('connection churn: 3,000 connect/abort cycles leak no descriptor and no memory', async () => {
  const e = await start();
  const pid = e.child.pid as number;
  await newClientMs(e.ready.port);
  const fd0 = descriptors(pid);
  const base = rssKib(pid);
  const nc = frameMessage(Buffer.from('NC', 'latin1'));
  for (let round = 0; round < 60; round++) {
    const socks = await openSockets(e.ready.port, 50);
    socks.forEach((s, i) => {
      // A mix: full request then gone, half a frame then gone, nothing at all.
      if (i % 3 === 0) s.write(nc);
      else if (i % 3 === 1) s.write(nc.subarray(0, 3));
      s.destroy();
    });
  }
  await sleep(300);
  const ms = await newClientMs(e.ready.port);
  const fd1 = descriptors(pid);
  const rss = rssKib(pid);
  test.info().annotations.push({ type: 'churn', description: `descriptors ${fd0} → ${fd1}; RSS ${base} → ${rss} KiB; new client ${ms.toFixed(1)} ms` });
  expect(fd1).toBeLessThanOrEqual(fd0 + 2);
  expect(rss - base).toBeLessThan(RSS_GROWTH_KIB);
  expect(ms).toBeLessThan(NEW_CLIENT_MS);
  await stop(e);
});

test.describe('management port', () => {
  test('finding 4a: 5,000 pipelined getInfo from one client do not delay another client', async () => {
    const e = await start();
    const flood = await ManagerClient.connect({ port: e.ready.mgmtPort });
    const other = await ManagerClient.connect({ port: e.ready.mgmtPort });
    const all = Promise.all(Array.from({ length: 5000 }, () => flood.getInfo()));
    await sleep(20);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await other.getInfo();
      latencies.push(performance.now() - t0);
    }
    expect((await all).length).toBe(5000);
    test.info().annotations.push({ type: 'getInfo latency during a 5,000 getInfo flood (ms)', description: latencies.map((l) => l.toFixed(1)).join(' ') });
    expect(Math.max(...latencies)).toBeLessThan(NEW_CLIENT_MS);
    flood.close();
    other.close();
    await stop(e);
  });

  test("finding 4b: a client asking for many challenges cannot evict an operator's pending one", async () => {
    const e = await launchEmulator(['--port', '0', '--data', join(dir, `d${n++}`)], { program: await bundledEmulator() });
    const op = await ManagerClient.connect({ port: e.ready.mgmtPort });
    const c = await softOriginalInit(op);
    const pending = op.authorize('exportDmkComponents', [c.authTokens[0].signer, c.authTokens[1].signer]);
    const auth = await pending;
    const flood = await ManagerClient.connect({ port: e.ready.mgmtPort });
    await Promise.all(Array.from({ length: 200 }, () => flood.getChallenge()));
    const r = await op.exportDmkComponents({ components: 2, recipientPublicKey: c.componentTokens[0].publicKey, authorization: auth });
    expect(r.dmkKcv).toBe(c.init.dmkKcv);
    op.close();
    flood.close();
    await stop(e);
  });

  test('finding 4c: frames over the 1 MiB limit are refused at their length field; partial frames stay bounded', async () => {
    const e = await start();
    const pid = e.child.pid as number;
    const base = rssKib(pid);
    const socks = await openSockets(e.ready.mgmtPort, 10);
    const replies = socks.map(
      (s) =>
        new Promise<string>((resolve) => {
          let got = '';
          s.on('data', (d: Buffer) => (got += d.subarray(got ? 0 : 4).toString('utf8')));
          s.on('close', () => resolve(got));
        }),
    );
    const head = Buffer.alloc(4);
    head.writeUInt32BE(60 * 2 ** 20, 0);
    for (const s of socks) s.write(Buffer.concat([head, Buffer.alloc(256 * 1024, 0x20)]));
    const answered = await Promise.race([Promise.all(replies), sleep(5000).then(() => undefined)]);
    expect(answered, 'each oversized frame is answered and its connection closed').toBeDefined();
    for (const r of answered ?? []) expect(JSON.parse(r)).toMatchObject({ id: null, ok: false, error: { code: 'BAD_REQUEST' } });
    // Partial frames under the limit: 20 connections each 900 KiB into a 1 MiB frame.
    const partial = await openSockets(e.ready.mgmtPort, 20);
    const h2 = Buffer.alloc(4);
    h2.writeUInt32BE(2 ** 20 - 16, 0);
    for (const s of partial) s.write(Buffer.concat([h2, Buffer.alloc(900 * 1024, 0x20)]));
    await sleep(500);
    const rss = rssKib(pid);
    test.info().annotations.push({ type: 'management frames', description: `RSS ${base} → ${rss} KiB with 20 partial 900 KiB frames` });
    expect(rss - base).toBeLessThan(RSS_GROWTH_KIB);
    const m = await ManagerClient.connect({ port: e.ready.mgmtPort });
    const t0 = performance.now();
    await m.getInfo();
    expect(performance.now() - t0).toBeLessThan(NEW_CLIENT_MS);
    m.close();
    for (const s of partial) s.destroy();
    await stop(e);
  });

  test('connection cap: beyond --max-mgmt-connections a connection is closed at once; a freed slot is usable', async () => {
    const e = await start(['--max-mgmt-connections', '4']);
    const socks = await openSockets(e.ready.mgmtPort, 6);
    await sleep(200);
    expect(socks.closed.size).toBe(2);
    for (const s of socks) s.destroy();
    await sleep(100);
    const m = await ManagerClient.connect({ port: e.ready.mgmtPort });
    expect((await m.getInfo()).state).toBeTruthy();
    m.close();
    await stop(e);
  });
});

test.describe('framing is linear in its input', () => {
  test('host: four 32 KB frames in 1-byte chunks, and 20,000 frames in one chunk', () => {
    const s = new FrameSplitter(2);
    const body = Buffer.concat([Buffer.from('B2', 'latin1'), Buffer.alloc(32_000, 0x41)]);
    const f = frameMessage(body);
    const t0 = performance.now();
    let whole = 0;
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < f.length; i++) s.push(f.subarray(i, i + 1));
      const ev = s.next();
      if (ev?.kind === 'message' && ev.body.equals(body)) whole++;
    }
    const oneByte = performance.now() - t0;
    expect(whole).toBe(4);
    const many = Buffer.concat(Array.from({ length: 20_000 }, () => frameMessage(Buffer.from('NC', 'latin1'))));
    const t1 = performance.now();
    s.push(many);
    let count = 0;
    while (s.next()) count++;
    const bulk = performance.now() - t1;
    expect(count).toBe(20_000);
    test.info().annotations.push({ type: 'host framing (ms)', description: `4 × 32 KB in 1-byte chunks ${oneByte.toFixed(1)}; 20,000 frames in one chunk ${bulk.toFixed(1)}` });
    // The splitter re-joining its buffer on every chunk took about 800 ms here.
    expect(oneByte).toBeLessThan(400);
    expect(bulk).toBeLessThan(500);
  });

  test('management: a 1 MiB frame in 16-byte chunks', () => {
    const j = new JsonFrames();
    const text = JSON.stringify({ id: 1, op: 'getInfo', params: { pad: 'x'.repeat(2 ** 20 - 64) } });
    const body = Buffer.from(text, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    const f = Buffer.concat([head, body]);
    const t0 = performance.now();
    let got: string | undefined;
    for (let i = 0; i < f.length; i += 16) {
      j.push(f.subarray(i, i + 16));
      got = j.next() ?? got;
    }
    const ms = performance.now() - t0;
    expect(got).toBe(text);
    test.info().annotations.push({ type: 'management framing', description: `1 MiB in 16-byte chunks: ${ms.toFixed(1)} ms` });
    // Re-joining the chunks on every push took about 1.2 s for 64-byte chunks here, 4× that for 16.
    expect(ms).toBeLessThan(1000);
  });
});
