/** Opens the bench for a Playwright project's target (its `metadata.target`). */
import { openContainersBench } from './containers.ts';
import { openEmbeddedBench } from './embedded.ts';
import { openHardwareBench } from './hardware.ts';
import { TARGETS, unavailableBench, type Bench, type TargetName } from './bench.ts';

export function targetOf(metadata: Record<string, unknown> | undefined): TargetName | undefined {
  const t = metadata?.target;
  return typeof t === 'string' && (TARGETS as readonly string[]).includes(t) ? (t as TargetName) : undefined;
}

export async function openBench(target: TargetName, options: { labFile: string | undefined; parallelIndex: number }): Promise<Bench> {
  try {
    switch (target) {
      case 'embedded':
        return openEmbeddedBench();
      case 'containers':
        return await openContainersBench();
      case 'hardware':
        return await openHardwareBench(options);
    }
  } catch (e) {
    // A bench that cannot open is a skip with its reason, not a wall of worker errors.
    return unavailableBench(target, (e as Error).message.split('\n')[0]);
  }
}
