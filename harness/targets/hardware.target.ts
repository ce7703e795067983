/**
 * `hardware`: the devices named in a lab file (docs/lab-file.md), a real bench. The harness can
 * only ask the operator to reset, switch off or switch on a device; the person (or, in pool mode,
 * the token pool) answers, as the lab file's `operator` settings say (harness/operator/select.ts).
 * A lab file with a `rehearsal` section is not a bench: it is the `rehearsal` target's
 * (rehearsal.target.ts), and this target skips it with a line saying so.
 */
import { existsSync } from 'node:fs';
import { hardwareWorkers } from '../lab/bench-workers.ts';
import { isRehearsal, loadLabFile, type LabFile } from '../lab/lab-file.ts';
import { defaultLabFile } from '../lab/which-lab.ts';
import { checkPkcs11Module, checkUsb, type CheckResult } from '../system/checks.ts';
import { unavailableBench, type Bench, type BenchOptions, type Target } from './bench.ts';

const NO_LAB_FILE = 'no lab file — pass `evsm-lab run --target hardware --lab FILE` or set EVSM_LAB_FILE (a bench on emulators: the rehearsal target)';

/** Why a rehearsal lab file is not this target's, one line. */
function rehearsalFile(lab: LabFile): string {
  return `${lab.path} is a rehearsal lab file (it has a "rehearsal" section): the rehearsal target runs it (--project rehearsal, evsm-lab run --target rehearsal)`;
}

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
  if (isRehearsal(lab)) return unavailableBench('hardware', rehearsalFile(lab));
  const [{ labBench }, { benchAnswers }] = await Promise.all([import('./lab-bench.ts'), import('../operator/select.ts')]);
  return labBench({ target: 'hardware', lab, answers: benchAnswers(lab), portOffset: 0 });
}

const hardware: Target = {
  name: 'hardware',
  description: 'the real devices named in a lab file (--lab FILE), with the person at the bench',
  order: 3,
  readsLabFile: true,
  // A real bench (one set of devices, one person) runs one test at a time; the lab file is checked first.
  project: () => ({ dependencies: ['hardware-lab'], workers: hardwareWorkers(defaultLabFile()) }),
  async checks({ labFile }) {
    if (!labFile) return [{ name: 'lab file', ok: false, detail: 'none given', fix: 'pass --lab FILE or set EVSM_LAB_FILE (a bench on emulators: the rehearsal target)' }];
    if (!existsSync(labFile)) return [{ name: 'lab file', ok: false, detail: `${labFile} not found`, fix: 'check the path' }];
    let lab: LabFile;
    try {
      lab = loadLabFile(labFile);
    } catch (e) {
      return [{ name: 'lab file', ok: false, detail: (e as Error).message, fix: 'see docs/lab-file.md' }];
    }
    if (isRehearsal(lab)) return [{ name: 'lab file', ok: false, detail: rehearsalFile(lab), fix: 'name a real bench\'s lab file (start from lab/bench.example.json)' }];
    const found: CheckResult = { name: 'lab file', ok: true, detail: `${lab.lab}: devices ${lab.devices.map((d) => `${d.name}=${d.host.host}:${d.host.port}`).join(' ')}` };
    return [found, ...(await benchChecks(lab))];
  },
  open: openHardwareBench,
};
export default hardware;
