/**
 * Group commit of state writes (docs/emulator.md "Crash safety"; issue 13 parts 2 and 3):
 *  - an answer to a store goes out only once the state file on disk holds the stored key (read
 *    by the client the moment each answer arrives), while many writes share one file write;
 *  - a read of a key that is not on disk yet waits for it too; a command that reads no key does not;
 *  - a write that fails answers 41 to every change it held, takes them back (not in memory, not
 *    on disk), and the device writes again afterwards.
 *  - kill -9 while 8 connections pipeline stores (batches across connections): after each of
 *    12 seeded kills the restarted device holds every store that was answered.
 * In-process device for the first three (its write counters are visible); more kill -9 proofs
 * are in emulator-crash.
 */
import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../emulators/evsm/emulator.ts';
import { HostClient } from '../emulators/evsm/testing/host-client.ts';
import { bundledEmulator, killAllEmulators, launchEmulator, parseListing, seeded, storeKeyRequest } from './support/emulator-process.ts';

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-group-commit-'));
});
test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

async function start(sub: string): Promise<RunningEmulator> {
  return startEmulator({ port: 0, dataDir: join(dir, sub), name: 'GC', host: '127.0.0.1', headerLength: 4, debug: false, init: { kind: 'random' } });
}

/** index → CV of the keys in the state file on disk right now. */
function onDisk(data: string): Map<number, string> {
  const s = JSON.parse(readFileSync(join(data, 'state.json'), 'utf8')) as { keys: Array<{ index: number; kcv: string }> };
  return new Map(s.keys.map((k) => [k.index, k.kcv]));
}

test('every store is on disk when its answer arrives; concurrent stores share file writes', async () => {
  const e = await start('durable');
  const CONNS = 8;
  const PER = 60;
  const clients = await Promise.all(Array.from({ length: CONNS }, () => HostClient.connect(e.port, 4)));
  const before = { ...e.device.writeStats };
  const problems: string[] = [];
  let answered = 0;
  // Every connection pipelines its stores (each request written at once, none awaited).
  await Promise.all(
    clients.flatMap((h, c) =>
      Array.from({ length: PER }, (_, i) => {
        const index = 1 + c * PER + i;
        return h.request(storeKeyRequest(index)).then((a) => {
          if (a.error !== '00') return void problems.push(`store at ${index} answered ${a.error}`);
          answered++;
          const cv = a.text.slice(-16);
          const disk = onDisk(e.device.dataDir).get(index);
          if (disk !== cv) problems.push(`store at ${index} answered (CV ${cv}) before the file held it (file: ${disk ?? 'no key'})`);
        });
      }),
    ),
  );
  expect(problems).toEqual([]);
  expect(answered).toBe(CONNS * PER);
  const writes = e.device.writeStats.writes - before.writes;
  const changes = e.device.writeStats.changes - before.changes;
  expect(changes).toBe(CONNS * PER);
  // 480 changes, pipelined on 8 connections: far fewer file writes than changes.
  expect(writes).toBeLessThan(changes / 4);
  test.info().annotations.push({ type: 'group commit', description: `${changes} changes in ${writes} file writes` });
  for (const h of clients) h.close();
  await e.close();
});

test('a read of a key waits for its write; answers keep request order on a connection', async () => {
  const e = await start('order');
  const h = await HostClient.connect(e.port, 4);
  // store, read it back, NC, 50 times, all pipelined on one connection.
  const pending: Array<Promise<{ header: string; error: string; text: string; kind: string; index: number }>> = [];
  for (let i = 1; i <= 50; i++) {
    pending.push(h.request(storeKeyRequest(i)).then((a) => ({ ...a, kind: 'store', index: i })));
    pending.push(
      h.request(`KG${String(i).padStart(4, '0')}`).then((a) => {
        // The answer shows the key: the file must hold it already.
        const disk = onDisk(e.device.dataDir).get(i);
        return { ...a, kind: disk === a.text.slice(4, 20) ? 'read' : `read before the file held it (${disk ?? 'no key'})`, index: i };
      }),
    );
    pending.push(h.request('NC').then((a) => ({ ...a, kind: 'nc', index: i })));
  }
  const answers = await Promise.all(pending);
  expect(answers.map((a) => a.header)).toEqual(answers.map((_, k) => String(k).padStart(4, '0')));
  expect(answers.filter((a) => a.error !== '00')).toEqual([]);
  expect(answers.filter((a) => a.kind.startsWith('read ') )).toEqual([]);
  for (let i = 0; i < answers.length; i += 3) expect(answers[i + 1].text.slice(4, 20), `KG after the store at ${answers[i].index}`).toBe(answers[i].text.slice(-16));
  h.close();
  await e.close();
});

