/**
 * The bench rehearsal: a lab file with a `rehearsal` section (lab/rehearsal.json,
 * lab/rehearsal-operator.json). The `hardware` code path runs on emulator processes this bench
 * starts on the lab's loopback ports (+ `portStride` × worker), with SoftHSM2 tokens answering the
 * token prompts; "reset device X to factory state" is answered by restarting its emulator on an
 * empty data directory. With `operatorManagementPorts`, devices without `managementPort` go the
 * operator path and a scripted bench operator does VsmManager's steps over those ports, which the
 * harness is not given (harness/operator/scripted-bench.ts).
 *
 * It is a bench strategy of its own (harness/targets/bench.ts): its devices, tokens, procedure
 * drivers, control and checks are all here, and fixtures.ts knows nothing about it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export function rehearsalChecks(lab: LabFile): CheckResult[] {
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
  const answers = benchAnswers(lab);
  const ports = rehearsal.operatorManagementPorts;
  const standIns = emulatorStandIns();
  return labBench({
    lab,
    portOffset: offset,
    answers: {
      ...answers,
      // The scripted bench operator does VsmManager's steps over the ports only the rehearsal knows.
      vsmManager: (tokens) =>
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
            }),
    },
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
