/**
 * Conformance layer (a) (issue 10): the vendor SDK's recorded calls (test/data/sdk-transcripts,
 * recorded with conformance/record/record.ts) are replayed against a fresh test device with the
 * same DMK, and every answer must be the one the SDK accepted (conformance/record/replay.ts has
 * the comparison rules for random answers). Needs no SDK: the recordings are the test data.
 */
import { test, expect } from '@playwright/test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exchange, startTestDevice } from '../conformance/record/device.ts';
import { ReplayState, compare, replay } from '../conformance/record/replay.ts';
import { isTranscript, type Transcript } from '../conformance/record/transcript.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'data', 'sdk-transcripts');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

function load(file: string): Transcript {
  const t: unknown = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
  if (!isTranscript(t)) throw new Error(`${file} is not a transcript (docs/conformance.md)`);
  return t;
}

test('the transcripts are there and well-formed', () => {
  expect(files.length, `no transcripts in ${DIR}: record them (docs/conformance.md)`).toBeGreaterThan(0);
  for (const f of files) {
    const t = load(f);
    expect(t.calls.length, f).toBeGreaterThan(0);
    for (const c of t.calls) {
      expect(typeof c.call === 'string' && typeof c.method === 'string' && Array.isArray(c.args), `${f}: ${c.call}`).toBe(true);
      expect('returned' in c || 'threw' in c, `${f}: ${c.call} has neither returned nor threw`).toBe(true);
      for (const x of c.exchanges) {
        expect(x.request, `${f}: ${c.call}`).toMatch(/^([0-9A-F]{2})+$/);
        expect(x.response, `${f}: ${c.call}`).toMatch(/^([0-9A-F]{2})+$/);
        // No heartbeat may hide in a call (decision 13).
        expect(Buffer.from(x.request, 'hex').toString('latin1'), `${f}: ${c.call}`).not.toBe('CR0016');
      }
    }
  }
});

test('replay rules: a random key stored by A0 makes later uses of its index shape-only; A6 and KF clean it', () => {
  const s = new ReplayState();
  const h = (t: string): string => Buffer.from(t, 'latin1').toString('hex');
  expect(s.classify(h('A0000AXK000104test'), h('A100X0011'))).toBe('shape');
  expect(s.classify(h('KG0001'), h('KH00'))).toBe('kg-cv');
  expect(s.classify(h('S30000AK00010000050008abcdefgh'), h('S400'))).toBe('shape');
  expect(s.classify(h('S30000AK00020000050008abcdefgh'), h('S400'))).toBe('exact');
  expect(s.classify(h('KF01K0001'), h('KG00'))).toBe('shape');
  expect(s.classify(h('KG0001'), h('KH45'))).toBe('kg');
  expect(s.classify(h(`A6000X${'1'.repeat(32)}X${'2'.repeat(32)}XK000103zmk`), h('A700'))).toBe('exact');
  expect(s.classify(h('A01000XK0001X'), h('A100'))).toBe('shape');
  expect(s.classify(h('E707K006003sm2'), h('E800'))).toBe('shape');
  expect(s.classify(h('E2K0060'), h('E300'))).toBe('shape');
  expect(s.classify(h('E2K0061'), h('E300'))).toBe('exact');
  expect(compare('kg', h('KH0000AX112233445566778804test1420240101123456'), Buffer.from('KH0000AX112233445566778804test1420991231235959'))).toBeUndefined();
  expect(compare('kg', h('KH0000AX112233445566778804test1420240101123456'), Buffer.from('KH0000AX112233445566778904test1420240101123456'))).toBeDefined();
  expect(compare('kg-cv', h('KH0000AX112233445566778804test1420240101123456'), Buffer.from('KH0000AXAABBCCDDEEFF001104test1420991231235959'))).toBeUndefined();
});

for (const file of files) {
  test(`replay ${file}: the emulator answers as the SDK accepted`, async () => {
    const t = load(file);
    // Answers the SDK accepted but a conformance check found wrong when recorded: say so.
    for (const f of t.failedChecks ?? []) test.info().annotations.push({ type: 'failed when recorded', description: `${f.check}: ${f.detail}` });
    const device = await startTestDevice({ name: `REPLAY-${file.replace(/\W/g, '')}`, headerLength: t.headerLength });
    try {
      const x8 = (await exchange(device.port, Buffer.from('X8'), t.headerLength)).toString('latin1');
      expect(x8, 'the test device must hold the DMK the recording had (conformance/record/device.ts)').toBe(`X900${t.device.dmkCheckValue}`);
      const { mismatches, exchanges } = await replay(t, device.port);
      const report = mismatches.map((m) => `${m.call} #${m.exchange} [${m.rule}]\n  sent ${m.request}\n  SDK accepted ${m.expected}\n  emulator now ${m.got}`).join('\n');
      expect(mismatches, `${mismatches.length} of ${exchanges} answers differ:\n${report}`).toEqual([]);
      expect(exchanges).toBeGreaterThan(0);
    } finally {
      await device.stop();
    }
  });
}
