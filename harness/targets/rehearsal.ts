/**
 * The bench rehearsal: a lab file with a `rehearsal` section (lab/rehearsal.json,
 * lab/rehearsal-operator.json). The `hardware` code path runs on emulator processes this bench
 * starts on the lab's loopback ports (+ `portStride` × worker), with SoftHSM2 tokens answering the
 * token prompts; "reset device X to factory state" is answered by restarting its emulator on an
 * empty data directory. With `operatorManagementPorts`, devices without `managementPort` go the
 * operator path and a scripted bench operator does VsmManager's steps over those ports, which the
 * harness is not given (harness/operator/scripted-bench.ts).
 *
 * In `operator.mode: "station"` (lab/rehearsal-station.json) nobody scripted stands in: every
 * prompt goes to the operator station page, the UKEYs are virtual ones in the folder named by
 * EVSM_REHEARSAL_UKEYS (the "slots" a person inserts them into), and VsmManager's steps are done
 * by whoever reads the page, in the VsmManager stand-in console (`evsm-lab vsm-manager`) on the
 * emulators' management ports (`operatorManagementPorts`), which the harness is not given.
 *
 * It is a bench strategy of its own (harness/targets/bench.ts): its devices, tokens, procedure
 * drivers, control and checks are all here, and fixtures.ts knows nothing about it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { virtualLocator } from '../../drivers/ukey/index.ts';
import type { DeviceName } from '../devices/types.ts';
import type { LabFile } from '../lab/lab-file.ts';
import { benchAnswers } from '../operator/select.ts';
import { scriptedVsmManager } from '../operator/scripted-bench.ts';
import { checkEmulatorProgram, checkPkcs11Module, type CheckResult } from '../system/checks.ts';
import { firstFailure, unavailableBench, type Bench, type BenchOptions } from './bench.ts';
import { EmulatorProcess } from './emulator-process.ts';
import { labBench, type StandIns } from './lab-bench.ts';

/** A lab file the rehearsal takes: one with `rehearsal.startEmulators`. */
export function isRehearsal(lab: LabFile): boolean {
  return lab.rehearsal?.startEmulators === true;
}

/** The station rehearsal's UKEY folder: where the person "inserts" virtual UKEYs (the VsmManager console reads the same folder). */
export const REHEARSAL_UKEYS_ENV = 'EVSM_REHEARSAL_UKEYS';

export function rehearsalChecks(lab: LabFile): CheckResult[] {
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

export function openRehearsalBench(lab: LabFile, options: BenchOptions): Bench {
  const failed = firstFailure([checkEmulatorProgram()]);
  if (failed) return unavailableBench('hardware', `rehearsal: ${failed}`);
  const rehearsal = lab.rehearsal!;
  const offset = options.parallelIndex * rehearsal.portStride;
  const ports = rehearsal.operatorManagementPorts;
  const standIns = emulatorStandIns();
  const station = lab.operator.mode === 'station';
  const ukeys = process.env[REHEARSAL_UKEYS_ENV];
  if (station && !ukeys) return unavailableBench('hardware', `rehearsal: operator.mode "station" needs ${REHEARSAL_UKEYS_ENV}, the folder of virtual UKEYs the person inserts (docs/lab-file.md)`);
  let answers: ReturnType<typeof benchAnswers>;
  try {
    answers = benchAnswers(lab, (line) => console.log(line), station ? { tokenLocator: () => virtualLocator(ukeys!) } : {});
  } catch (e) {
    return unavailableBench('hardware', `rehearsal: ${(e as Error).message}`);
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
  return labBench({
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
