/**
 * The whole scenario catalog's wall time per target, each target's ratio to `embedded`, and where
 * a scenario's time goes: procedure steps (each a test.step, from Playwright's JSON report) and
 * the fixtures' set-up and teardown (devices, tokens, the bench; from this file's own reporter).
 *
 *   node --import tsx bench/catalog.ts [--targets embedded,containers,hardware] [--workers N[,M…]] [--steps N]
 *                                      [--runners bundle,tsx] [--rounds N] [--starts N]
 *
 * `--workers` is passed to Playwright (default: the config's); a list (`--workers 2,3`) runs each
 * target once per worker count, alternating, for `--rounds` rounds, and prints the median per count. `--steps N` prints the N step
 * names with the most time (default 12; 0 prints no breakdown). `--runners bundle,tsx` runs each
 * target once per way of starting emulator processes (EVSM_EMULATOR_RUNNER), alternating, for
 * `--rounds` rounds (default 1): an A/B in one run. `--starts N` first times N emulator process
 * starts (spawn → ready line) per runner, interleaved. Each run goes to its own temporary output
 * directory (the repo's lab-output is left alone). The hardware target runs the bench rehearsal
 * (lab/rehearsal.json). A target that cannot run here shows up as all tests skipped: the counts
 * are printed beside the time. The load average is printed before and after: figures from a
 * shared machine are only comparable within one run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import type { FullResult, Reporter, TestCase, TestResult, TestStep } from '@playwright/test/reporter';
import { EmulatorProcess, resolveEmulatorLauncher, type EmulatorLauncher } from '../harness/targets/emulator-process.ts';
import { median } from './stats.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface CatalogTiming {
  target: string;
  /** EVSM_EMULATOR_RUNNER of the run ('' = as configured) */
  runner: string;
  /** --workers of the run (undefined = the config's) */
  workers?: number;
  seconds: number;
  counts: string;
  passed: number;
  /** Where the time went; undefined when the run left no JSON report. */
  breakdown?: Breakdown;
  /** Fixture set-up and teardown times; undefined when the run left none. */
  fixtures?: FixtureTimes;
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

