/**
 * The throughput bench's load generator (bench/throughput-load.ts) counts only answers that
 * pass its checks: against the emulator every pipelined KG and A0 answer passes; against a
 * fake device that gets one header wrong, answers one request twice or leaves one unanswered,
 * the run reports bad answers instead of a rate that looks fine.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulators/evsm/emulator.ts';
import { type LoadSpec, runLoad } from '../bench/throughput-load.ts';

const H = 8;
const base = { headerLength: H, connections: 4, window: 8, ms: 300 } as const;

test('against the emulator: KG and A0 pipelined on 4 connections, every answer passes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-load-'));
  const e = await startEmulator({ port: 0, dataDir: join(dir, 'd'), name: 'LOAD', host: '127.0.0.1', headerLength: H, debug: false, init: { kind: 'random' } });
  try {
    const store = await runLoad({ ...base, connections: 1, window: 1, ms: 50, port: e.port, request: 'A0000APK{i}05bench', answerPrefix: 'A100', answerLength: 4 + 33 + 16 });
    expect(store.bad, store.firstBad).toBe(0);
    const kgAnswer = (k: { type: string; flag: string; kcv: string; label: string; updateTime: string }) => `KH00${k.type}${k.flag}${k.kcv}05${k.label}14${k.updateTime}`;
    const key = e.device.getKey(1)!;
    const kg = await runLoad({ ...base, port: e.port, request: 'KG0001', answerPrefix: 'KH00', answerLength: kgAnswer(key).length, exact: kgAnswer(key) });
    expect(kg.bad, kg.firstBad).toBe(0);
    expect(kg.answers).toBeGreaterThan(100);
    expect(kg.rate).toBeGreaterThan(0);
    const a0 = await runLoad({ ...base, port: e.port, request: 'A0000AP', answerPrefix: 'A100', answerLength: 4 + 33 + 16 });
    expect(a0.bad, a0.firstBad).toBe(0);
    expect(a0.answers).toBeGreaterThan(100);
    // A wrong expectation is caught: the same KG load checked against another key's answer.
    const wrong = await runLoad({ ...base, port: e.port, request: 'KG0001', answerPrefix: 'KH00', answerLength: kgAnswer(key).length, exact: kgAnswer({ ...key, kcv: '0'.repeat(16) }) });
    expect(wrong.bad).toBeGreaterThan(0);
    expect(wrong.answers).toBe(0);
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fake device answering `NC` requests with `ND00`, spoilt by `spoil` (request number → what to send). */
function fake(spoil: (n: number, header: Buffer) => Buffer[] | undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    let n = 0;
    let buf = Buffer.alloc(0);
    s.on('error', () => s.destroy());
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const body = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + body.length);
        const header = Buffer.from(body.subarray(0, H));
        const out = spoil(n++, header) ?? [Buffer.concat([header, Buffer.from('ND00')])];
        for (const a of out) {
          const f = Buffer.alloc(2 + a.length);
          f.writeUInt16BE(a.length, 0);
          a.copy(f, 2);
          s.write(f);
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

const nc = (port: number): LoadSpec => ({ ...base, connections: 2, port, request: 'NC', answerPrefix: 'ND00', answerLength: 4 });

test('against a fake device: a wrong header, a doubled answer and a missing one are all counted bad', async () => {
  const cases: Array<[string, (n: number, h: Buffer) => Buffer[] | undefined]> = [
    ['honest', () => undefined],
    ['wrong header', (n, h) => (n === 50 ? [Buffer.concat([Buffer.from('99999999'), Buffer.from('ND00')])] : undefined)],
    ['answered twice', (n, h) => (n === 50 ? [Buffer.concat([h, Buffer.from('ND00')]), Buffer.concat([h, Buffer.from('ND00')])] : undefined)],
    ['error code', (n, h) => (n === 50 ? [Buffer.concat([h, Buffer.from('ND41')])] : undefined)],
    ['not answered', (n) => (n === 50 ? [] : undefined)],
  ];
  for (const [name, spoil] of cases) {
    const { server, port } = await fake(spoil);
    try {
      const r = await runLoad(nc(port));
      if (name === 'honest') {
        expect(r.bad, r.firstBad).toBe(0);
        expect(r.answers).toBeGreaterThan(100);
      } else expect(r.bad, name).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  }
});
