/**
 * io/: the non-crypto primitives every layer shares (docs/harness.md, "Shared rooms"): the
 * crash-safe file write with its two temporary-file namings, and the JSON body reader of the
 * harness's local servers, with one behaviour for an empty and for an oversize body, seen through
 * both servers that use it (the operator station and the VsmManager console).
 */
import { test, expect } from '@playwright/test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTemps, STALE_TEMP, writeFileAtomic, writeFileAtomicSync } from '../io/atomic-write.ts';
import { BodyError, readJsonBody } from '../io/json-body.ts';
import { startStation } from '../harness/station/server.ts';
import { startConsole } from '../vsm-manager/server.ts';

test.describe('atomic write', () => {
  let dir: string;
  test.beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'evsm-io-'));
  });
  test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('replaces the file whole, mode 0600, and leaves no temporary file', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    writeFileAtomicSync(file, Buffer.from('new sync'));
    expect(readFileSync(file, 'utf8')).toBe('new sync');
    await writeFileAtomic(file, Buffer.from('new async'), { temp: 'per-write' });
    expect(readFileSync(file, 'utf8')).toBe('new async');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  test('per-write temporary files let overlapping writes of one file all land; per-process ones are one name per process', async () => {
    const file = join(dir, 'token.json');
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.from(JSON.stringify({ write: i, pad: 'x'.repeat(20_000) })));
    await Promise.all(bodies.map((b) => writeFileAtomic(file, b, { temp: 'per-write' })));
    expect(bodies.map((b) => b.toString())).toContain(readFileSync(file, 'utf8'));
    expect(readdirSync(dir)).toEqual(['token.json']);
    // Per process, overlapping writes share one temporary file: one renames it and the others find it gone (why the UKEY files write per write).
    const shared = await Promise.allSettled(bodies.map((b) => writeFileAtomic(file, b, { temp: 'per-process' })));
    expect(shared.some((r) => r.status === 'rejected')).toBe(true);
  });

  test('removeStaleTemps removes what a crash left in both namings, nothing else', () => {
    const left = [`.state.json.${process.pid + 1}.tmp`, `.token.json.${process.pid + 1}.17.tmp`];
    const kept = ['state.json', 'state.json.tmp', '.state.json.tmp', 'notes.12.tmp'];
    for (const n of [...left, ...kept]) writeFileSync(join(dir, n), 'x');
    expect(removeStaleTemps(dir).sort()).toEqual([...left].sort());
    expect(readdirSync(dir).sort()).toEqual([...kept].sort());
    expect(kept.filter((n) => STALE_TEMP.test(n))).toEqual([]);
  });

  test('a write that cannot finish throws and leaves neither the new file nor its temporary', async () => {
    const file = join(dir, 'missing', 'state.json');
    expect(() => writeFileAtomicSync(file, Buffer.from('x'))).toThrow(/ENOENT/);
    await expect(writeFileAtomic(file, Buffer.from('x'))).rejects.toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

/** POSTs `body` with a JSON content type over `agent`; resolves to the status and parsed answer. */
function post(url: string, path: string, body: string | Buffer, agent?: Agent): Promise<{ status: number; json: { error?: string } | undefined; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request(u, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        // an NDJSON answer: its last line
        const last = text.trim().split('\n').pop();
        resolve({ status: res.statusCode ?? 0, json: last ? JSON.parse(last) : undefined, socket: req.socket });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test.describe('JSON body', () => {
  test('one object or a clear refusal: empty, not an object, broken, too large (the rest drained: the connection stays usable)', async () => {
    const server = createServer((req, res) => {
      readJsonBody(req, 1024).then(
        (v) => res.end(JSON.stringify({ got: v })),
        (e: unknown) => {
          res.statusCode = e instanceof BodyError ? e.status : 500;
          res.end(JSON.stringify({ error: (e as Error).message }));
        },
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await post(url, '/', '{"a":1}', agent)).toMatchObject({ status: 200, json: { got: { a: 1 } } });
      expect(await post(url, '/', '', agent)).toMatchObject({ status: 400, json: { error: 'the request body is empty: send a JSON object, e.g. {}' } });
      for (const notObject of ['[1]', 'null', '"x"', '{"a":', '\u00ff']) {
        expect(await post(url, '/', notObject, agent)).toMatchObject({ status: 400, json: { error: 'the request body is not a JSON object' } });
      }
      const big = await post(url, '/', Buffer.alloc(200_000, 0x20), agent);
      expect(big).toMatchObject({ status: 413, json: { error: 'the request body is larger than 1024 bytes' } });
      const after = await post(url, '/', '{}', agent);
      expect(after).toMatchObject({ status: 200, json: { got: {} } });
      expect(after.socket).toBe(big.socket); // the same connection, kept alive after the refusal
    } finally {
      agent.destroy();
      await new Promise((ok) => server.close(ok));
    }
  });

  test('the operator station and the VsmManager console refuse an empty and an oversize body the same way', async () => {
    const station = await startStation({ log: () => {} });
    const dir = mkdtempSync(join(tmpdir(), 'evsm-io-console-'));
    const vsm = await startConsole({ devices: [{ name: 'A', host: '127.0.0.1', port: 9 }], tokensDir: dir, backupDir: dir, log: () => {} });
    try {
      expect(await post(station.url, '/api/notice', '')).toMatchObject({ status: 400, json: { error: 'the request body is empty: send a JSON object, e.g. {}' } });
      expect(await post(station.url, '/api/notice', `{"line":"${'x'.repeat(40_000)}"}`)).toMatchObject({ status: 413, json: { error: 'the request body is larger than 16384 bytes' } });
      expect(await post(vsm.url, '/api/op/backupExport', '')).toMatchObject({ status: 400, json: { error: 'the request body is empty: send a JSON object, e.g. {}' } });
      expect(await post(vsm.url, '/api/op/backupExport', `{"device":"${'x'.repeat(100_000)}"}`)).toMatchObject({ json: { error: 'the request body is larger than 65536 bytes' } });
    } finally {
      await station.close();
      await vsm.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