/** What FixtureReporter writes: per fixture, its set-up (before hooks) and teardown (after hooks) time summed over tests. */
export interface FixtureTimes {
  /** Playwright runner start → each worker's first test begins (process start, loading the specs), summed over workers. */
  toFirstTestMs: number;
  workers: number;
  fixtures: Array<{ name: string; setupMs: number; teardownMs: number; count: number }>;
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

/** Adds one test result's fixture steps (children of "Before Hooks" / "After Hooks") to `into`. */
export function addFixtureSteps(into: Map<string, { name: string; setupMs: number; teardownMs: number; count: number }>, steps: readonly Pick<TestStep, 'category' | 'title' | 'duration' | 'steps'>[]): void {
  for (const hook of steps) {
    if (hook.category !== 'hook') continue;
    const setup = hook.title === 'Before Hooks';
    for (const f of hook.steps) {
      if (f.category !== 'fixture') continue;
      const name = /^Fixture "(.*)"$/.exec(f.title)?.[1] ?? f.title;
      const e = into.get(name) ?? { name, setupMs: 0, teardownMs: 0, count: 0 };
      if (setup) {
        e.setupMs += f.duration;
        e.count++;
      } else e.teardownMs += f.duration;
      into.set(name, e);
    }
  }
}

/**
 * Playwright reporter (`--reporter=./bench/catalog.ts`): fixture set-up and teardown times of
 * the run, written as FixtureTimes JSON to the file named by EVSM_BENCH_FIXTURES_FILE.
 */
export default class FixtureReporter implements Reporter {
  private readonly fixtures = new Map<string, { name: string; setupMs: number; teardownMs: number; count: number }>();
  private readonly firstTest = new Map<number, number>();
  private begun = Date.now();
  onBegin(): void {
    this.begun = Date.now();
  }
  onTestBegin(_test: TestCase, result: TestResult): void {
    if (!this.firstTest.has(result.parallelIndex)) this.firstTest.set(result.parallelIndex, Date.now() - this.begun);
  }
  onTestEnd(_test: TestCase, result: TestResult): void {
    addFixtureSteps(this.fixtures, result.steps);
  }
  onEnd(_result: FullResult): void {
    const file = process.env.EVSM_BENCH_FIXTURES_FILE;
    if (!file) return;
    const times: FixtureTimes = {
      toFirstTestMs: [...this.firstTest.values()].reduce((a, b) => a + b, 0),
      workers: this.firstTest.size,
      fixtures: [...this.fixtures.values()].sort((a, b) => b.setupMs + b.teardownMs - (a.setupMs + a.teardownMs)),
    };
    writeFileSync(file, JSON.stringify(times));
  }
  printsToStdio(): boolean {
    return false;
  }
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function printBreakdown(b: Breakdown, f: FixtureTimes | undefined, top: number): void {
  const pct = (ms: number) => `${((100 * ms) / b.testMs).toFixed(0)} %`;
  console.log(`  ${b.tests} test runs on ${b.workers} worker(s); test time ${sec(b.testMs)}; before the first test, summed over workers: ${sec(b.workerStartMs)}`);
  if (f) console.log(`  of which before the first test began (worker process start, loading config and specs): ${sec(f.toFirstTestMs)}`);
  console.log(`  outside any step (device and token fixtures, connect, release): ${sec(b.outsideStepsMs)} (${pct(b.outsideStepsMs)} of test time)`);
  for (const x of (f?.fixtures ?? []).filter((x) => x.setupMs + x.teardownMs >= 50)) {
    console.log(`    fixture ${x.name.padEnd(12)} set-up ${sec(x.setupMs).padStart(7)}, teardown ${sec(x.teardownMs).padStart(7)}  ×${x.count}, mean ${((x.setupMs + x.teardownMs) / x.count).toFixed(0)} ms`);
  }
  for (const st of b.steps.slice(0, top)) {
    console.log(`  ${st.title.slice(0, 60).padEnd(60)} ${sec(st.totalMs).padStart(8)} ${pct(st.totalMs).padStart(5)}  ×${st.count}, mean ${(st.totalMs / st.count).toFixed(0)} ms, max ${st.maxMs} ms`);
  }
}

/**
 * Runs `playwright test --project TARGET` over scenarios/ into a temp output dir. `runner`
 * ('bundle' or 'tsx') sets EVSM_EMULATOR_RUNNER for the run; undefined leaves the default.
 */
export function catalogRun(target: string, workers?: number, runner?: string): CatalogTiming {
  const out = mkdtempSync(join(tmpdir(), 'evsm-bench-catalog-'));
  const cli = join(dirname(createRequire(import.meta.url).resolve('@playwright/test/package.json')), 'cli.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EVSM_LAB_OUTPUT: out,
    PLAYWRIGHT_JSON_OUTPUT_NAME: join(out, 'bench.json'),
    EVSM_BENCH_FIXTURES_FILE: join(out, 'fixtures.json'),
  };
  delete env.EVSM_EMULATOR_BUNDLE; // each run bundles for itself (its global setup), as a user's run does
  if (runner) env.EVSM_EMULATOR_RUNNER = runner;
  if (target === 'hardware' && !env.EVSM_LAB_FILE) env.EVSM_LAB_FILE = join(ROOT, 'lab', 'rehearsal.json');
  try {
    const t0 = performance.now();
    const extra = workers === undefined ? [] : [`--workers=${workers}`];
    const reporter = `--reporter=json,${fileURLToPath(import.meta.url)}`;
    const r = spawnSync(process.execPath, [cli, 'test', 'scenarios', '--project', target, reporter, ...extra], { cwd: ROOT, encoding: 'utf8', env });
    const seconds = (performance.now() - t0) / 1000;
    let fixtures: FixtureTimes | undefined;
    try {
      fixtures = JSON.parse(readFileSync(join(out, 'fixtures.json'), 'utf8')) as FixtureTimes;
    } catch {
      fixtures = undefined;
    }
    try {
      const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as {
        stats: { startTime: string; expected: number; unexpected: number; skipped: number; flaky: number };
        suites: JsonSuite[];
      };
      const { stats } = report;
      const passed = stats.expected + stats.flaky;
      return { target, runner: runner ?? '', workers, seconds, passed, counts: `${passed} passed, ${stats.unexpected} failed, ${stats.skipped} skipped`, breakdown: breakdownOf(report), fixtures };
    } catch {
      // no JSON: the run stopped before the reporter; the exit code is all there is
      return { target, runner: runner ?? '', workers, seconds, passed: 0, counts: `exit code ${r.status}, no results${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-1)[0]}` : ''}` };
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Spawn → ready line of `n` emulator processes per launcher, interleaved; milliseconds. */
export async function emulatorStarts(n: number, launchers: EmulatorLauncher[]): Promise<number[][]> {
  const ms = launchers.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, launcher] of launchers.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'evsm-bench-start-'));
      try {
        const t0 = performance.now();
        const p = await EmulatorProcess.start({ name: 'A', dataDir: dir, launcher });
        ms[k].push(performance.now() - t0);
        await p.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return ms;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const targets = (option('--targets') ?? 'embedded,containers,hardware').split(',');
  const workerCounts = option('--workers')?.split(',').map(Number) ?? [undefined];
  if (workerCounts.some((w) => w !== undefined && !(Number.isInteger(w) && w >= 1))) throw new Error(`--workers ${option('--workers')}: whole numbers ≥ 1, comma-separated`);
  const top = Number(option('--steps') ?? 12);
  const runners = option('--runners')?.split(',') ?? [undefined];
  const rounds = Number(option('--rounds') ?? 1);
  const starts = Number(option('--starts') ?? 0);
  console.log(`bench/catalog: node ${process.version}, targets ${targets.join(', ')}, workers ${option('--workers') ?? 'as configured'}, load average ${load()}`);
  if (starts > 0) {
    const names = ['bundle', 'tsx'];
    const launchers = await Promise.all(names.map((r) => resolveEmulatorLauncher({ EVSM_EMULATOR_RUNNER: r })));
    const ms = await emulatorStarts(starts, launchers);
    for (const [k, l] of launchers.entries()) {
      console.log(`emulator start → ready, ${l.kind}${l.reason ? ` (${l.reason})` : ''}: median ${median(ms[k]).toFixed(0)} ms (min ${Math.min(...ms[k]).toFixed(0)}, max ${Math.max(...ms[k]).toFixed(0)}, n=${starts})`);
    }
  }
  const timings: CatalogTiming[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const t of targets) {
      for (const runner of runners) {
        for (const workers of workerCounts) {
          const timing = catalogRun(t, workers, runner);
          timings.push(timing);
          const w = timing.breakdown ? `, ${timing.breakdown.workers} worker(s)` : '';
          const how = runner ? `, emulator from ${runner}` : '';
          console.log(`catalog on ${t.padEnd(10)} ${timing.seconds.toFixed(1).padStart(6)} s  (${timing.counts}${w}${how}; load average ${load()})`);
          if (timing.breakdown && top > 0) printBreakdown(timing.breakdown, timing.fixtures, top);
        }
      }
    }
  }
  const base = timings.find((t) => t.target === 'embedded' && t.passed > 0);
  if (base && runners.length === 1 && workerCounts.length === 1 && rounds === 1) {
    for (const t of timings) if (t !== base && t.passed > 0) console.log(`ratio ${t.target}/embedded: ${(t.seconds / base.seconds).toFixed(2)}`);
  }
  if (workerCounts.length > 1) {
    for (const t of targets) {
      const line = workerCounts.map((w) => {
        const ok = timings.filter((x) => x.target === t && x.workers === w && x.passed > 0).map((x) => x.seconds);
        return `${w} worker(s) ${ok.length ? `${median(ok).toFixed(1)} s` : 'no passing run'}`;
      });
      console.log(`${t}: median ${line.join(', ')} (${rounds} round(s))`);
    }
  }
  if (runners.length > 1) {
    for (const t of targets) {
      const med = (r: string | undefined) => median(timings.filter((x) => x.target === t && x.runner === (r ?? '') && x.passed > 0).map((x) => x.seconds));
      const [a, b] = runners;
      try {
        console.log(`${t}: median ${a} ${med(a).toFixed(1)} s, ${b} ${med(b).toFixed(1)} s, ratio ${(med(a) / med(b)).toFixed(2)}`);
      } catch {
        console.log(`${t}: no passing run for one of the runners`);
      }
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
