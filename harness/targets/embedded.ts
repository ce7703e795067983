/**
 * `embedded`: each test's devices are fresh emulator processes on 127.0.0.1 (port 0, a new data
 * directory), so no state leaks between tests; they are stopped and their directories removed
 * when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEmulatorProgram } from '../system/checks.ts';
import { EmulatorProcess } from './emulator-process.ts';
import { DEVICE_INDEX, loopbackHost, unavailableBench, type Bench, type DeviceSlot } from './bench.ts';
import type { DeviceName } from '../devices/types.ts';

export function openEmbeddedBench(): Bench {
  const program = checkEmulatorProgram();
  if (!program.ok) return unavailableBench('embedded', `${program.detail} — ${program.fix}`);
  const live: Array<{ proc: EmulatorProcess; dir: string }> = [];
  return {
    target: 'embedded',
    lab: 'embedded (emulator processes on 127.0.0.1, virtual UKEYs)',
    unavailable: undefined,
    operatorMode: 'automatic',
    async device(name: DeviceName): Promise<DeviceSlot> {
      const dir = mkdtempSync(join(tmpdir(), `evsm-lab-${name}-`));
      const proc = await EmulatorProcess.start({ name, dataDir: dir });
      live.push({ proc, dir });
      return {
        name,
        host: loopbackHost(DEVICE_INDEX[name], proc.ready.port),
        mgmtPort: proc.ready.mgmtPort,
        model: 'SJJ1310 (emulator)',
        serial: `EMU-${name}-${proc.ready.pid}`,
        control: { kill: () => proc.kill(), restart: () => proc.restart() },
      };
    },
    releaseDevices,
    close: releaseDevices,
  };
  async function releaseDevices(): Promise<void> {
    const all = live.splice(0);
    await Promise.all(all.map((l) => l.proc.stop()));
    for (const l of all) rmSync(l.dir, { recursive: true, force: true });
  }
}
