/**
 * `evsm-lab run`: the scenario catalog as `playwright test`, one Playwright project per target,
 * then both reports. Playwright runs as a child in its own process group, so a signal reaches
 * it exactly once (from here), and it stops its workers and the emulators they started.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DONE_LIST_FILE, LEGS_FILE, prepareResume, readManifest, startFreshRun } from '../../reports/run-legs.ts';
import { operatorTtyPath, TTY_ENV } from '../../drivers/ukey/index.ts';
import { loadLabFile } from '../lab/lab-file.ts';
import { defaultLabFile } from '../lab/which-lab.ts';
import type { TargetName } from '../targets/bench.ts';
import { DEFAULT_TARGET, labFileTargets, TARGET_LIST, TARGETS } from '../targets/open.ts';
import { checkHelp, oneOf, parseOptions, single, UsageError, type Verb } from './usage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The targets are the registry's (harness/targets/open.ts: one file each): a new target needs no line here.
export { TARGETS };
export type Target = TargetName;

const SYNOPSIS = [
  `usage: evsm-lab run [--target ${TARGETS.join('|')}]... [--grep TEXT] [--lab FILE] [--lab-name NAME] [--no-report] [FILTER...] [-- PLAYWRIGHT-OPTION...]`,
  '       evsm-lab run --resume',
].join('\n');

/** One line per target, from its own description. */
const TARGET_LINES = TARGET_LIST.map((t) => `                   ${t.name}${t.name === DEFAULT_TARGET ? ' (default)' : ''}: ${t.description}`).join('\n');

const HELP = `${SYNOPSIS}

Runs the scenario catalog (scenarios/) on each target given, as \`playwright test --project TARGET\`,
then builds the Allure and certification reports of the run (evsm-lab report).

  --target T     a target; repeat it for several targets (--target embedded --target containers):
${TARGET_LINES}
  --grep TEXT    only scenarios whose title matches (ids: --grep KS-0)
  --lab FILE     the lab file of ${labFileTargets().join(' or ')} (sets EVSM_LAB_FILE; docs/lab-file.md)
  --lab-name NAME  the lab named on the reports (default: the lab file's "lab", else
                 $EVSM_LAB_NAME, else evsm-lab)
  --no-report    skip the reports
  --resume       continue the interrupted run in the output root: the same options, only the
                 tests that have not passed yet; one set of reports for the whole run
  FILTER         Playwright file filters: scenarios/ha.spec.ts, or a part of a file name
  -- …           anything after -- goes to Playwright as it is (-- --workers 1 --retries 1)

Exit status: Playwright's (0 all passed, 1 a test failed), 2 for a usage error, 130 after SIGINT
(Ctrl-C) and 143 after SIGTERM: the signal is passed to Playwright, which stops its workers and
their emulators; the reports are then not built. A second signal is passed on too (Playwright
stops at once).

A run of a target that reads the lab file (${labFileTargets().join(', ')}), whose lab file has
operator.mode "console", prints whole lines only (no cursor movement over the operator's prompts).

Example:
  npx evsm-lab run --target embedded --target containers --grep DMK-0
  npx evsm-lab run --resume          # after Ctrl-C: runs the tests that had not passed`;

export interface RunPlan {
  targets: Target[];
  /** Arguments after `node playwright/cli.js`. */
  playwrightArgs: string[];
  /** Absolute lab file path for EVSM_LAB_FILE, when --lab was given. */
  labFile?: string;
  /** --lab-name, for the reports. */
  labName?: string;
  report: boolean;
  /**
   * `lines` when the run's prompts are on the terminal (a run of a lab-file target whose lab file
   * says operator.mode "console"): Playwright then reports through harness/reporters/lines.ts,
   * which never moves the cursor (EVSM_LAB_REPORTER, read by playwright.config.ts).
   */
  reporter: 'lines' | undefined;
}

/** Reads the command line; checks everything before anything is touched. */
export function planRun(args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): RunPlan {
  const parsed = parseOptions(args, { '--target': 'repeatable', '--grep': 'value', '--lab': 'value', '--lab-name': 'value', '--no-report': 'flag', '--resume': 'flag' });
  if (parsed.values.has('--resume')) throw new UsageError('--resume repeats the interrupted run\'s own options: give it alone');
  const targets = [...new Set((parsed.values.get('--target') ?? [DEFAULT_TARGET]).map((t) => oneOf('--target', t, TARGETS)))];
  const readsLab = targets.some((t) => labFileTargets().includes(t));
  const grep = single(parsed, '--grep');
  const lab = single(parsed, '--lab');
  const labName = single(parsed, '--lab-name');
  if (labName !== undefined && !labName.trim()) throw new UsageError('--lab-name needs a name');
  let labFile: string | undefined;
  if (lab !== undefined) {
    // Playwright runs from the repository root: a relative lab path means the caller's directory.
    labFile = resolve(cwd, lab);
    if (!existsSync(labFile) || !statSync(labFile).isFile()) throw new UsageError(`--lab ${lab}: no such file`);
    if (!readsLab) throw new UsageError(`--lab is the lab file of ${labFileTargets().join(' or ')}: add --target ${labFileTargets()[0]}`);
  }
  // Filters first: Playwright's --project takes several values and would swallow a filter after it.
  const playwrightArgs = [
    'test',
    ...parsed.positional,
    ...parsed.passThrough,
    ...(grep === undefined ? [] : ['--grep', grep]),
    ...targets.flatMap((t) => ['--project', t]),
  ];
  const reporter = readsLab && consoleOperator(labFile ?? defaultLabFile(env)) ? 'lines' : undefined;
  return { targets, playwrightArgs, labFile, labName, report: !parsed.values.has('--no-report'), reporter };
}

