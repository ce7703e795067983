/**
 * `embedded`: each test's devices are fresh emulator processes on 127.0.0.1 (port 0, a new data
 * directory), so no state leaks between tests; they are stopped and their directories removed
 * when the test ends. Starting one costs about 0.12 s from the cached bundle (0.5 s under tsx;
 * emulator-process.ts), and the worker keeps a warm spare per device name (spares.ts), started
 * in the background while the previous test runs: the state is still per test (the spare has
 * never been used), the start-up cost is the worker's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEmulatorProgram, checkNode } from '../system/checks.ts';
import { EmulatorProcess } from './emulator-process.ts';
import { Spares } from './spares.ts';
import { DEVICE_INDEX, loopbackHost, managementProcedures, unavailableBench, type Bench, type DeviceSlot, type Target } from './bench.ts';
import type { DeviceName } from '../devices/types.ts';

interface Running {
  proc: EmulatorProcess;
  dir: string;
}

function startFresh(name: DeviceName): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `evsm-lab-${name}-`));
  return EmulatorProcess.start({ name, dataDir: dir }).then(
    (proc) => ({ proc, dir }),
    (e: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    },
  );
}

export async function openEmbeddedBench(): Promise<Bench> {
  const program = checkEmulatorProgram();
  if (!program.ok) return unavailableBench('embedded', `${program.detail} — ${program.fix}`);
  const [{ virtualStore }, procedureDriver] = await Promise.all([import('../tokens/pool-source.ts'), managementProcedures()]);
  const live: Running[] = [];
  const spares = new Spares<Running>((name) => startFresh(name as DeviceName), (r) => stopAll([r]));

  async function stopAll(list: Running[]): Promise<void> {
    await Promise.all(list.map((l) => l.proc.stop()));
    for (const l of list) rmSync(l.dir, { recursive: true, force: true });
  }
  async function releaseDevices(): Promise<void> {
    await stopAll(live.splice(0));
  }

  return {
    target: 'embedded',
    lab: 'embedded (emulator processes on 127.0.0.1, virtual UKEYs)',
    unavailable: undefined,
    operatorMode: 'automatic',
    verification: 'emulator',
    tokenStore: async () => virtualStore(),
    procedureDriver,
    async device(name: DeviceName): Promise<DeviceSlot> {
      const running = await spares.take(name);
      live.push(running);
      const { proc } = running;
      return {
        name,
        host: loopbackHost(DEVICE_INDEX[name], proc.ready.port),
        managementPort: proc.ready.mgmtPort,
        model: 'SJJ1310 (emulator)',
        serial: `EMU-${name}-${proc.ready.pid}`,
        control: { kill: () => proc.kill(), restart: async () => { await proc.restart(); } },
      };
    },
    releaseDevices,
    async close() {
      await releaseDevices();
      await spares.close();
    },
  };
}

const embedded: Target = {
  name: 'embedded',
  description: 'emulator processes on 127.0.0.1 and virtual UKEYs; needs only npm install',
  order: 1,
  project: () => ({ fullyParallel: true }),
  checks: async () => [checkNode(), checkEmulatorProgram()],
  open: openEmbeddedBench,
};
export default embedded;
