/**
 * H1/H2/H3 contexts carry the whole hash state: every algorithm, chunked at random, equals the
 * one-shot digest (OpenSSL); a context moves between two devices (the SDK's round robin); a
 * re-sent H2 gets the same answer; a damaged context is refused with 15.
 */
import { test, expect } from '@playwright/test';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device } from '../emulators/evsm/device/device.ts';
import { dispatch } from '../emulators/evsm/host/dispatch.ts';

let dir: string;
let a: Device;
let b: Device;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-sjj-hash-'));
  a = new Device(join(dir, 'a'), 'a');
  b = new Device(join(dir, 'b'), 'b'); // a factory device: hashing needs no DMK
});
test.afterAll(() => {
  a.close();
  b.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (d: Device, ...parts: Array<string | Buffer>): Buffer =>
  dispatch({ device: d }, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))), 0).answer;
const four = (n: number): string => String(n).padStart(4, '0');
const ctxOf = (answer: Buffer): Buffer => {
  expect(answer.subarray(2, 4).toString()).toBe('00');
  return answer.subarray(8, 8 + Number(answer.subarray(4, 8).toString()));
};

const ALGS: Array<[string, string]> = [['01', 'sha1'], ['02', 'md5'], ['05', 'sha224'], ['06', 'sha256'], ['07', 'sha384'], ['08', 'sha512'], ['20', 'sm3']];

test('every algorithm, random data in random chunks, alternating devices = the one-shot digest', () => {
  for (const [alg, node] of ALGS) {
    for (let round = 0; round < 8; round++) {
      const data = randomBytes(randomInt(0, 9000));
      let ctx = ctxOf(send(a, 'H1', alg, alg === '20' ? '00000000' : ''));
      let off = 0;
      let dev = 0;
      while (off < data.length) {
        const n = Math.min(randomInt(1, 4097), data.length - off);
        const chunk = data.subarray(off, off + n);
        const d = dev++ % 2 ? b : a;
        const first = send(d, 'H2', four(ctx.length), ctx, four(n), chunk);
        // the SDK re-sends a timed-out H2 (maybe to the other host): the same answer
        expect(send(dev % 2 ? b : a, 'H2', four(ctx.length), ctx, four(n), chunk).equals(first)).toBe(true);
        ctx = ctxOf(first);
        off += n;
      }
      const h = send(dev % 2 ? b : a, 'H3', four(ctx.length), ctx);
      const want = createHash(node).update(data).digest();
      expect(h.subarray(0, 6).toString('latin1'), `${alg} of ${data.length} bytes`).toBe(`H400${String(want.length).padStart(2, '0')}`);
      expect(h.subarray(6).toString('hex'), `${alg} of ${data.length} bytes`).toBe(want.toString('hex'));
    }
  }
});

test('a damaged or foreign context → 15; an unknown algorithm → 74', () => {
  const ctx = ctxOf(send(a, 'H1', '06'));
  for (const bad of [Buffer.from('EVHC'), Buffer.concat([ctx, Buffer.from([0])]), Buffer.from(ctx.toString('latin1').replace('EVHC', 'XXXX'), 'latin1')]) {
    expect(send(a, 'H2', four(bad.length), bad, '0001', 'x').subarray(0, 4).toString()).toBe('H315');
  }
  expect(send(a, 'H199').subarray(0, 4).toString()).toBe('H274');
});
