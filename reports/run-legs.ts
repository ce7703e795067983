/**
 * A run in legs: `evsm-lab run` writes a manifest, `run-legs.json`, in the output root; an
 * interrupted run continued with `evsm-lab run --resume` adds a leg, which runs only the tests
 * that had not passed. Each finished leg's Playwright JSON report is kept as
 * `results.leg-N.json`; the last leg's is `results.json`, as in any run. The reports read all
 * legs as one run (readRunResults), so one certificate covers the whole resumed run.
 * docs/cli.md ("Resuming an interrupted run") describes it for the user.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic-write.ts';
import { readResults, type RunResults, type TestRun } from './playwright-results.ts';

export const LEGS_FORMAT = 'evsm-lab/run-legs/1';
export const LEGS_FILE = 'run-legs.json';
/** The test list given to Playwright's --test-list-invert on a resumed leg: the tests already passed. */
export const DONE_LIST_FILE = 'resume-passed.txt';

export interface Leg {
  /** When `evsm-lab run` started this leg's Playwright (ISO 8601). */
  started: string;
  /** This leg's JSON report, once a later leg set it aside (`results.leg-N.json`); absent: none was written. */
  results?: string;
}

export interface LegsManifest {
  format: string;
  /** The `evsm-lab run` options of the first leg; `--resume` repeats them. */
  args: string[];
  /** The directory they were given in (a relative `--lab` is taken from it). */
  cwd?: string;
  legs: Leg[];
}

/** Playwright stamps its start a moment after ours; a report older than its leg is another run's. */
const SLACK_MS = 1000;

export function readManifest(root: string): LegsManifest | undefined {
  const file = join(root, LEGS_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as LegsManifest;
    if (m.format !== LEGS_FORMAT || !Array.isArray(m.args) || !Array.isArray(m.legs) || !m.legs.length) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

export function writeManifest(root: string, m: LegsManifest): void {
  // Whole file at once, renamed into place (io/atomic-write.ts): an interrupted write leaves the old manifest.
  writeFileAtomicSync(join(root, LEGS_FILE), Buffer.from(JSON.stringify(m, null, 2) + '\n'));
}

/** A fresh run: no legs, results or test list of an earlier run are left to be mistaken for this one's. */
export function startFreshRun(root: string, args: string[], cwd: string, now = new Date()): void {
  mkdirSync(root, { recursive: true });
  for (const f of readdirSync(root)) {
    if (f === 'results.json' || f === DONE_LIST_FILE || /^results\.leg-\d+\.json$/.test(f)) rmSync(join(root, f), { force: true });
  }
  writeManifest(root, { format: LEGS_FORMAT, args, cwd, legs: [{ started: now.toISOString() }] });
}

/** results.json, when it is the report of the manifest's last leg (not of a later plain Playwright run, nor an older one). */
function lastLegResults(root: string, m: LegsManifest): RunResults | undefined {
  const file = join(root, 'results.json');
  if (!existsSync(file)) return undefined;
  let results: RunResults;
  try {
    results = readResults(file);
  } catch {
    return undefined; // cut short while being written: this leg left no usable report
  }
  const started = Date.parse(m.legs[m.legs.length - 1].started);
  return Date.parse(results.startTime) >= started - SLACK_MS ? results : undefined;
}

/** One test's identity across legs: project, file, describe blocks, title. */
export function testKey(t: Pick<TestRun, 'project' | 'file' | 'describePath' | 'title'>): string {
  return [t.project, t.file, ...t.describePath, t.title].join('\u0000');
}

/**
 * The legs' reports as one run: a later leg's result for a test replaces an earlier one's;
 * the start is the first leg's, the duration the sum of the legs'.
 */
export function mergeLegs(legs: RunResults[]): RunResults {
  const byKey = new Map<string, TestRun>();
  const projects = new Map<string, RunResults['projects'][number]>();
  for (const leg of legs) {
    for (const t of leg.tests) byKey.set(testKey(t), t);
    for (const p of leg.projects) if (!projects.has(p.name)) projects.set(p.name, p);
  }
  const first = legs[0];
  return {
    startTime: first.startTime,
    labName: legs.find((l) => l.labName)?.labName,
    durationMs: legs.reduce((n, l) => n + l.durationMs, 0),
    playwrightVersion: first.playwrightVersion,
    projects: [...projects.values()],
    tests: [...byKey.values()],
    globalErrors: legs.flatMap((l) => l.globalErrors),
    ...(legs.length > 1 ? { legs: legs.length } : {}),
  };
}

/**
 * The run's results for the reports: every leg of the manifest when results.json is its last
 * leg's, else results.json alone (a run Playwright made without `evsm-lab run`).
 */
export function readRunResults(root: string): RunResults {
  const m = readManifest(root);
  const last = m && lastLegResults(root, m);
  if (!m || !last) return readResults(join(root, 'results.json'));
  const earlier = m.legs.slice(0, -1).flatMap((l) => (l.results && existsSync(join(root, l.results)) ? [readResults(join(root, l.results))] : []));
  return earlier.length ? mergeLegs([...earlier, last]) : last;
}

export interface ResumePlan {
  manifest: LegsManifest;
  /** Tests that passed (or were flaky: passed on a retry) in an earlier leg: not run again. */
  passed: TestRun[];
  /** Tests of earlier legs that did not pass (failed, interrupted, skipped, not run). */
  remaining: number;
  /** A leg that stopped without a readable report (SIGTERM, a second Ctrl-C): its tests run again. */
  lostLegs: number;
  /** Passed tests that cannot be named in a test list (a title with › or >): they run again. */
  unlisted: TestRun[];
}

/**
 * Prepares a resumed leg: sets the last leg's results.json aside as `results.leg-N.json`,
 * finds the tests that passed in any leg, writes them as a Playwright test list, and adds the
 * new leg to the manifest. Undefined when the output root holds no run of `evsm-lab run`.
 */
export function prepareResume(root: string, now = new Date()): ResumePlan | undefined {
  const m = readManifest(root);
  if (!m) return undefined;
  const lastIndex = m.legs.length - 1;
  if (lastLegResults(root, m)) {
    const name = `results.leg-${lastIndex + 1}.json`;
    renameSync(join(root, 'results.json'), join(root, name));
    m.legs[lastIndex].results = name;
  } else rmSync(join(root, 'results.json'), { force: true });
  const legs = m.legs.flatMap((l) => (l.results && existsSync(join(root, l.results)) ? [readResults(join(root, l.results))] : []));
  const merged = legs.length ? mergeLegs(legs).tests : [];
  const isPass = (t: TestRun) => t.status === 'passed' || t.status === 'flaky';
  const passedAll = merged.filter(isPass);
  const unlisted = passedAll.filter((t) => [t.title, ...t.describePath].some((s) => /[›>]/.test(s)));
  const passed = passedAll.filter((t) => !unlisted.includes(t));
  const lines = passed.map((t) => [`[${t.project}]`, t.file, ...t.describePath, t.title].join(' › '));
  writeFileSync(join(root, DONE_LIST_FILE), `# tests passed in earlier legs of this run; evsm-lab run --resume does not run them again\n${lines.join('\n')}\n`);
  m.legs.push({ started: now.toISOString() });
  writeManifest(root, m);
  return { manifest: m, passed, remaining: merged.length - passedAll.length, lostLegs: m.legs.slice(0, -1).filter((l) => !l.results).length, unlisted };
}
