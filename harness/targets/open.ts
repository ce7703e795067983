/** The targets, and the bench for a Playwright project's target (its `metadata.target`). */
import { containersTarget } from './containers.ts';
import { embeddedTarget } from './embedded.ts';
import { hardwareTarget } from './hardware.ts';
import { TARGETS, unavailableBench, type Bench, type BenchOptions, type Target, type TargetName } from './bench.ts';

/** Every target's strategy, by name: the only list of them (a new target is its file and a line here). */
export const TARGET_STRATEGIES: Record<TargetName, Target> = {
  embedded: embeddedTarget,
  containers: containersTarget,
  hardware: hardwareTarget,
};

export function targetOf(metadata: Record<string, unknown> | undefined): TargetName | undefined {
  const t = metadata?.target;
  return typeof t === 'string' && (TARGETS as readonly string[]).includes(t) ? (t as TargetName) : undefined;
}

export async function openBench(target: TargetName, options: BenchOptions): Promise<Bench> {
  try {
    return await TARGET_STRATEGIES[target].open(options);
  } catch (e) {
    // A bench that cannot open is a skip with its reason, not a wall of worker errors.
    return unavailableBench(target, (e as Error).message.split('\n')[0]);
  }
}
