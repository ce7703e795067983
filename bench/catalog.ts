/**
 * The whole scenario catalog's wall time per target, each target's ratio to `embedded`, and where
 * a scenario's time goes (from Playwright's JSON report: each procedure step is a test.step).
 *
 *   node --import tsx bench/catalog.ts [--targets embedded,containers,hardware] [--workers N] [--steps N]
 *
 * `--workers` is passed to Playwright (default: the config's). `--steps N` prints the N step
 * names with the most time (default 12; 0 prints no breakdown). Each run goes to its own
 * temporary output directory (the repo's lab-output is left alone). The hardware target runs the
 * bench rehearsal (lab/rehearsal.json). A target that cannot run here shows up as all tests
 * skipped: the counts are printed beside the time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface CatalogTiming {
  target: string;
  seconds: number;
  counts: string;
  passed: number;
  /** Where the time went; undefined when the run left no JSON report. */
  breakdown?: Breakdown;
}

/** Time per step name over the whole catalog, and the time no step accounts for. */
export interface Breakdown {
  workers: number;
  tests: number;
  /** Sum of test durations (fixture set-up and teardown included, as Playwright counts them). */
  testMs: number;
  /** Part of testMs outside any test.step: device and token fixtures, connecting, releasing. */
  outsideStepsMs: number;
  /** From the run's start to each worker's first test (worker start, bench opening), summed over workers. */
  workerStartMs: number;
  steps: Array<{ title: string; totalMs: number; count: number; maxMs: number }>;
}

interface JsonResult {
  parallelIndex: number;
  duration: number;
  startTime: string;
  steps?: Array<{ title: string; duration: number }>;
}
interface JsonSuite {
  specs?: Array<{ tests: Array<{ results: JsonResult[] }> }>;
  suites?: JsonSuite[];
}

/** Per-step breakdown of a Playwright JSON report (top-level test.steps only: those are the procedure steps). */
export function breakdownOf(report: { stats: { startTime: string }; suites: JsonSuite[] }): Breakdown {
  const results: JsonResult[] = [];
  const walk = (s: JsonSuite): void => {
    for (const spec of s.specs ?? []) for (const t of spec.tests) results.push(...t.results);
    for (const c of s.suites ?? []) walk(c);
  };
  report.suites.forEach(walk);
  const steps = new Map<string, { title: string; totalMs: number; count: number; maxMs: number }>();
  let testMs = 0;
  let inStepsMs = 0;
  const firstStart = new Map<number, number>();
  for (const r of results) {
    testMs += r.duration;
    const start = Date.parse(r.startTime);
    firstStart.set(r.parallelIndex, Math.min(firstStart.get(r.parallelIndex) ?? Infinity, start));
    for (const st of r.steps ?? []) {
      inStepsMs += st.duration;
      const e = steps.get(st.title) ?? { title: st.title, totalMs: 0, count: 0, maxMs: 0 };
      e.totalMs += st.duration;
      e.count++;
      e.maxMs = Math.max(e.maxMs, st.duration);
      steps.set(st.title, e);
    }
  }
  const runStart = Date.parse(report.stats.startTime);
  const workerStartMs = [...firstStart.values()].reduce((a, t) => a + Math.max(0, t - runStart), 0);
  return {
    workers: firstStart.size,
    tests: results.length,
    testMs,
    outsideStepsMs: testMs - inStepsMs,
    workerStartMs,
    steps: [...steps.values()].sort((a, b) => b.totalMs - a.totalMs),
  };
}

function printBreakdown(b: Breakdown, top: number): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const pct = (ms: number) => `${((100 * ms) / b.testMs).toFixed(0)} %`;
  console.log(`  ${b.tests} test runs on ${b.workers} worker(s); test time ${s(b.testMs)}; before the first test, summed over workers: ${s(b.workerStartMs)}`);
  console.log(`  outside any step (device and token fixtures, connect, release): ${s(b.outsideStepsMs)} (${pct(b.outsideStepsMs)} of test time)`);
  for (const st of b.steps.slice(0, top)) {
    console.log(`  ${st.title.slice(0, 60).padEnd(60)} ${s(st.totalMs).padStart(8)} ${pct(st.totalMs).padStart(5)}  ×${st.count}, mean ${(st.totalMs / st.count).toFixed(0)} ms, max ${st.maxMs} ms`);
  }
}

/** Runs `playwright test --project TARGET` over scenarios/ into a temp output dir. */
export function catalogRun(target: string, workers?: number): CatalogTiming {
  const out = mkdtempSync(join(tmpdir(), 'evsm-bench-catalog-'));
  const cli = join(dirname(createRequire(import.meta.url).resolve('@playwright/test/package.json')), 'cli.js');
  const env: NodeJS.ProcessEnv = { ...process.env, EVSM_LAB_OUTPUT: out, PLAYWRIGHT_JSON_OUTPUT_NAME: join(out, 'bench.json') };
  if (target === 'hardware' && !env.EVSM_LAB_FILE) env.EVSM_LAB_FILE = join(ROOT, 'lab', 'rehearsal.json');
  try {
    const t0 = performance.now();
    const extra = workers === undefined ? [] : [`--workers=${workers}`];
    const r = spawnSync(process.execPath, [cli, 'test', 'scenarios', '--project', target, '--reporter=json', ...extra], { cwd: ROOT, encoding: 'utf8', env });
    const seconds = (performance.now() - t0) / 1000;
    try {
      const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as {
        stats: { startTime: string; expected: number; unexpected: number; skipped: number; flaky: number };
        suites: JsonSuite[];
      };
      const { stats } = report;
      const passed = stats.expected + stats.flaky;
      return { target, seconds, passed, counts: `${passed} passed, ${stats.unexpected} failed, ${stats.skipped} skipped`, breakdown: breakdownOf(report) };
    } catch {
      // no JSON: the run stopped before the reporter; the exit code is all there is
      return { target, seconds, passed: 0, counts: `exit code ${r.status}, no results` };
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const targets = (option('--targets') ?? 'embedded,containers,hardware').split(',');
  const workers = option('--workers') === undefined ? undefined : Number(option('--workers'));
  const top = Number(option('--steps') ?? 12);
  console.log(`bench/catalog: node ${process.version}, targets ${targets.join(', ')}, workers ${workers ?? 'as configured'}`);
  const timings = targets.map((t) => {
    const timing = catalogRun(t, workers);
    const w = timing.breakdown ? `, ${timing.breakdown.workers} worker(s)` : '';
    console.log(`catalog on ${t.padEnd(10)} ${timing.seconds.toFixed(1).padStart(6)} s  (${timing.counts}${w})`);
    if (timing.breakdown && top > 0) printBreakdown(timing.breakdown, top);
    return timing;
  });
  const base = timings.find((t) => t.target === 'embedded' && t.passed > 0);
  if (base) {
    for (const t of timings) if (t !== base && t.passed > 0) console.log(`ratio ${t.target}/embedded: ${(t.seconds / base.seconds).toFixed(2)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
