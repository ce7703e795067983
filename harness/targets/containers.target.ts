/**
 * `containers`: each test's devices are fresh emulator containers (host network, 127.0.0.1,
 * an owned volume removed with the container). Docker missing → every test skips with the
 * container layer's one-line reason. A container takes ~0.5 s to start, so the worker keeps a
 * warm spare per device name (spares.ts), stopped with the bench.
 */
import type { StartedEvsmEmulatorContainer } from '../../drivers/evsm/container/index.ts';
import { DEVICE_INDEX, loopbackHost, managementProcedures, unavailableBench, type Bench, type DeviceSlot, type Target } from './bench.ts';
import type { DeviceName } from '../devices/types.ts';
import { checkDocker, checkPkcs11Module, checkSofthsm, SOFTHSM2_MODULE } from '../system/checks.ts';
import { Spares } from './spares.ts';

export async function openContainersBench(): Promise<Bench> {
  // The container layer (testcontainers) and the token pool load only when the bench opens.
  const { checkContainersReadiness, EvsmEmulatorContainer } = await import('../../drivers/evsm/container/index.ts');
  const ready = await checkContainersReadiness();
  if (!ready.ready) return unavailableBench('containers', ready.reason);
  const softhsm = await checkSofthsm();
  if (!softhsm.ok) return unavailableBench('containers', `SoftHSM2 missing (${softhsm.detail}) — ${softhsm.fix}`);
  const image = ready.image;
  const [{ softHsmStore }, procedureDriver] = await Promise.all([import('../tokens/pool-source.ts'), managementProcedures()]);
  const live: StartedEvsmEmulatorContainer[] = [];
  const spares = new Spares<StartedEvsmEmulatorContainer>((name) => new EvsmEmulatorContainer(image).withName(name).start(), (c) => c.stop());
  return {
    target: 'containers',
    lab: `containers (image ${image}, SoftHSM2 tokens)`,
    unavailable: undefined,
    operatorMode: 'automatic',
    verification: 'emulator',
    // One SoftHSM2 pool per worker process, as SoftHSM2 allows.
    tokenStore: () => softHsmStore(24),
    procedureDriver,
    async device(name: DeviceName): Promise<DeviceSlot> {
      const c = await spares.take(name);
      live.push(c);
      return {
        name,
        host: loopbackHost(DEVICE_INDEX[name], c.port),
        managementPort: c.mgmtPort,
        model: 'SJJ1310 (emulator container)',
        serial: `CTR-${c.containerName}`,
        control: { kill: () => c.kill(), restart: () => c.restart() },
      };
    },
    releaseDevices,
    async close() {
      await releaseDevices();
      await spares.close();
    },
  };
  async function releaseDevices(): Promise<void> {
    const all = live.splice(0);
    await Promise.all(all.map((c) => c.stop()));
  }
}

const containers: Target = {
  name: 'containers',
  description: 'emulator containers (host network, 127.0.0.1) and SoftHSM2 tokens; needs a Docker engine and softhsm2',
  order: 2,
  project: () => ({ fullyParallel: true }),
  async checks() {
    const softhsm = await checkSofthsm();
    return [await checkDocker(), softhsm, softhsm.ok ? checkPkcs11Module(SOFTHSM2_MODULE) : { name: `PKCS#11 module ${SOFTHSM2_MODULE}`, ok: false, detail: 'not checked (SoftHSM2 missing)', fix: softhsm.fix }];
  },
  open: openContainersBench,
};
export default containers;
