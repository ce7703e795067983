import { test, expect } from '@playwright/test';
import { buildCertification, compareIds } from '../reports/certification/model.ts';
import { parseResults, cleanMessage } from '../reports/playwright-results.ts';
import { Redactor } from '../reports/redact.ts';
import { syntheticReport } from './fixtures/reports/synthetic.ts';

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

test('token uses recorded by the harness become one row per token with all its roles', () => {
  const report = syntheticReport() as { suites: { specs: { tests: { results: { attachments: { name: string; body?: string }[] }[] }[] }[] }[] };
  const uses = [
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'KBK 1/3', step: 'BE-03' },
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'KBK 1/3', step: 'RI-02' },
    { serial: 'VUK-7', label: 'KBK-A', role: 'kbk', as: 'restore share', step: 'RI-03' },
  ];
  const att = report.suites[0].specs[0].tests[0].results[0].attachments.find((a) => a.name === 'token-serials')!;
  att.body = Buffer.from(JSON.stringify(uses)).toString('base64');
  const data = buildCertification(parseResults(report as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  expect(data.tokens.filter((t) => t.serial === 'VUK-7')).toEqual([{ target: 'embedded', serial: 'VUK-7', label: 'KBK-A', role: 'KBK 1/3, restore share' }]);
});

test('catalog order: KS, DMK, EXT, HA, then other prefixes; numbers numerically', () => {
  expect(['HA-01', 'X-1', 'DMK-10', 'KS-02', 'DMK-2', 'EXT-01', 'KS-01'].sort(compareIds)).toEqual(['KS-01', 'KS-02', 'DMK-2', 'DMK-10', 'EXT-01', 'HA-01', 'X-1']);
});

test('failure reasons lose colour codes, the source snippet and the stack', () => {
  const msg = '\u001b[31mError: KCV differs\u001b[39m\n\nExpected: "A"\n\n  54 |   x\n> 55 |   expect(a)\n     |   ^\n    at f (a.ts:55:3)';
  expect(cleanMessage(msg)).toBe('Error: KCV differs\n\nExpected: "A"');
});
