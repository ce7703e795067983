import { test, expect } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sm2GenerateKeyPair, hex, sm3 } from '../crypto/index.ts';
import { canonicalJson, digestOf } from '../reports/canonical.ts';
import { buildReports } from '../reports/build.ts';
import { verifyCertificationHtml } from '../reports/certification/verify.ts';
import { DATA_ELEMENT_ID, SEAL_ELEMENT_ID, scriptJson } from '../reports/certification/render.ts';
import { main as reportMain } from '../harness/cli/report.ts';
import { writeSynthetic } from './fixtures/reports/synthetic.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

test.describe('canonical form', () => {
  test('sorts members, drops undefined, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x"'], c: undefined, A: { z: 0, y: -2 } })).toBe('{"A":{"y":-2,"z":0},"a":[true,null,"x\\""],"b":1}');
  });

  test('the digest does not depend on member order; it is SM3 of the canonical UTF-8 bytes', () => {
    const a = { lab: '实验室', runs: [{ id: 'KS-01', status: 'passed' }] };
    const b = { runs: [{ status: 'passed', id: 'KS-01' }], lab: '实验室' };
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(a)).toBe(hex(sm3(Buffer.from('{"lab":"实验室","runs":[{"id":"KS-01","status":"passed"}]}', 'utf8'))));
    expect(digestOf({ ...a, lab: 'other' })).not.toBe(digestOf(a));
  });

  test('refuses non-integers, whose formatting is not canonical', () => {
    expect(() => canonicalJson({ d: 1.5 })).toThrow(/safe integers/);
  });
});

