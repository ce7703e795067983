/**
 * `--workers N` (docs/emulator.md "Worker threads"): the stateless crypto commands run on worker
 * threads, the main thread keeps the one state. The same answers as in one thread:
 *  - every worked example of docs/host-protocol.md, pipelined in one write on one connection
 *    (examples that store a key come before examples that use it), byte for byte as documented,
 *    and equal to the answers of --workers 1;
 *  - 4 connections each pipelining: store an SM2 pair (main thread) → sign with it (worker) →
 *    its public key (main) → NC, then verify each signature (worker) with the signed data and with
 *    other data: answers in request order per connection, the pair just stored is used (the
 *    worker saw it), signatures verify and a wrong one does not.
 * The program runs bundled, as the embedded target runs it.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWorkers, parseArgs, UsageError } from '../emulators/evsm/args.ts';
import { WORKER_COMMANDS } from '../emulators/evsm/host/workers.ts';
import { HostClient, frameMessage } from '../emulators/evsm/testing/host-client.ts';
import { bundledEmulator, killAllEmulators, launchEmulator, type EmulatorChild } from './support/emulator-process.ts';
import { encodeWire, parseDocExamples } from './support/host-doc-examples.ts';

/** XOR = 0123456789ABCDEFFEDCBA9876543210, the DMK of the documented examples (test values). */
const COMPONENTS = '# the host doc DMK\n11111111111111111111111111111111\n1032547698BADCFEEFCDAB8967452301\n';
const doc = readFileSync(new URL('../docs/host-protocol.md', import.meta.url), 'utf8');
let dir: string;

test.describe.configure({ timeout: 60_000 });
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-workers-'));
  writeFileSync(join(dir, 'components.txt'), COMPONENTS, { mode: 0o600 });
});
test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, workers: number, headerLength: number): Promise<EmulatorChild> {
  return launchEmulator(['--port', '0', '--data', join(dir, name), '--workers', String(workers), '--header-length', String(headerLength), '--dmk-components-file', join(dir, 'components.txt')], { program: await bundledEmulator() });
}

