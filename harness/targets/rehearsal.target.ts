/**
 * `rehearsal`: a bench played by emulators. Its lab file (lab/rehearsal.json, the default;
 * lab/rehearsal-operator.json, lab/rehearsal-station.json; or any lab file with a `rehearsal`
 * section named by EVSM_LAB_FILE / `run --lab`) names devices on loopback ports; this target
 * starts an emulator process for each (+ `portStride` × worker), answers token prompts from a
 * SoftHSM2 pool, and answers "reset device X to factory state" by restarting its emulator on an
 * empty data directory. The bench itself is the real bench's (lab-bench.ts): the same prompts,
 * the same driver per device, SJJ1310 verification. With `operatorManagementPorts`, devices
 * without `managementPort` go the operator path and a scripted bench operator does VsmManager's
 * steps over those ports, which the harness is not given (harness/operator/scripted-bench.ts).
 *
 * In `operator.mode: "station"` (lab/rehearsal-station.json) nobody scripted stands in: every
 * prompt goes to the operator station page, the UKEYs are virtual ones in the folder named by
 * EVSM_REHEARSAL_UKEYS (the "slots" a person inserts them into), and VsmManager's steps are done
 * by whoever reads the page, in the VsmManager stand-in console (`evsm-lab vsm-manager`) on the
 * emulators' management ports (`operatorManagementPorts`), which the harness is not given.
 *
 * This file is the whole target (docs/harness.md, "Adding a target"): its project, checks,
 * devices, tokens, drivers and control; nothing else in the harness names it. The modules only a
 * bench needs load inside `open`, since every Playwright process loads this file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceName } from '../devices/types.ts';
import { isRehearsal, loadLabFile, REHEARSAL_LAB, type LabFile } from '../lab/lab-file.ts';
import { checkEmulatorProgram, checkPkcs11Module, type CheckResult } from '../system/checks.ts';
import { firstFailure, unavailableBench, type Bench, type BenchOptions, type Target } from './bench.ts';
import { EmulatorProcess } from './emulator-process.ts';
import type { StandIns } from './lab-bench.ts';

/** The rehearsal's lab file: the run's (EVSM_LAB_FILE) when it has a `rehearsal` section, else lab/rehearsal.json; a run's lab file of a real bench is an error. */
export function rehearsalLab(labFile: string | undefined): LabFile {
  const lab = loadLabFile(labFile ?? REHEARSAL_LAB);
  if (!isRehearsal(lab)) throw new Error(`${lab.path} is a real bench's lab file (no "rehearsal" section with startEmulators): the hardware target runs it (--project hardware)`);
  return lab;
}

/** The station rehearsal's UKEY folder: where the person "inserts" virtual UKEYs (the VsmManager console reads the same folder). */
export const REHEARSAL_UKEYS_ENV = 'EVSM_REHEARSAL_UKEYS';

function rehearsalChecks(lab: LabFile): CheckResult[] {
  if (lab.operator.mode === 'station') {
    const dir = process.env[REHEARSAL_UKEYS_ENV];
    return [
      checkEmulatorProgram(),
      dir
        ? { name: 'UKEY folder', ok: true, detail: `${dir} (virtual UKEYs, answered at the operator station)` }
        : { name: 'UKEY folder', ok: false, detail: `${REHEARSAL_UKEYS_ENV} not set`, fix: `export ${REHEARSAL_UKEYS_ENV}=DIR: the folder of virtual UKEYs the person inserts and the VsmManager console reads (docs/lab-file.md)` },
    ];
  }
  return [
    checkPkcs11Module(lab.pkcs11Module),
    checkEmulatorProgram(),
    { name: 'USB access', ok: true, detail: 'not needed: rehearsal answers token prompts from the SoftHSM2 pool' },
  ];
}

/** One emulator per lab device, kept for the worker's life and restarted empty for each test. */
function emulatorStandIns(): StandIns {
  const emulators = new Map<DeviceName, { proc: EmulatorProcess; dir: string }>();
  const running = (name: DeviceName) => {
    const e = emulators.get(name);
    if (!e) throw new Error(`rehearsal: no emulator started for device ${name}`);
    return e.proc;
  };
  return {
    async reset(name, port, managementPort) {
      const dir = mkdtempSync(join(tmpdir(), `evsm-lab-bench-${name}-`));
      const had = emulators.get(name);
      if (had) {
        // The rehearsal's answer to "reset device X to factory state": an empty data directory.
        await had.proc.restartFresh(dir);
        rmSync(had.dir, { recursive: true, force: true });
        had.dir = dir;
        return;
      }
      emulators.set(name, { proc: await EmulatorProcess.start({ name, dataDir: dir, port, mgmtPort: managementPort ?? 0 }), dir });
    },
    kill: (name) => running(name).kill(),
    restart: async (name) => {
      await running(name).restart();
    },
    async close() {
      const all = [...emulators.values()];
      emulators.clear();
      await Promise.all(all.map((e) => e.proc.stop()));
      for (const e of all) rmSync(e.dir, { recursive: true, force: true });
    },
  };
}