test.describe('seal and verify', () => {
  let dir: string;
  let keyFile: string;
  let pubFile: string;
  let otherPub: string;
  let html: string;

  test.beforeAll(async () => {
    dir = tempDir('evsm-report-seal-');
    writeSynthetic(dir);
    const kp = sm2GenerateKeyPair();
    keyFile = join(dir, 'lab.key');
    pubFile = join(dir, 'lab.pub');
    otherPub = join(dir, 'other.pub');
    writeFileSync(keyFile, hex(kp.privateKey) + '\n');
    writeFileSync(pubFile, hex(kp.publicKey) + '\n');
    writeFileSync(otherPub, hex(sm2GenerateKeyPair().publicKey));
    // Certification only, and no PDF: this file tests the seal, not the printing.
    const out = await buildReports({ results: dir, only: 'certification', signKey: keyFile, labName: 'Seal Lab', env: { ...process.env, EVSM_LAB_CHROMIUM: '/nonexistent' } });
    expect(out.find((o) => o.part === 'certification')?.ok).toBe(true);
    html = readFileSync(join(dir, 'certification', 'certification.html'), 'utf8');
  });

  const status = (checks: { name: string; ok: boolean }[]) => Object.fromEntries(checks.map((c) => [c.name, c.ok]));

  test('an untouched signed report verifies with the lab key', () => {
    const pub = Buffer.from(readFileSync(pubFile, 'utf8').trim(), 'hex');
    expect(status(verifyCertificationHtml(html, pub))).toEqual({ digest: true, content: true, signature: true });
  });

  test('the private key never appears in the report', () => {
    expect(html).not.toContain(readFileSync(keyFile, 'utf8').trim());
    expect(html.toLowerCase()).not.toContain(readFileSync(keyFile, 'utf8').trim().toLowerCase());
  });

  test('edited page text (a failure turned into a pass) fails the content check', () => {
    const tampered = html.replace('data-status="failed">failed<', 'data-status="failed">passed<');
    expect(tampered).not.toBe(html);
    const checks = verifyCertificationHtml(tampered);
    expect(status(checks)).toEqual({ digest: true, content: false, signature: true });
    expect(checks.find((c) => c.name === 'content')?.detail).toMatch(/edited after it was made.*line \d+/);
  });

  function swapData(page: string, edit: (data: Record<string, unknown>) => void, resealDigest: boolean): string {
    const re = new RegExp(`(<script type="application/json" id="${DATA_ELEMENT_ID}">)([\\s\\S]*?)(</script>)`);
    const data = JSON.parse(re.exec(page)![2]) as Record<string, unknown>;
    edit(data);
    let out = page.replace(re, (_m, a: string, _b: string, c: string) => `${a}${scriptJson(data as never)}${c}`);
    if (resealDigest) {
      const sre = new RegExp(`(<script type="application/json" id="${SEAL_ELEMENT_ID}">)([\\s\\S]*?)(</script>)`);
      const seal = JSON.parse(sre.exec(out)![2]) as { digest: string };
      seal.digest = digestOf(data as never);
      out = out.replace(sre, (_m, a: string, _b: string, c: string) => `${a}${scriptJson(seal as never)}${c}`);
    }
    return out;
  }

  test('edited embedded results fail the digest check', () => {
    const tampered = swapData(html, (d) => ((d.runs as { status: string }[])[2].status = 'passed'), false);
    const checks = verifyCertificationHtml(tampered);
    expect(status(checks).digest).toBe(false);
    expect(checks.find((c) => c.name === 'digest')?.detail).toMatch(/results were changed/);
  });

  test('results and digest both recomputed by a forger: the signature fails', () => {
    const tampered = swapData(html, (d) => ((d.runs as { status: string }[])[2].status = 'passed'), true);
    const checks = status(verifyCertificationHtml(tampered));
    expect(checks.digest).toBe(true);
    expect(checks.signature).toBe(false);
  });

  test('a page made with another layout version says so instead of calling it edited', () => {
    const other = swapData(html, (d) => (d.layout = 'evsm-lab/certification-page/0'), true);
    const content = verifyCertificationHtml(other).find((c) => c.name === 'content');
    expect(content?.ok).toBe(false);
    expect(content?.detail).toMatch(/made with layout evsm-lab\/certification-page\/0 .* verify it with the evsm-lab version that made it \(\d+\.\d+\.\d+\)/);
  });

  test('a report signed by another key fails against the lab key', () => {
    const other = Buffer.from(readFileSync(otherPub, 'utf8').trim(), 'hex');
    const sig = verifyCertificationHtml(html, other).find((c) => c.name === 'signature');
    expect(sig?.ok).toBe(false);
    expect(sig?.detail).toMatch(/not with the given lab key/);
  });

  test('CLI: verify exits 0 on the original, 1 on a tampered copy, and names the failing check', async () => {
    const file = join(dir, 'certification', 'certification.html');
    const tamperedFile = join(dir, 'tampered.html');
    writeFileSync(tamperedFile, html.replace('Seal Lab', 'Other Lab'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      expect(await reportMain(['verify', file, '--public-key', pubFile])).toBe(0);
      expect(lines.at(-1)).toMatch(/^verified \(signed by the given lab key [0-9A-F]{16}\)$/);
      expect(await reportMain(['verify', tamperedFile, '--public-key', pubFile])).toBe(1);
      expect(lines.at(-1)).toBe('NOT VERIFIED: content failed');
      expect(await reportMain(['verify', join(dir, 'certification', 'certification.pdf')])).toBe(1);
    } finally {
      console.log = log;
    }
  });

  test('an unsigned report verifies its digest, and fails when a lab key is demanded', async () => {
    const d2 = tempDir('evsm-report-unsigned-');
    writeSynthetic(d2);
    await buildReports({ results: d2, only: 'certification', env: { ...process.env, EVSM_LAB_CHROMIUM: '/nonexistent' } });
    const page = readFileSync(join(d2, 'certification', 'certification.html'), 'utf8');
    expect(status(verifyCertificationHtml(page))).toEqual({ digest: true, content: true, signature: true });
    const pub = Buffer.from(readFileSync(pubFile, 'utf8').trim(), 'hex');
    expect(status(verifyCertificationHtml(page, pub)).signature).toBe(false);
  });
});
