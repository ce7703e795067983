/**
 * Reads Playwright's JSON reporter output (results.json) into a flat list of test runs:
 * one entry per test × project, with the final result's status, reason, steps and attachments.
 * Only the fields the reports need; the format is Playwright's JSONReport.
 */
import { readFileSync } from 'node:fs';

export type RunStatus = 'passed' | 'failed' | 'skipped' | 'flaky';

export interface AttachmentRef {
  name: string;
  contentType: string;
  /** Base64 body for in-memory attachments. */
  body?: string;
  /** Absolute path for file attachments. */
  path?: string;
}

export interface TestRun {
  /** Scenario id from the title (`KS-01`), or undefined for tests outside the catalog. */
  id?: string;
  title: string;
  /** Titles of enclosing describe blocks, outermost first (file name excluded). */
  describePath: string[];
  file: string;
  /** Playwright project name = target. */
  project: string;
  status: RunStatus;
  durationMs: number;
  /** Why it was skipped, or the (first) error for a failure. */
  reason?: string;
  /** Title of the innermost step that failed. */
  failedStep?: string;
  /** Top-level step titles, in order (procedure step ids). */
  steps: string[];
  attachments: AttachmentRef[];
}

export interface RunResults {
  startTime: string;
  /** The lab's name as the run's lab file gave it (a LAB_NAME_ANNOTATION), when one did. */
  labName?: string;
  durationMs: number;
  playwrightVersion?: string;
  projects: { name: string; metadata: Record<string, unknown> }[];
  tests: TestRun[];
  /** Errors outside tests (global set-up, a spec that does not load). */
  globalErrors: string[];
  /** How many legs an interrupted and resumed run took (reports/run-legs.ts); absent for one. */
  legs?: number;
}

/** Annotation type the hardware target's lab-file check gives the lab's name under (harness/lab/lab-check.setup.ts). */
export const LAB_NAME_ANNOTATION = 'lab name';

/** `KS-01`, `DMK-02`, `EXT-01`, `HA-03`: upper-case letters, a dash, digits. */
export const SCENARIO_ID = /^([A-Z][A-Z0-9]{1,7}-\d{1,4})\b/;

// Structural types for the part of Playwright's JSONReport that is read here.
interface PwStep { title: string; error?: { message?: string }; steps?: PwStep[] }
interface PwResult {
  annotations?: { type: string; description?: string }[];
  status: string; duration: number; errors?: { message?: string }[]; error?: { message?: string };
  steps?: PwStep[]; attachments?: AttachmentRef[]; retry?: number;
}
interface PwTest { projectName: string; status: string; annotations?: { type: string; description?: string }[]; results: PwResult[] }
interface PwSpec { title: string; file: string; tests: PwTest[] }
interface PwSuite { title: string; file: string; specs?: PwSpec[]; suites?: PwSuite[] }
interface PwReport {
  config?: { version?: string; projects?: { name: string; metadata?: Record<string, unknown> }[] };
  suites?: PwSuite[]; errors?: { message?: string }[];
  stats?: { startTime?: string; duration?: number };
}

// ANSI colour codes from expect messages; they mean nothing in a report.
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** An error message without colour codes, the source snippet and the stack: what went wrong, not where. */
export function cleanMessage(s: string): string {
  const lines = stripAnsi(s).split('\n');
  const kept = lines.filter((l) => !/^\s*>?\s*\d+ \|/.test(l) && !/^\s*\|\s*\^/.test(l) && !/^\s+at /.test(l));
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

function failedStepOf(steps: PwStep[] | undefined): string | undefined {
  for (const s of steps ?? []) {
    if (s.error) return failedStepOf(s.steps) ?? s.title;
  }
  return undefined;
}

function statusOf(test: PwTest, last: PwResult | undefined): RunStatus {
  if (test.status === 'skipped' || last?.status === 'skipped') return 'skipped';
  if (test.status === 'flaky') return 'flaky';
  if (test.status === 'expected') return 'passed';
  return 'failed';
}

function reasonOf(test: PwTest, last: PwResult | undefined, status: RunStatus): string | undefined {
  if (status === 'skipped') {
    // Playwright counts a test stopped by Ctrl-C as skipped: say so, it is neither a skip nor a failure
    if (last?.status === 'interrupted') return 'interrupted (the run was stopped; `evsm-lab run --resume` runs it)';
    const a = test.annotations?.find((x) => x.type === 'skip' || x.type === 'fixme');
    return a?.description || 'skipped without a reason';
  }
  if (status === 'failed') {
    const msg = last?.errors?.[0]?.message ?? last?.error?.message;
    if (last?.status === 'timedOut') return `timed out${msg ? `: ${cleanMessage(msg)}` : ''}`;
    if (last?.status === 'interrupted') return 'interrupted';
    return msg ? cleanMessage(msg) : `failed (${last?.status ?? 'no result'})`;
  }
  return undefined;
}

function walk(suite: PwSuite, path: string[], out: TestRun[]): void {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests) {
      const last = t.results[t.results.length - 1];
      const status = statusOf(t, last);
      out.push({
        id: SCENARIO_ID.exec(spec.title)?.[1],
        title: spec.title,
        describePath: path,
        file: spec.file,
        project: t.projectName,
        status,
        durationMs: Math.round(last?.duration ?? 0),
        reason: reasonOf(t, last, status),
        failedStep: status === 'failed' ? failedStepOf(last?.steps) : undefined,
        steps: (last?.steps ?? []).map((s) => s.title),
        attachments: last?.attachments ?? [],
      });
    }
  }
  for (const s of suite.suites ?? []) walk(s, [...path, s.title], out);
}

/** The first lab name annotation of any test (on the test, or on one of its results). */
function labNameOf(suites: PwSuite[]): string | undefined {
  for (const suite of suites) {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const all = [...(t.annotations ?? []), ...t.results.flatMap((r) => r.annotations ?? [])];
        const name = all.find((a) => a.type === LAB_NAME_ANNOTATION && a.description)?.description;
        if (name) return name;
      }
    }
    const inner = labNameOf(suite.suites ?? []);
    if (inner) return inner;
  }
  return undefined;
}

export function parseResults(report: PwReport): RunResults {
  const tests: TestRun[] = [];
  // Top-level suites are files; their titles are not describe blocks.
  for (const file of report.suites ?? []) {
    walk({ ...file, suites: [] }, [], tests);
    for (const d of file.suites ?? []) walk(d, [d.title], tests);
  }
  return {
    startTime: report.stats?.startTime ?? '',
    labName: labNameOf(report.suites ?? []),
    durationMs: Math.round(report.stats?.duration ?? 0),
    playwrightVersion: report.config?.version,
    projects: (report.config?.projects ?? []).map((p) => ({ name: p.name, metadata: p.metadata ?? {} })),
    tests,
    globalErrors: (report.errors ?? []).map((e) => cleanMessage(e.message ?? 'error')),
  };
}

export function readResults(file: string): RunResults {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no test results at ${file}: run the catalog first (npm run lab)`);
  }
  try {
    return parseResults(JSON.parse(text) as PwReport);
  } catch (e) {
    throw new Error(`${file} is not Playwright JSON reporter output: ${(e as Error).message}`);
  }
}
