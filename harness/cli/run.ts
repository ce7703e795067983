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
import { oneOf, parseOptions, single, UsageError, type Verb } from './usage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TARGETS = ['embedded', 'containers', 'hardware'] as const;
export type Target = (typeof TARGETS)[number];

const SYNOPSIS = 'usage: evsm-lab run [--target embedded|containers|hardware]... [--grep TEXT] [--lab FILE] [--no-report] [FILTER...] [-- PLAYWRIGHT-OPTION...]';

const HELP = `${SYNOPSIS}

Runs the scenario catalog (scenarios/) on each target given, as \`playwright test --project TARGET\`,
then builds the Allure and certification reports of the run (evsm-lab report).

  --target T     embedded (default), containers or hardware; repeat it for several targets:
                 --target embedded --target containers
  --grep TEXT    only scenarios whose title matches (ids: --grep KS-0)
  --lab FILE     lab file of the hardware target (sets EVSM_LAB_FILE; docs/lab-file.md)
  --no-report    skip the reports
  FILTER         Playwright file filters: scenarios/ha.spec.ts, or a part of a file name
  -- …           anything after -- goes to Playwright as it is (-- --workers 1 --retries 1)

Exit status: Playwright's (0 all passed, 1 a test failed), 2 for a usage error, 130 after SIGINT
(Ctrl-C) and 143 after SIGTERM: the signal is passed to Playwright, which stops its workers and
their emulators; the reports are then not built. A second signal is passed on too (Playwright
stops at once).

Example:
  npx evsm-lab run --target embedded --target containers --grep DMK-0`;

export interface RunPlan {
  targets: Target[];
  /** Arguments after `node playwright/cli.js`. */
  playwrightArgs: string[];
  /** Absolute lab file path for EVSM_LAB_FILE, when --lab was given. */
  labFile?: string;
  report: boolean;
}

/** Reads the command line; checks everything before anything is touched. */
export function planRun(args: string[], cwd = process.cwd()): RunPlan {
  const parsed = parseOptions(args, { '--target': 'repeatable', '--grep': 'value', '--lab': 'value', '--no-report': 'flag' });
  const targets = [...new Set((parsed.values.get('--target') ?? ['embedded']).map((t) => oneOf('--target', t, TARGETS)))];
  const grep = single(parsed, '--grep');
  const lab = single(parsed, '--lab');
  let labFile: string | undefined;
  if (lab !== undefined) {
    // Playwright runs from the repository root: a relative lab path means the caller's directory.
    labFile = resolve(cwd, lab);
    if (!existsSync(labFile) || !statSync(labFile).isFile()) throw new UsageError(`--lab ${lab}: no such file`);
    if (!targets.includes('hardware')) throw new UsageError('--lab is the hardware target\'s lab file: add --target hardware');
  }
  // Filters first: Playwright's --project takes several values and would swallow a filter after it.
  const playwrightArgs = [
    'test',
    ...parsed.positional,
    ...parsed.passThrough,
    ...(grep === undefined ? [] : ['--grep', grep]),
    ...targets.flatMap((t) => ['--project', t]),
  ];
  return { targets, playwrightArgs, labFile, report: !parsed.values.has('--no-report') };
}

/** Runs Playwright; resolves to its exit status, or 128 + signal number after a forwarded signal. */
function runPlaywright(plan: RunPlan): Promise<number> {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('@playwright/test/package.json')), 'cli.js');
  const env = { ...process.env, ...(plan.labFile ? { EVSM_LAB_FILE: plan.labFile } : {}) };
  // detached: its own process group, so Ctrl-C reaches it once, through the forwarding below.
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
  const plan = planRun(args);
  // allure-playwright never empties its results directory: start each run clean.
  const outputRoot = resolve(root, process.env.EVSM_LAB_OUTPUT ?? 'lab-output');
  rmSync(join(outputRoot, 'allure-results'), { recursive: true, force: true });
  const status = await runPlaywright(plan);
  if (status >= 128) return status;
  if (plan.report) {
    const { main: reportMain } = await import('./report.ts');
    const reportStatus = await reportMain([]);
    if (reportStatus !== 0) console.error('evsm-lab run: the reports were not all built (see above); the test results stand');
  }
  return status;
}

export const RUN: Verb = { name: 'run', synopsis: SYNOPSIS, help: HELP, run };
