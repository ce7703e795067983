/**
 * Container numbers for the `containers` target:
 *   - image build: cold (no Docker layer cache), rebuild with the runtime layer cached (what an
 *     emulator change costs), and a cache-key hit (what every unchanged run costs)
 *   - container start → ready line (median and range over N starts)
 *   - SIGKILL → restart → ready line on the same volume (median over N)
 *
 *   - with --catalog: the scenario catalog's wall time on the `containers` target
 *
 *   node --import tsx bench/containers.ts [--runs N] [--stand-in] [--skip-cold] [--catalog]
 *
 * Uses the real emulator image when emulators/evsm/program.ts exists, else the stand-in.
 * Prints one line per number; removes every container and volume it made.
 */
import { STAND_IN_ENTRY, buildEvsmImage, defaultEntry } from '../docker/build-image.ts';
import { runDocker } from '../docker/docker-cli.ts';
import { catalogRun } from './catalog.ts';
import { EvsmEmulatorContainer, checkContainersReadiness, currentRunId, removeProjectContainers } from '../drivers/evsm/container/index.ts';
import { median } from './stats.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${median(ms).toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}, n=${ms.length})`;
}

async function main(): Promise<number> {
  const runs = option('--runs', 10);
  const standIn = process.argv.includes('--stand-in') || defaultEntry().standIn;
  const entry = standIn ? STAND_IN_ENTRY : undefined;
  const readiness = await checkContainersReadiness({ entry });
  if (!readiness.ready) {
    console.log(`bench/containers: skipped: ${readiness.reason}`);
    return 0;
  }
  console.log(`bench/containers: ${standIn ? 'stand-in entry (docker/stand-in/program.ts)' : 'EVSM emulator (emulators/evsm/program.ts)'}, node ${process.version}`);

  if (!process.argv.includes('--skip-cold')) {
    const cold = await buildEvsmImage({ entry, force: true, noCache: true });
    console.log(`image build, cold (no layer cache):             ${cold.ms.toFixed(0)} ms  ${cold.tag}`);
    const layered = await buildEvsmImage({ entry, force: true });
    console.log(`image build, Docker layer cache warm (forced): ${layered.ms.toFixed(0)} ms`);
    // --no-cache leaves the previous layers dangling; they carry the project label.
    await runDocker(['image', 'prune', '-f', '--filter', 'label=evsm-lab=1']);
  }
  const hits: number[] = [];
  let image = '';
  for (let i = 0; i < 5; i++) {
    const r = await buildEvsmImage({ entry });
    if (r.built) throw new Error('expected a cache hit');
    hits.push(r.ms);
    image = r.tag;
  }
  console.log(`image check, cache key hit (bundle + hash):     ${summary(hits)}`);

  const runId = `bench-${currentRunId()}`;
  try {
    const starts: number[] = [];
    const restarts: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const c = await new EvsmEmulatorContainer(image).withName(`BENCH${i}`).withRunId(runId).start();
      starts.push(performance.now() - t0);
      await c.kill();
      const t1 = performance.now();
      await c.restart();
      restarts.push(performance.now() - t1);
      await c.stop();
    }
    console.log(`container start → ready line:                   ${summary(starts)}`);
    console.log(`SIGKILLed container restart → ready line:       ${summary(restarts)}`);
  } finally {
    await removeProjectContainers({ runId, volumes: 'all' });
  }
  if (process.argv.includes('--catalog')) {
    const t = catalogRun('containers');
    console.log(`scenario catalog on containers, wall time:      ${t.seconds.toFixed(1)} s (${t.counts})`);
  }
  return 0;
}

process.exitCode = await main();
