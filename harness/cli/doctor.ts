/**
 * `evsm-lab doctor [--target embedded|containers|hardware|reports] [--lab FILE]`: checks each
 * target's prerequisites and says exactly what to install or fix. Exit status 0 when every
 * target asked for (default: embedded) is ready, 1 otherwise.
 */
import { existsSync } from 'node:fs';
import {
  checkChromium,
  checkDocker,
  checkEmulatorProgram,
  checkJava,
  checkNode,
  checkPkcs11Module,
  checkSofthsm,
  checkUsb,
  SOFTHSM2_MODULE,
  type CheckResult,
} from '../system/checks.ts';
import { loadLabFile } from '../lab/lab-file.ts';
import { oneOf, parseOptions, runVerb, single, UsageError, type Verb } from './usage.ts';

const SECTIONS = ['embedded', 'containers', 'hardware', 'reports'] as const;
type Section = (typeof SECTIONS)[number];

async function checksFor(section: Section, labPath: string | undefined): Promise<CheckResult[]> {
  switch (section) {
    case 'embedded':
      return [checkNode(), checkEmulatorProgram()];
    case 'containers': {
      const softhsm = await checkSofthsm();
      return [await checkDocker(), softhsm, softhsm.ok ? checkPkcs11Module(SOFTHSM2_MODULE) : { name: `PKCS#11 module ${SOFTHSM2_MODULE}`, ok: false, detail: 'not checked (SoftHSM2 missing)', fix: softhsm.fix }];
    }
    case 'hardware': {
      if (!labPath) return [{ name: 'lab file', ok: false, detail: 'none given', fix: 'pass --lab FILE or set EVSM_LAB_FILE (lab/rehearsal.json rehearses the bench on emulators)' }];
      if (!existsSync(labPath)) return [{ name: 'lab file', ok: false, detail: `${labPath} not found`, fix: 'check the path' }];
      let lab;
      try {
        lab = loadLabFile(labPath);
      } catch (e) {
        return [{ name: 'lab file', ok: false, detail: (e as Error).message, fix: 'see docs/lab-file.md' }];
      }
      const out: CheckResult[] = [{ name: 'lab file', ok: true, detail: `${lab.lab}: devices ${lab.devices.map((d) => `${d.name}=${d.host.host}:${d.host.port}`).join(' ')}` }];
      out.push(checkPkcs11Module(lab.pkcs11Module));
      if (lab.rehearsal) {
        out.push(checkEmulatorProgram());
        out.push({ name: 'USB access', ok: true, detail: 'not needed: rehearsal answers token prompts from the SoftHSM2 pool' });
      } else {
        const usb = await checkUsb();
        out.push(usb);
        for (const which of ['user', 'so'] as const) {
          const v = lab.pinEnv[which];
          out.push(process.env[v] ? { name: `PIN variable ${v}`, ok: true, detail: 'set' } : { name: `PIN variable ${v}`, ok: false, detail: 'not set', fix: `export ${v}=… before the run (PINs never go in files)` });
        }
      }
      return out;
    }
    case 'reports':
      return [await checkJava(), await checkChromium()];
  }
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
