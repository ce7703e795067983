import { test, expect } from '@playwright/test';
import { buildCertification, compareIds } from '../reports/certification/model.ts';
import { parseResults, cleanMessage } from '../reports/playwright-results.ts';
import { Redactor } from '../reports/redact.ts';
import { syntheticReport, syntheticWithTokenUses } from './fixtures/reports/synthetic.ts';
import { renderCertification, MAX_ROWS } from '../reports/certification/render.ts';
import { makeSeal } from '../reports/seal.ts';

test('only scenario runs on target projects are certified; the rest are counted', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  expect(data.runs.map((x) => `${x.id}/${x.target}/${x.status}`)).toEqual([
    'KS-01/embedded/passed', 'KS-01/hardware/passed', 'DMK-02/embedded/failed', 'DMK-02/hardware/skipped',
  ]);
  expect(data.otherTests).toBe(2);
  expect(data.targets).toEqual(['embedded', 'hardware']);
  expect(data.devices.map((d) => d.serial)).toEqual(['SN-embedded-A', 'SN-hardware-A']);
  expect(data.tokens.map((t) => t.serial)).toEqual(['VUK-1', 'VUK-2', 'VUK-1', 'VUK-2']);
});

test('token uses recorded by the harness become one row per token with all its uses; its role only as read back', () => {
  const uses = [
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'KBK 1/3', step: 'BE-03' },
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'KBK 1/3', step: 'RI-02' },
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'restore share', step: 'RI-03' },
  ];
  const data = buildCertification(parseResults(syntheticWithTokenUses(uses) as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  expect(data.tokens.filter((t) => t.serial === 'VUK-7')).toEqual([{ target: 'embedded', serial: 'VUK-7', label: 'KBK-A', uses: 'KBK 1/3, restore share', role: 'kbk (KS-01)', verified: true }]);
});

test('catalog order: KS, DMK, EXT, HA, then other prefixes; numbers numerically', () => {
  expect(['HA-01', 'X-1', 'DMK-10', 'KS-02', 'DMK-2', 'EXT-01', 'KS-01'].sort(compareIds)).toEqual(['KS-01', 'KS-02', 'DMK-2', 'DMK-10', 'EXT-01', 'HA-01', 'X-1']);
});

test('failure reasons lose colour codes, the source snippet and the stack', () => {
  const msg = '\u001b[31mError: KCV differs\u001b[39m\n\nExpected: "A"\n\n  54 |   x\n> 55 |   expect(a)\n     |   ^\n    at f (a.ts:55:3)';
  expect(cleanMessage(msg)).toBe('Error: KCV differs\n\nExpected: "A"');
});

test('KCV rows print as one line per key with a column per device, equal or differ, capped', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  const rows = [];
  for (let i = 1; i <= 60; i++) for (const device of ['A', 'B']) rows.push({ device, index: i, type: 'ZPK', kcv: device === 'B' && i === 7 ? 'FFFF000000000000' : `${String(i).padStart(4, '0')}AABBCCDDEEFF` });
  data.runs[0].evidence = [{ name: 'kcv-table', contentType: 'application/json', kind: 'kcv', sm3: 'X', value: rows }];
  const html = renderCertification(data, makeSeal(data));
  const table = html.slice(html.indexOf('<h3>KS-01'), html.indexOf('SM3 X'));
  expect(table).toContain('<th>Index</th><th>Type</th><th>A</th><th>B</th><th>KCVs</th>');
  expect(table.match(/<tr><td>/g)).toHaveLength(MAX_ROWS);
  expect(table.match(/>differ</g)).toHaveLength(1);
  expect(table).toMatch(/<td>7<\/td><td>ZPK<\/td><td><code>0007AABBCCDDEEFF<\/code><\/td><td><code>FFFF000000000000<\/code><\/td><td><span class="st st-failed">differ/);
  expect(table).toContain('10 more rows not printed');
});

test('the page summarises steps per procedure, lists facts, and groups fresh emulator devices', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  const run = data.runs[0];
  run.steps = ['original-init.open', 'original-init.write-component-ukeys', 'backup-export.open', 'verify: same KCVs on A and B'];
  run.evidence.push(
    { name: 'facts', contentType: 'application/json', kind: 'facts', sm3: 'F', value: { 'keys restored': 12, 'A auth policy': '2-of-3' } },
    { name: 'procedure-steps', contentType: 'application/json', kind: 'steps', sm3: 'S', value: [{ id: 'a', how: 'performed' }, { id: 'b', how: 'performed' }, { id: 'c', how: 'prompted' }] },
  );
  data.devices = ['EMU-A-1', 'EMU-A-2', 'EMU-A-3', 'EMU-A-4', 'EMU-A-5'].map((serial, i) => ({ target: 'embedded', name: 'A', model: 'SJJ1310', serial, address: `127.0.0.1:${1000 + i}` }));
  const html = renderCertification(data, makeSeal(data));
  expect(html).toContain('<code>original-init</code> ×2 → <code>backup-export</code> → <code>verify: same KCVs on A and B</code> <span class="note">(2 performed, 1 prompted)</span>');
  expect(html).toMatch(/<td><b class="id">KS-01<\/b><\/td><td>embedded<\/td><td>keys restored<\/td><td><code>12<\/code><\/td>/);
  expect(html).toContain('<td>embedded</td><td>A</td><td>SJJ1310</td><td>5 devices: EMU-A-1, EMU-A-2, EMU-A-3 and 2 more</td>');
});