/** The threads start with the first SM2 request (answered in the main thread meanwhile): start them, wait until ready. */
async function workersReady(e: EmulatorChild, h: HostClient, workers: number): Promise<void> {
  if (workers < 2) return;
  await h.sendRaw(frameMessage(Buffer.from(`${'0'.repeat(h.headerLength)}E5`, 'latin1')));
  const until = Date.now() + 15_000;
  while (!e.stderr().includes(`${workers} host worker threads ready`)) {
    if (Date.now() > until) throw new Error(`host worker threads not ready: ${e.stderr().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(e: EmulatorChild): Promise<void> {
  e.child.kill('SIGTERM');
  await e.exited;
}

test('the documented examples, pipelined: the same bytes with --workers 2 as documented and as --workers 1', async () => {
  const examples = parseDocExamples(doc);
  expect(examples.filter((x) => WORKER_COMMANDS.has(x.request.subarray(0, 2).toString('latin1'))).length, 'examples of worker commands').toBeGreaterThanOrEqual(3);
  const raw: Buffer[][] = [];
  for (const workers of [1, 2]) {
    const e = await start(`doc-w${workers}`, workers, 0);
    if (workers > 1) expect(e.stderr()).toContain(`${workers} host worker threads`);
    const h = await HostClient.connect(e.ready.port, 0);
    await workersReady(e, h, workers);
    const answers = await h.sendRaw(Buffer.concat(examples.map((x) => frameMessage(x.request))), examples.length);
    raw.push(answers.map((a) => Buffer.concat([Buffer.from(a.code + a.error, 'latin1'), a.body])));
    h.close();
    await stop(e);
  }
  const [one, two] = raw;
  examples.forEach((x, k) => {
    const where = `docs/host-protocol.md line ${x.line}: ${encodeWire(x.request).slice(0, 60)}`;
    const got = x.prefix ? two[k].subarray(0, x.answer.length) : two[k];
    expect(encodeWire(got), where).toBe(encodeWire(x.answer));
    if (!x.prefix) expect(encodeWire(two[k]), `${where} (--workers 1 vs 2)`).toBe(encodeWire(one[k]));
  });
});

test('--workers 2: store an SM2 pair, sign with it on a worker, verify; 4 connections pipelined, in order, the new key seen', async () => {
  const e = await start('mixed', 2, 4);
  const CONNS = 4;
  const GROUPS = 16; // 4 × 16 = the 64 SM2 indices
  const clients = await Promise.all(Array.from({ length: CONNS }, () => HostClient.connect(e.ready.port, 4)));
  await workersReady(e, clients[0], 2);
  const msg = (h: string, text: string) => frameMessage(Buffer.from(h + text, 'latin1'));
  const concatFrames = (parts: Array<string | Buffer>) => frameMessage(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))));
  const results = await Promise.all(
    clients.map(async (h, c) => {
      const frames: Buffer[] = [];
      const key = (g: number) => `K${String(1 + c * GROUPS + g).padStart(4, '0')}`;
      for (let g = 0; g < GROUPS; g++) {
        const head = (n: number) => String(g * 4 + n).padStart(4, '0');
        frames.push(msg(head(0), `E707${key(g)}03sm2`)); // store a pair (main thread)
        frames.push(msg(head(1), `E520070000;0003abc;${key(g)}0`)); // sign with it (worker)
        frames.push(msg(head(2), `E2${key(g)}`)); // its public key (main thread)
        frames.push(msg(head(3), 'NC'));
      }
      const first = await h.sendRaw(Buffer.concat(frames), frames.length);
      // Verify each signature (worker): with the data signed → 00, with other data → 01.
      const verify = (g: number, data: string, n: number) =>
        concatFrames([String(n).padStart(4, '0'), 'E62007', '0000;0', first[g * 4 + 1].body.subarray(0, 4), first[g * 4 + 1].body.subarray(4), `;${String(data.length).padStart(4, '0')}${data};${key(g)}`]);
      const second = await h.sendRaw(Buffer.concat(Array.from({ length: GROUPS }, (_, g) => [verify(g, 'abc', 2 * g), verify(g, 'abd', 2 * g + 1)]).flat()), 2 * GROUPS);
      return { first, second };
    }),
  );
  for (const { first, second } of results) {
    expect(first.map((a) => a.header)).toEqual(first.map((_, k) => String(k).padStart(4, '0')));
    expect(first.filter((a) => a.error !== '00').map((a) => `${a.header} ${a.code}${a.error}`)).toEqual([]);
    for (let g = 0; g < GROUPS; g++) {
      expect(first[g * 4 + 1].code).toBe('E6');
      expect(first[g * 4 + 1].text.slice(0, 4)).toBe('0064');
      // E2 gives the public key E7 made.
      expect(first[g * 4 + 2].body.subarray(0, 91).toString('hex')).toBe(first[g * 4].body.subarray(0, 91).toString('hex'));
    }
    expect(second.map((a) => a.header)).toEqual(second.map((_, k) => String(k).padStart(4, '0')));
    expect(second.map((a) => `${a.code}${a.error}`)).toEqual(second.map((_, k) => (k % 2 ? 'E701' : 'E700')));
  }
  for (const h of clients) h.close();
  await stop(e);
});

test('--workers N, EVSM_WORKERS (the command line wins), the default by core count', () => {
  const base = ['--port', '0', '--data', 'd'];
  expect(parseArgs([...base, '--workers', '3']).workers).toBe(3);
  expect(parseArgs(base, { EVSM_WORKERS: '2' }).workers).toBe(2);
  expect(parseArgs([...base, '--workers', '0'], { EVSM_WORKERS: '2' }).workers).toBe(0);
  expect(() => parseArgs([...base, '--workers', '65'])).toThrow(UsageError);
  expect(() => parseArgs([...base, '--workers', 'two'])).toThrow(/--workers must be a thread count 0-64/);
  expect([1, 2, 3, 4, 8, 64].map((cores) => defaultWorkers(cores))).toEqual([1, 1, 2, 3, 4, 4]);
});
