/**
 * `hardware`: the devices named in a lab file (docs/lab-file.md). On a real bench the harness can
 * only ask the operator to reset, switch off or switch on a device; the person (or, in pool mode,
 * the token pool) answers, as the lab file's `operator` settings say (harness/operator/select.ts).
 * A lab file with a `rehearsal` section is the rehearsal's bench instead (rehearsal.ts).
 */
import { existsSync } from 'node:fs';
import { loadLabFile, type LabFile } from '../lab/lab-file.ts';
import { benchAnswers } from '../operator/select.ts';
import { checkPkcs11Module, checkUsb, type CheckResult } from '../system/checks.ts';
import { unavailableBench, type Bench, type BenchOptions, type Target } from './bench.ts';
import { labBench } from './lab-bench.ts';
import { isRehearsal, openRehearsalBench, rehearsalChecks } from './rehearsal.ts';

const NO_LAB_FILE = 'no lab file — pass `evsm-lab run --target hardware --lab FILE` or set EVSM_LAB_FILE (lab/rehearsal.json rehearses the bench on emulators)';

/** A real bench's own needs: the vendor's PKCS#11 module, USB (or slot polling), the PIN variables. */
async function benchChecks(lab: LabFile): Promise<CheckResult[]> {
  const out: CheckResult[] = [checkPkcs11Module(lab.pkcs11Module), await checkUsb()];
  for (const which of ['user', 'so'] as const) {
    const v = lab.pinEnv[which];
    if (process.env[v]) out.push({ name: `PIN variable ${v}`, ok: true, detail: 'set' });
    // At the station the PIN is typed into the page's masked field when the variable is unset.
    else if (lab.operator.mode === 'station') out.push({ name: `PIN variable ${v}`, ok: true, detail: 'not set: the PIN is typed at the operator station' });
    else out.push({ name: `PIN variable ${v}`, ok: false, detail: 'not set', fix: `export ${v}=… before the run (PINs never go in files)` });
  }
  return out;
}

export async function openHardwareBench(options: BenchOptions): Promise<Bench> {
  if (!options.labFile) return unavailableBench('hardware', NO_LAB_FILE);
  let lab: LabFile;
  try {
    lab = loadLabFile(options.labFile);
  } catch (e) {
    return unavailableBench('hardware', (e as Error).message);
  }
  if (isRehearsal(lab)) return openRehearsalBench(lab, options);
  return labBench({ lab, answers: benchAnswers(lab), portOffset: 0 });
}

export const hardwareTarget: Target = {
  name: 'hardware',
  async checks({ labFile }) {
    if (!labFile) return [{ name: 'lab file', ok: false, detail: 'none given', fix: 'pass --lab FILE or set EVSM_LAB_FILE (lab/rehearsal.json rehearses the bench on emulators)' }];
    if (!existsSync(labFile)) return [{ name: 'lab file', ok: false, detail: `${labFile} not found`, fix: 'check the path' }];
    let lab: LabFile;
    try {
      lab = loadLabFile(labFile);
    } catch (e) {
      return [{ name: 'lab file', ok: false, detail: (e as Error).message, fix: 'see docs/lab-file.md' }];
    }
    const found: CheckResult = { name: 'lab file', ok: true, detail: `${lab.lab}: devices ${lab.devices.map((d) => `${d.name}=${d.host.host}:${d.host.port}`).join(' ')}` };
    return [found, ...(isRehearsal(lab) ? rehearsalChecks(lab) : await benchChecks(lab))];
  },
  open: openHardwareBench,
};
