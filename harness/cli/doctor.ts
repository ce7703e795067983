/**
 * `evsm-lab doctor [--target TARGET|reports] [--lab FILE]`: checks each target's prerequisites
 * (the targets' own checks, harness/targets/NAME.target.ts) and says exactly what to install or
 * fix. Exit status 0 when every target asked for (default: embedded) is ready, 1 otherwise.
 */
import { checkChromium, checkJava, type CheckResult } from '../system/checks.ts';
import { DEFAULT_TARGET, TARGET_STRATEGIES, TARGETS } from '../targets/open.ts';
import { oneOf, parseOptions, runVerb, single, UsageError, type Verb } from './usage.ts';

/** Every target (the registry's, in order), then the reports' needs (Java for Allure, Chromium for the PDF). */
const SECTIONS: readonly string[] = [...TARGETS, 'reports'];
type Section = string;

/** A target's own checks (harness/targets/*: `Target.checks`); the doctor restates none of them. */
async function checksFor(section: Section, labFile: string | undefined): Promise<CheckResult[]> {
  if (section === 'reports') return [await checkJava(), await checkChromium()];
  return TARGET_STRATEGIES[section].checks({ labFile, parallelIndex: 0 });
}

const SYNOPSIS = `usage: evsm-lab doctor [--target ${SECTIONS.join('|')}]... [--lab FILE]`;

const HELP = `${SYNOPSIS}

Checks what each target needs on this machine and prints, for every check, ok or FAIL and
what to install or fix. Every section is printed; the ones not asked for are marked so.

  --target T   a section that must be ready: a target (${DEFAULT_TARGET}, the default; ${TARGETS.filter((t) => t !== DEFAULT_TARGET).join(', ')})
               or reports; repeat it for several
  --lab FILE   the lab file the lab-file targets' checks read (default: EVSM_LAB_FILE)

Exit status: 0 when every section asked for is ready, 1 when one is not, 2 for a usage error.

Example:
  npx evsm-lab doctor --target containers --target reports`;

async function doctor(args: string[]): Promise<number> {
  const parsed = parseOptions(args, { '--target': 'repeatable', '--lab': 'value' });
  if (parsed.positional.length || parsed.passThrough.length) throw new UsageError(`unexpected argument ${[...parsed.positional, ...parsed.passThrough][0]}`);
  const targets = (parsed.values.get('--target') ?? []).map((t) => oneOf('--target', t, SECTIONS));
  const labPath = single(parsed, '--lab') ?? process.env.EVSM_LAB_FILE;
  const required = new Set<Section>(targets.length ? targets : [DEFAULT_TARGET]);
  let failed = false;
  for (const section of SECTIONS) {
    const results = await checksFor(section, labPath);
    const ready = results.every((r) => r.ok);
    const about = TARGET_STRATEGIES[section]?.description;
    console.log(`${section}: ${ready ? 'ready' : 'NOT ready'}${required.has(section) ? '' : ' (not required for this run)'}${about ? ` — ${about}` : ''}`);
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