test('a state write that fails: its changes are answered 41 and taken back; the next write works', async () => {
  const e = await start('failing');
  const h = await HostClient.connect(e.port, 4);
  const data = e.device.dataDir;
  expect((await h.request(storeKeyRequest(1))).error).toBe('00');
  // The temporary file's name taken by a directory: open() fails, as on a full or broken disk.
  const blocker = join(data, `.state.json.${process.pid}.tmp`);
  mkdirSync(blocker);
  const revision = e.device.state.revision;
  const [a2, kg2, a3, nc] = await Promise.all([
    h.request(storeKeyRequest(2)),
    h.request('KG0002'),
    h.request(storeKeyRequest(3)),
    h.request('NC'),
  ]);
  expect([a2.error, kg2.error, a3.error]).toEqual(['41', '41', '41']);
  expect([a2.header, kg2.header, a3.header, nc.header]).toEqual(['0001', '0002', '0003', '0004']);
  // NC reads no key: unaffected.
  expect(nc.error).toBe('00');
  expect(e.device.writeStats.failures).toBeGreaterThan(0);
  // Taken back in memory and absent on disk.
  expect((await h.request('KG0002')).error).toBe('45');
  expect(e.device.state.revision).toBe(revision);
  expect([...onDisk(data).keys()]).toEqual([1]);
  rmSync(blocker, { recursive: true });
  const a4 = await h.request(storeKeyRequest(4));
  expect(a4.error).toBe('00');
  expect([...onDisk(data).keys()]).toEqual([1, 4]);
  expect((await h.request('KG0004')).text.slice(4, 20)).toBe(a4.text.slice(-16));
  h.close();
  await e.close();
});

test('kill -9 during stores pipelined on 8 connections: every answered store survives the restart', async () => {
  test.setTimeout(60_000);
  const rnd = seeded(Number(process.env.EVSM_CRASH_SEED ?? 7031) + 13);
  const data = join(dir, 'kills');
  const program = await bundledEmulator();
  const start9 = () => launchEmulator(['--port', '0', '--data', data, '--init', '--header-length', '0'], { program });
  /** index → CV of every answered store */
  const answered = new Map<number, string>();
  let total = 0;
  for (let kill = 0; kill <= 12; kill++) {
    const e = await start9();
    const h = await HostClient.connect(e.ready.port, 0);
    // X4, page by page: what the restarted device holds.
    const held = new Map<number, string>();
    for (let from = 1; ; ) {
      const page = parseListing((await h.request(`X4${String(from).padStart(4, '0')}`)).text);
      for (const x of page.entries) held.set(x.index, x.cv);
      if (!page.more) break;
      from = page.entries[page.entries.length - 1].index + 1;
    }
    const lost = [...answered].filter(([i, cv]) => held.get(i) !== cv).map(([i]) => i);
    expect(lost, `after kill ${kill}: answered stores lost`).toEqual([]);
    h.close();
    if (kill === 12) {
      e.child.kill('SIGKILL');
      await e.exited;
      break;
    }
    const clients = await Promise.all(Array.from({ length: 8 }, () => HostClient.connect(e.ready.port, 0)));
    let dead = false;
    const exited = e.exited.then(() => (dead = true));
    for (const c of clients) c.socket.on('error', () => undefined);
    // Each connection pipelines 20 stores to indices never used before (12 × 8 × 20 = 1,920 of
    // the 2,048), so a key that differs from its answered CV can only be a lost write.
    clients.forEach((c, k) => {
      for (let j = 0; j < 20; j++) {
        const index = 1 + kill * 160 + k * 20 + j;
        void c.request(storeKeyRequest(index)).then((a) => {
          if (dead || a.error !== '00') return;
          answered.set(index, a.text.slice(-16));
          total++;
        });
      }
    });
    await new Promise((r) => setTimeout(r, 5 + rnd.int(100)));
    e.child.kill('SIGKILL');
    await exited;
    for (const c of clients) c.socket.destroy();
  }
  test.info().annotations.push({ type: 'group commit kills', description: `12 kills, ${total} answered stores, all kept` });
  expect(total).toBeGreaterThan(0);
});