test('the DMK check value table says equal or differ too; facts print as tables, not JSON', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  data.runs[0].evidence = [
    { name: 'dmk-kcv', contentType: 'application/json', kind: 'kcv', sm3: 'D', value: [
      { device: 'A', kcv: '2677F46B09C122CC', when: 'after init' }, { device: 'B', kcv: '2677F46B09C122CC', when: 'after init' },
      { device: 'A', kcv: '2677F46B09C122CC', when: 'after export' }, { device: 'B', kcv: '0000000000000001', when: 'after export' },
    ] },
    { name: 'facts', contentType: 'application/json', kind: 'facts', sm3: 'F', value: { 'HA-01 stream': { commands: 200, failed: 0, hosts: [{ name: 'A', state: 'down' }, { name: 'B', state: 'up' }] } } },
  ];
  const html = renderCertification(data, makeSeal(data));
  const dmk = html.slice(html.indexOf('dmk-kcv</h3>'), html.indexOf('SM3 D'));
  expect(dmk).toContain('<th>Read</th><th>Type</th><th>A</th><th>B</th><th>KCVs</th>');
  expect(dmk).toMatch(/<td>after init<\/td>.*st-passed">equal/);
  expect(dmk).toMatch(/<td>after export<\/td>.*st-failed">differ/);
  // read once per device at different moments: one row comparing the last values
  data.runs[0].evidence[0].value = [{ device: 'A', kcv: '2677F46B09C122CC', when: 'original init' }, { device: 'B', kcv: '2677F46B09C122CC', when: 'recovery init' }];
  const once = renderCertification(data, makeSeal(data));
  expect(once.slice(once.indexOf('dmk-kcv</h3>'), once.indexOf('SM3 D'))).toMatch(/<td>last read on each device<\/td>.*st-passed">equal/);
  const facts = html.slice(html.indexOf('Facts recorded'), html.indexOf('Evidence index'));
  expect(facts).not.toContain('{&quot;');
  expect(facts).toContain('<td>commands</td><td><code>200</code></td>');
  expect(facts).toMatch(/<th>name<\/th><th>state<\/th>.*<td><code>A<\/code><\/td><td><code>down<\/code><\/td>/s);
});

test('two variants of one scenario id get different KCV headings', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  const ev = { name: 'kcv-table', contentType: 'application/json', kind: 'kcv', sm3: 'X', value: [{ device: 'A', index: 1, kcv: '0001AABBCCDDEEFF' }] };
  const variant = (title: string) => ({ ...data.runs[0], title, evidence: [ev] });
  data.runs = [variant('KS-01 restore from a file'), variant('KS-01 restore from a UKEY')];
  const headings = renderCertification(data, makeSeal(data)).match(/<h3>KS-01[^<]*<\/h3>/g);
  expect(headings).toHaveLength(2);
  expect(new Set(headings).size).toBe(2);
});

test('a run that executed no scenario writes no certificate and removes an old one', async () => {
  const { buildReports } = await import('../reports/build.ts');
  const { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'evsm-nocert-'));
  try {
    const report = JSON.parse(JSON.stringify(syntheticReport()));
    // every test of the sample, however deep its suite: skipped
    const skipAll = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      const o = v as { projectName?: string; status?: string; results?: { status: string; errors: unknown[] }[] };
      if (o.projectName && Array.isArray(o.results)) {
        o.status = 'skipped';
        for (const r of o.results) Object.assign(r, { status: 'skipped', errors: [] });
      }
      for (const x of Object.values(v)) skipAll(x);
    };
    skipAll(report);
    writeFileSync(join(dir, 'results.json'), JSON.stringify(report));
    mkdirSync(join(dir, 'certification'));
    writeFileSync(join(dir, 'certification', 'certification.html'), 'from an earlier run');
    const out = await buildReports({ results: dir, out: dir, only: 'certification' });
    expect(out).toEqual([expect.objectContaining({ part: 'certification', ok: false, message: expect.stringMatching(/no scenario of the catalog was executed .*no certificate written/) })]);
    expect(existsSync(join(dir, 'certification', 'certification.html'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
