/**
 * `evsm-lab doctor [--target embedded|containers|hardware|reports] [--lab FILE]`: checks each
 * target's prerequisites and says exactly what to install or fix. Exit status 0 when every
 * target asked for (default: embedded) is ready, 1 otherwise.
 */
import { checkChromium, checkJava, type CheckResult } from '../system/checks.ts';
import { TARGETS } from '../targets/bench.ts';
import { TARGET_STRATEGIES } from '../targets/open.ts';
import { oneOf, parseOptions, runVerb, single, UsageError, type Verb } from './usage.ts';

/** Every target, then the reports' needs (Java for Allure, Chromium for the PDF). */
const SECTIONS = [...TARGETS, 'reports'] as const;
type Section = (typeof SECTIONS)[number];

/** A target's own checks (harness/targets/*: `Target.checks`); the doctor restates none of them. */
async function checksFor(section: Section, labFile: string | undefined): Promise<CheckResult[]> {
  if (section === 'reports') return [await checkJava(), await checkChromium()];
  return TARGET_STRATEGIES[section].checks({ labFile, parallelIndex: 0 });
}

const SYNOPSIS = 'usage: evsm-lab doctor [--target embedded|containers|hardware|reports]... [--lab FILE]';

const HELP = `${SYNOPSIS}

Checks what each target needs on this machine and prints, for every check, ok or FAIL and
what to install or fix. Every section is printed; the ones not asked for are marked so.

  --target T   a section that must be ready: embedded (default), containers, hardware, reports;
               repeat it for several
  --lab FILE   the lab file the hardware checks read (default: EVSM_LAB_FILE)

Exit status: 0 when every section asked for is ready, 1 when one is not, 2 for a usage error.

Example:
  npx evsm-lab doctor --target containers --target reports`;

async function doctor(args: string[]): Promise<number> {
  const parsed = parseOptions(args, { '--target': 'repeatable', '--lab': 'value' });
  if (parsed.positional.length || parsed.passThrough.length) throw new UsageError(`unexpected argument ${[...parsed.positional, ...parsed.passThrough][0]}`);
  const targets = (parsed.values.get('--target') ?? []).map((t) => oneOf('--target', t, SECTIONS));
  const labPath = single(parsed, '--lab') ?? process.env.EVSM_LAB_FILE;
  const required = new Set<Section>(targets.length ? targets : ['embedded']);
  let failed = false;
  for (const section of SECTIONS) {
    const results = await checksFor(section, labPath);
    const ready = results.every((r) => r.ok);
    console.log(`${section}: ${ready ? 'ready' : 'NOT ready'}${required.has(section) ? '' : ' (not required for this run)'}`);
    for (const r of results) {
      console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
      if (!r.ok && r.fix) console.log(`       fix: ${r.fix}`);
    }
    if (!ready && required.has(section)) failed = true;
  }
  return failed ? 1 : 0;
}

export const DOCTOR: Verb = { name: 'doctor', synopsis: SYNOPSIS, help: HELP, run: doctor };

/** `evsm-lab doctor …` with the CLI's help and usage-error conventions. */
export function main(args: string[]): Promise<number> {
  return runVerb(DOCTOR, args);
}
