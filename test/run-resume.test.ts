/**
 * `evsm-lab run --resume`: an interrupted run continues where it stopped (reports/run-legs.ts,
 * docs/cli.md "Resuming an interrupted run"). The end-to-end test interrupts a real run of a few
 * embedded scenarios with SIGINT (what Ctrl-C sends), resumes it, and checks that the union of
 * the two legs is the whole set and that nothing that had passed ran twice.
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResults, type RunResults } from '../reports/playwright-results.ts';
import { LEGS_FILE, mergeLegs, prepareResume, readManifest, readRunResults, startFreshRun, testKey, DONE_LIST_FILE } from '../reports/run-legs.ts';
import { buildReports } from '../reports/build.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const launcher = join(root, 'bin', 'evsm-lab.mjs');

/** A Playwright JSON report with the given tests (project p, file f.spec.ts). */
function report(startTime: string, tests: { title: string; status: 'expected' | 'unexpected' | 'skipped'; result?: string }[]): object {
  return {
    config: { projects: [{ name: 'p', metadata: { target: 'p' } }] },
    stats: { startTime, duration: 1000 },
    errors: [],
    suites: [{ title: 'f.spec.ts', file: 'f.spec.ts', specs: tests.map((t) => ({ title: t.title, file: 'f.spec.ts', tests: [{ projectName: 'p', status: t.status, results: t.result ? [{ status: t.result, duration: 5 }] : [] }] })) }],
  };
}

test.describe('legs of a run', () => {
  test('a resumed leg leaves out exactly the tests that passed; the reports read the legs as one run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evsm-legs-'));
    startFreshRun(dir, ['--grep', 'X'], '/somewhere', new Date('2026-01-01T00:00:00Z'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify(report('2026-01-01T00:00:01Z', [
      { title: 'X-1 passes', status: 'expected', result: 'passed' },
      { title: 'X-2 fails', status: 'unexpected', result: 'failed' },
      { title: 'X-3 interrupted', status: 'skipped', result: 'interrupted' },
      { title: 'X-4 not reached', status: 'skipped' },
    ])));
    const plan = prepareResume(dir, new Date('2026-01-01T00:01:00Z'))!;
    expect(plan.passed.map((t) => t.title)).toEqual(['X-1 passes']);
    expect(plan.remaining).toBe(3);
    expect(plan.lostLegs).toBe(0);
    expect(readFileSync(join(dir, DONE_LIST_FILE), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['[p] › f.spec.ts › X-1 passes']);
    expect(existsSync(join(dir, 'results.leg-1.json'))).toBe(true);
    expect(readManifest(dir)!.legs.map((l) => l.results)).toEqual(['results.leg-1.json', undefined]);

    // The second leg ran the other three; two pass now.
    writeFileSync(join(dir, 'results.json'), JSON.stringify(report('2026-01-01T00:01:01Z', [
      { title: 'X-2 fails', status: 'expected', result: 'passed' },
      { title: 'X-3 interrupted', status: 'expected', result: 'passed' },
      { title: 'X-4 not reached', status: 'unexpected', result: 'failed' },
    ])));
    const merged = readRunResults(dir);
    expect(merged.legs).toBe(2);
    expect(merged.startTime).toBe('2026-01-01T00:00:01Z');
    expect(merged.durationMs).toBe(2000);
    expect(merged.tests.map((t) => `${t.title}:${t.status}`)).toEqual(['X-1 passes:passed', 'X-2 fails:passed', 'X-3 interrupted:passed', 'X-4 not reached:failed']);
  });

  test('a leg that left no report (SIGTERM) or a report of another run is not trusted: those tests run again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evsm-legs-lost-'));
    startFreshRun(dir, [], '/x', new Date('2026-01-01T00:00:00Z'));
    // A results.json older than the leg: an earlier run's, not this leg's.
    writeFileSync(join(dir, 'results.json'), JSON.stringify(report('2025-12-31T23:00:00Z', [{ title: 'X-1 passes', status: 'expected', result: 'passed' }])));
    const plan = prepareResume(dir, new Date('2026-01-01T00:01:00Z'))!;
    expect(plan.passed).toEqual([]);
    expect(plan.lostLegs).toBe(1);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    // Without a manifest there is nothing to resume, and the reports read results.json alone.
    const plain = mkdtempSync(join(tmpdir(), 'evsm-legs-none-'));
    expect(prepareResume(plain)).toBeUndefined();
    writeFileSync(join(plain, 'results.json'), JSON.stringify(report('2026-01-01T00:00:01Z', [{ title: 'X-1 passes', status: 'expected', result: 'passed' }])));
    expect(readRunResults(plain).legs).toBeUndefined();
  });

  test('merging: a later leg replaces a test by project, file, describe path and title', () => {
    const a = readResultsFrom(report('2026-01-01T00:00:01Z', [{ title: 'X-1 a', status: 'unexpected', result: 'failed' }, { title: 'X-2 b', status: 'expected', result: 'passed' }]));
    const b = readResultsFrom(report('2026-01-01T00:00:05Z', [{ title: 'X-1 a', status: 'expected', result: 'passed' }]));
    const m = mergeLegs([a, b]);
    expect(m.tests.map((t) => `${testKey(t).split('\u0000').join('|')}:${t.status}`)).toEqual(['p|f.spec.ts|X-1 a:passed', 'p|f.spec.ts|X-2 b:passed']);
  });
});