/** Whether the lab file puts prompts on the terminal; a file that does not load is the lab check's to report. */
function consoleOperator(labFile: string | undefined): boolean {
  if (!labFile) return false;
  try {
    return loadLabFile(labFile).operator.mode === 'console';
  } catch {
    return false;
  }
}

/** Runs Playwright; resolves to its exit status, or 128 + signal number after a forwarded signal. */
function runPlaywright(plan: RunPlan): Promise<number> {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('@playwright/test/package.json')), 'cli.js');
  const tty = operatorTtyPath();
  const env = { ...process.env, ...(plan.labFile ? { EVSM_LAB_FILE: plan.labFile } : {}), ...(plan.reporter ? { EVSM_LAB_REPORTER: plan.reporter } : {}), ...(tty ? { [TTY_ENV]: tty } : {}) };
  // detached: its own process group, so Ctrl-C reaches it once, through the forwarding below.
  // A new session has no controlling terminal: operator prompts open the one named in TTY_ENV.
  const child = spawn(process.execPath, [cli, ...plan.playwrightArgs], { stdio: 'inherit', cwd: root, env, detached: true });
  let received: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals) => {
    received ??= signal;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolvePromise) => {
    const done = (status: number) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolvePromise(status);
    };
    child.on('error', (e) => {
      console.error(`evsm-lab run: cannot start Playwright: ${e.message}`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      if (received) done(received === 'SIGINT' ? 130 : 143);
      else done(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

async function run(args: string[]): Promise<number> {
  const outputRoot = resolve(root, process.env.EVSM_LAB_OUTPUT ?? 'lab-output');
  let plan: RunPlan;
  if ((args.includes('--') ? args.slice(0, args.indexOf('--')) : args).includes('--resume')) {
    checkHelp(args);
    if (args.length !== 1) throw new UsageError('--resume repeats the interrupted run\'s own options: give it alone');
    const resumed = resumeRun(outputRoot);
    if (typeof resumed === 'number') return resumed;
    plan = resumed;
  } else {
    plan = planRun(args);
    // allure-playwright never empties its results directory: start each run clean.
    rmSync(join(outputRoot, 'allure-results'), { recursive: true, force: true });
    startFreshRun(outputRoot, args, process.cwd());
  }
  const status = await runPlaywright(plan);
  if (status >= 128) {
    console.error(`evsm-lab run: stopped; \`evsm-lab run --resume\` runs the tests that had not passed`);
    return status;
  }
  if (plan.report) {
    const { main: reportMain } = await import('./report.ts');
    const reportStatus = await reportMain(['--results', outputRoot, ...(plan.labName ? ['--lab-name', plan.labName] : [])]);
    if (reportStatus !== 0) console.error('evsm-lab run: the reports were not all built (see above); the test results stand');
  }
  return status;
}

/**
 * `--resume`: the run recorded in the output root, again, without the tests that passed in an
 * earlier leg (reports/run-legs.ts). A number is the exit status when there is nothing to resume.
 */
function resumeRun(outputRoot: string): RunPlan | number {
  const manifest = readManifest(outputRoot);
  if (!manifest) {
    console.error(`evsm-lab run --resume: nothing to resume: ${outputRoot} holds no run of evsm-lab run (${LEGS_FILE})`);
    return 1;
  }
  // The options as first given, from the directory they were given in (a relative --lab).
  const plan = planRun(manifest.args, manifest.cwd ?? process.cwd());
  const r = prepareResume(outputRoot)!;
  const legs = r.manifest.legs.length;
  console.log(
    `evsm-lab run --resume: leg ${legs}: ${r.passed.length} test(s) passed before and are not run again; ${r.remaining} had not passed (failed, interrupted, skipped or not reached) and run now` +
      (r.lostLegs ? `; ${r.lostLegs} earlier leg(s) left no report (stopped at once), their tests run again` : '') +
      (r.unlisted.length ? `; ${r.unlisted.length} passed test(s) whose titles hold › or > cannot be left out and run again` : ''),
  );
  const at = plan.playwrightArgs.indexOf('--project');
  const extra = ['--test-list-invert', join(outputRoot, DONE_LIST_FILE), '--pass-with-no-tests'];
  plan.playwrightArgs = at < 0 ? [...plan.playwrightArgs, ...extra] : [...plan.playwrightArgs.slice(0, at), ...extra, ...plan.playwrightArgs.slice(at)];
  return plan;
}

export const RUN: Verb = { name: 'run', synopsis: SYNOPSIS, help: HELP, run };
