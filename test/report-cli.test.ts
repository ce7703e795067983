import { test, expect } from '@playwright/test';
import { mkdirSync, writeFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main as reportMain } from '../harness/cli/report.ts';
import { javaVersion } from '../reports/allure.ts';
import { writeSynthetic } from './fixtures/reports/synthetic.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

/** Runs the report verb in-process and returns its exit code and printed lines. */
async function report(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const err = console.error;
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) (saved[k] = process.env[k]), (process.env[k] = v);
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  console.error = console.log;
  try {
    return { code: await reportMain(args), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = err;
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('no results at all: one line per report saying what is missing, exit 1', async () => {
  const dir = tempDir('evsm-report-empty-');
  const r = await report(['--results', dir]);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^report: allure +not built: no Allure results at .*allure-results: add the allure-playwright reporter/m);
  expect(r.out).toMatch(/^report: certification +not built: no test results at .*results\.json: run the catalog first \(npm run lab\)$/m);
  expect(r.out).not.toMatch(/^\s+at /m);
});

test('a damaged Allure result file costs only the Allure report', async () => {
  test.skip(!javaVersion(), 'Java is not installed: run npm run setup:system');
  const dir = writeSynthetic(tempDir('evsm-report-damaged-'));
  mkdirSync(join(dir, 'allure-results'));
  writeFileSync(join(dir, 'allure-results', 'x-result.json'), '{ not json');
  const r = await report(['--results', dir, '--lab-name', 'Damaged Lab'], { EVSM_LAB_CHROMIUM: '/nonexistent' });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^report: allure +not built: could not stage the Allure results/m);
  expect(r.out).toMatch(/^report: certification +.*certification\.html +\(SM3 [0-9A-F]{64}, not signed\)$/m);
  expect(readFileSync(join(dir, 'certification', 'certification.html'), 'utf8')).toContain('Damaged Lab');
});

test('usage errors exit 2; a bad key file is one line that does not echo the key', async () => {
  expect((await report(['--bogus'])).code).toBe(2);
  expect((await report(['--only', 'pdf'])).code).toBe(2);
  expect((await report(['verify'])).code).toBe(2);
  const dir = writeSynthetic(tempDir('evsm-report-badkey-'));
  const keyFile = join(dir, 'bad.key');
  writeFileSync(keyFile, 'not-a-key-but-a-secret-0123');
  const r = await report(['--results', dir, '--sign-key', keyFile]);
  expect(r.code).toBe(1);
  expect(r.out).toBe(`evsm-lab report: signing key from ${keyFile} is not an SM2 private key (expected 64 hex digits)`);
  expect(existsSync(join(dir, 'certification'))).toBe(false);
});

test('keygen writes a private key (mode 600) and a public key that verify accepts; it never overwrites', async () => {
  const dir = tempDir('evsm-report-keygen-');
  const g = await report(['keygen', '--out', dir]);
  expect(g.code).toBe(0);
  const key = readFileSync(join(dir, 'lab-sm2.key'), 'utf8').trim();
  expect(key).toMatch(/^[0-9A-F]{64}$/);
  expect(g.out).not.toContain(key);
  expect(readFileSync(join(dir, 'lab-sm2.pub'), 'utf8').trim()).toMatch(/^04[0-9A-F]{128}$/);
  expect(statSync(join(dir, 'lab-sm2.key')).mode & 0o777).toBe(0o600);
  expect((await report(['keygen', '--out', dir])).code).toBe(2);

  const results = writeSynthetic(join(dir, 'run'));
  const b = await report(['--results', results, '--only', 'certification', '--sign-key-env', 'EVSM_TEST_SIGN_KEY'], { EVSM_TEST_SIGN_KEY: key, EVSM_LAB_CHROMIUM: '/nonexistent' });
  expect(b.out).toMatch(/signed with key [0-9A-F]{16}/);
  expect(b.out).not.toContain(key);
  const v = await report(['verify', join(results, 'certification', 'certification.html'), '--public-key', join(dir, 'lab-sm2.pub')]);
  expect(v.code).toBe(0);
  expect(v.out).toMatch(/signature +OK +SM2, made with the given lab key/);
});

test('a secret in a binary attachment that redaction cannot reach stops the Allure report', async () => {
  test.skip(!javaVersion(), 'Java is not installed: run npm run setup:system');
  const dir = writeSynthetic(tempDir('evsm-report-binleak-'));
  mkdirSync(join(dir, 'allure-results'));
  writeFileSync(join(dir, 'allure-results', 'b1-attachment.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from('PIN 24681357'), Buffer.from([255])]));
  const r = await report(['--results', dir, '--only', 'allure'], { EVSM_LAB_PIN_TEST: '24681357' });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^report: allure +not built: refused: the result file b1-attachment\.bin holds a secret/m);
  expect(existsSync(join(dir, 'allure-report'))).toBe(false);
});