export async function openRehearsalBench(options: BenchOptions): Promise<Bench> {
  let lab: LabFile;
  try {
    lab = rehearsalLab(options.labFile);
  } catch (e) {
    return unavailableBench('rehearsal', (e as Error).message);
  }
  const failed = firstFailure([checkEmulatorProgram()]);
  if (failed) return unavailableBench('rehearsal', failed);
  const rehearsal = lab.rehearsal!;
  const offset = options.parallelIndex * rehearsal.portStride;
  const ports = rehearsal.operatorManagementPorts;
  const station = lab.operator.mode === 'station';
  const ukeys = process.env[REHEARSAL_UKEYS_ENV];
  if (station && !ukeys) return unavailableBench('rehearsal', `operator.mode "station" needs ${REHEARSAL_UKEYS_ENV}, the folder of virtual UKEYs the person inserts (docs/lab-file.md)`);
  const [{ labBench }, { benchAnswers }, { scriptedVsmManager }, { virtualLocator }] = await Promise.all([
    import('./lab-bench.ts'),
    import('../operator/select.ts'),
    import('../operator/scripted-bench.ts'),
    import('../../drivers/ukey/index.ts'),
  ]);
  let answers: ReturnType<typeof benchAnswers>;
  try {
    answers = benchAnswers(lab, (line) => console.log(line), station ? { tokenLocator: () => virtualLocator(ukeys!) } : {});
  } catch (e) {
    return unavailableBench('rehearsal', (e as Error).message);
  }
  // The scripted bench operator does VsmManager's steps over the ports only the rehearsal knows;
  // in station mode the person at the station page does them in the VsmManager console.
  const scripted: typeof answers.vsmManager = (tokens) =>
    Object.keys(ports).length === 0
      ? undefined
      : scriptedVsmManager({
          tokens,
          log: (line) => console.log(line),
          endpoint(device) {
            const entry = lab.devices.find((d) => d.name === device);
            const port = ports[device as DeviceName];
            return entry && port !== undefined ? { host: entry.host.host, port: port + offset } : undefined;
          },
        });
  const standIns = emulatorStandIns();
  return labBench({
    target: 'rehearsal',
    lab,
    portOffset: offset,
    answers: { ...answers, vsmManager: station ? answers.vsmManager : scripted },
    standIns: {
      ...standIns,
      // The operator rehearsal starts the emulator with a management port the harness is not given.
      reset: (name, port, managementPort) => {
        const operatorPort = ports[name];
        return standIns.reset(name, port, managementPort ?? (operatorPort === undefined ? undefined : operatorPort + offset));
      },
    },
  });
}

const rehearsal: Target = {
  name: 'rehearsal',
  description: 'a bench played by emulators on the lab file\'s loopback ports (lab/rehearsal.json, or --lab FILE with a "rehearsal" section)',
  order: 4,
  readsLabFile: true,
  // The lab file (EVSM_LAB_FILE) is checked first, as for a real bench; each worker has its own ports
  // (portStride), so the tests are dealt to the workers one by one, as on embedded.
  project: () => ({ dependencies: ['hardware-lab'], fullyParallel: true }),
  async checks({ labFile }) {
    let lab: LabFile;
    try {
      lab = rehearsalLab(labFile);
    } catch (e) {
      return [{ name: 'lab file', ok: false, detail: (e as Error).message, fix: 'name a lab file with a "rehearsal" section (lab/rehearsal*.json; docs/lab-file.md), or none for lab/rehearsal.json' }];
    }
    const found: CheckResult = { name: 'lab file', ok: true, detail: `${lab.lab}: devices ${lab.devices.map((d) => `${d.name}=${d.host.host}:${d.host.port}`).join(' ')}` };
    return [found, ...rehearsalChecks(lab)];
  },
  open: openRehearsalBench,
};
export default rehearsal;