function readResultsFrom(r: object): RunResults {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-legs-r-'));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
  return readResults(join(dir, 'results.json'));
}

/** Runs the launcher; `onLine` may return true to send SIGINT (once). Resolves to the exit code and output. */
function launch(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string, all: string) => boolean): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const take = (b: Buffer) => {
      out += b.toString();
      if (!sent && onLine?.(b.toString(), out)) {
        sent = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code, out }));
  });
}

test('Ctrl-C (SIGINT) during a run of embedded scenarios, then --resume: the union is the whole set, nothing that passed ran twice', async () => {
  test.setTimeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'evsm-resume-'));
  mkdirSync(out, { recursive: true });
  const env = { ...process.env, EVSM_LAB_OUTPUT: out, EVSM_LAB_CHROMIUM: '/nonexistent', CI: '' };
  // Four tests, one worker: KS-01 and KS-02's two cases take a second or two each, KS-03 two; so
  // an interrupt sent at the second pass finds at least one test not done (KS-03 if not KS-02's second).
  const args = ['run', '--target', 'embedded', '--grep', 'KS-0[1-3] ', '--no-report', '--', '--workers', '1'];
  // Interrupt once two tests have passed.
  const first = await launch(args, env, (_line, all) => (all.match(/✓/g) ?? []).length >= 2);
  expect(first.code, first.out).toBe(130);
  expect(first.out).toContain('evsm-lab run --resume');
  expect(existsSync(join(out, LEGS_FILE))).toBe(true);
  const leg1 = readResults(join(out, 'results.json'));
  const passed1 = leg1.tests.filter((t) => t.status === 'passed').map((t) => t.title);
  expect(passed1.length).toBeGreaterThanOrEqual(2);
  expect(passed1.length).toBeLessThan(leg1.tests.length); // it was interrupted before the end

  const second = await launch(['run', '--resume'], env);
  expect(second.code, second.out).toBe(0);
  expect(second.out).toMatch(new RegExp(`leg 2: ${passed1.length} test\\(s\\) passed before`));
  const leg2 = readResults(join(out, 'results.json'));
  const ran2 = leg2.tests.map((t) => t.title);
  expect(ran2.filter((t) => passed1.includes(t))).toEqual([]); // nothing that had passed ran again
  expect(leg2.tests.every((t) => t.status === 'passed')).toBe(true);
  expect([...passed1, ...ran2].sort()).toEqual(leg1.tests.map((t) => t.title).sort()); // the union is the whole set

  // One certificate for the whole run, both legs.
  const outcomes = await buildReports({ results: out, only: 'certification', env });
  expect(outcomes[0]).toMatchObject({ part: 'certification', ok: true });
  const page = readFileSync(join(out, 'certification', 'certification.html'), 'utf8');
  expect(page).toContain('in 2 legs');
  expect(readRunResults(out).tests.filter((t) => t.status === 'passed')).toHaveLength(leg1.tests.length);
});
