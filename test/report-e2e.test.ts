/**
 * End to end: a sample catalog run (child Playwright process over test/fixtures/reports) with
 * the json and allure-playwright reporters, then `report`, then both reports opened in
 * Chromium: every scenario of the run must be listed with its status.
 */
import { test, expect, chromium, type Browser, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReports, type PartOutcome } from '../reports/build.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../reports/chromium.ts';
import { readResults, type TestRun } from '../reports/playwright-results.ts';
import { javaVersion } from '../reports/allure.ts';
import { verifyCertificationFile } from '../reports/certification/verify.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures', 'reports');
const PLANTED_PIN = '87654321';

/** Environment for a child Playwright run, without the parent runner's worker variables. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(TEST_|PW_|PLAYWRIGHT_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

test.describe.serial('reports of a sample run', () => {
  const noChromium = !existsSync(chromiumPath());
  test.skip(noChromium, `Chromium is not installed at ${chromiumPath()}: run npm run setup:system`);

  let tmp: string;
  let runDir: string;
  let outDir: string;
  let runs: TestRun[];
  let outcomes: PartOutcome[];
  let browser: Browser;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    tmp = mkdtempSync(join(tmpdir(), 'evsm-report-e2e-'));
    runDir = join(tmp, 'run');
    outDir = join(tmp, 'out');
    // Chromium starts beside the sample run and the report build (it needs neither).
    const launching = chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      await sampleRunAndReports();
    } finally {
      browser = await launching;
    }
  });

  async function sampleRunAndReports(): Promise<void> {
    const cli = join(dirname(createRequire(import.meta.url).resolve('@playwright/test/package.json')), 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'test', '-c', join(fixtures, 'playwright.config.ts')], {
      cwd: root, env: childEnv({ EVSM_LAB_OUTPUT: runDir }), encoding: 'utf8',
    });
    // The sample has a deliberate failure, so exit 1 is the expected outcome.
    expect(r.status, r.stderr).toBe(1);
    runs = readResults(join(runDir, 'results.json')).tests;
    expect(runs.length).toBe(6);
    outcomes = await buildReports({ results: runDir, out: outDir, labName: 'E2E Lab', secrets: [PLANTED_PIN] });
  }

  test.afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('every part is built', () => {
    const java = javaVersion();
    for (const o of outcomes) {
      if (o.part === 'allure' && !java) continue;
      expect(o.ok, `${o.part}: ${o.message}`).toBe(true);
    }
    const pdf = readFileSync(join(outDir, 'certification', 'certification.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  test('the PDF verifies against its detached seal; a changed PDF does not', () => {
    const pdf = join(outDir, 'certification', 'certification.pdf');
    const ok = (checks: { name: string; ok: boolean }[]) => Object.fromEntries(checks.map((c) => [c.name, c.ok]));
    expect(ok(verifyCertificationFile(pdf))).toEqual({ digest: true, content: true, signature: true });
    const changed = join(outDir, 'changed.pdf');
    writeFileSync(changed, Buffer.concat([readFileSync(pdf), Buffer.from('\n% edited\n')]));
    copyFileSync(`${pdf}.seal.json`, `${changed}.seal.json`);
    expect(ok(verifyCertificationFile(changed))).toEqual({ digest: true, content: false, signature: true });
  });

  test('the certification page lists every scenario × target with its status', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${join(outDir, 'certification', 'certification.html')}`);
    await expect(page.locator('#lab')).toHaveText('E2E Lab');
    for (const r of runs) {
      const cell = page.locator(`.matrix [data-scenario="${r.id}"][data-target="${r.project}"]`);
      await expect(cell, `${r.id} on ${r.project}`).toHaveAttribute('data-status', r.status);
      await expect(cell).toContainText(r.status);
    }
    await expect(page.locator('table.runs tbody tr')).toHaveCount(runs.length);
    await expect(page.locator('#verdict')).toContainText('2 passed, 2 failed, 2 skipped');
    // Deviations carry their reasons; the KCV evidence is shown; the planted PIN is not.
    await expect(page.locator('table.dev')).toContainText('needs two devices on the bench');
    await expect(page.locator('table.dev')).toContainText('RC-05 combine DMK');
    await expect(page.locator('table.kcv').first()).toContainText('08D7B4FB629D0885');
    expect(await page.content()).not.toContain(PLANTED_PIN);
    await page.close();
  });

  async function allureLeaves(page: Page): Promise<{ name: string; target: string; status: string }[]> {
    await page.goto(`file://${join(outDir, 'allure-report', 'index.html')}#suites`);
    await page.locator('.node__title').first().waitFor();
    const closed = page.locator('.node[data-node-kind="group"]:not(.node__expanded) > .node__title');
    while (await closed.count()) await closed.first().click();
    return page.locator('a.node__leaf').evaluateAll((leaves) =>
      leaves.map((l) => ({
        name: l.querySelector('.node__name')?.textContent?.trim() ?? '',
        target: l.querySelector('.node__parameters')?.textContent?.replace(/,\s*$/, '').trim() ?? '',
        status: /status-icon_status_(\w+)/.exec(l.querySelector('.status-icon')?.getAttribute('class') ?? '')?.[1] ?? '',
      })),
    );
  }

  test('the Allure report lists every scenario × target with its status', async () => {
    test.skip(!javaVersion(), 'Java is not installed: run npm run setup:system');
    const page = await browser.newPage();
    const leaves = await allureLeaves(page);
    expect(leaves).toHaveLength(runs.length);
    for (const r of runs) {
      expect(leaves, `${r.title} on ${r.project}`).toContainEqual({ name: r.title, target: r.project, status: r.status });
    }
    await page.close();
  });

  test('Allure shows the steps by procedure step id, the evidence, and the environment; secrets are redacted', async () => {
    test.skip(!javaVersion(), 'Java is not installed: run npm run setup:system');
    const page = await browser.newPage();
    await allureLeaves(page);
    await page.locator('a.node__leaf', { hasText: 'KS-01' }).first().click();
    const body = page.locator('.test-result');
    for (const step of ['BE-01 choose keys', 'BE-02 write KBK tokens', 'RI-01 restore import', 'kcv-table', 'token-serials']) {
      await expect(body).toContainText(step);
    }
    // Open the transcript attached inside step BE-02.
    await page.locator('.step__title', { hasText: 'BE-02' }).click();
    await page.locator('.attachment-row', { hasText: 'host-transcript' }).click();
    await expect(body).toContainText('PIN=[REDACTED]');
    expect(await body.innerText()).not.toContain(PLANTED_PIN);
    await page.goto(`file://${join(outDir, 'allure-report', 'index.html')}#`);
    const env = page.locator('[data-id="environment"], .widget', { hasText: 'Environment' }).first();
    await expect(env).toContainText('embedded, hardware');
    await expect(env).toContainText('SJJ1310 EVSM-EMU-A-0001');
    await page.close();
  });

  test('without Java and Chromium: one line each saying what to install, and the HTML still gets built', () => {
    const out = join(outDir, 'degraded');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'evsm-lab.mjs'), 'report', '--results', runDir, '--out', out], {
      cwd: root, encoding: 'utf8', env: childEnv({ PATH: '/nonexistent', JAVA_HOME: '', EVSM_LAB_CHROMIUM: '/nonexistent/chromium' }),
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^report: allure +not built: Java is not installed.*npm run setup:system/m);
    expect(r.stdout).toMatch(/^report: pdf +not built: Chromium is not installed.*npm run setup:system/m);
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(out, 'certification', 'certification.html'))).toBe(true);
  });
});
