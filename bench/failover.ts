/**
 * Failover benchmark: how long from the primary's death to the first good answer from the
 * standby, and which commands failed meanwhile. Two emulator processes on 127.0.0.1, a client
 * with [HOST1] primary and [HOST2] standby (ordered policy, the SDK's 1-second CR0016 heartbeat),
 * a steady stream of SDK-style calls (genRandom, SM3 hash by 3C, NC diagnostics) from several
 * workers. Per run: kill the primary, measure, restart it, wait until the client has it back.
 * Two ways to die:
 *   - SIGKILL: the process vanishes; the kernel resets its sockets (found at once);
 *   - SIGSTOP: the process hangs with its sockets open (found by readTimeout or a heartbeat timeout).
 *
 *   node --import tsx bench/failover.ts [--runs 7] [--workers 4] [--read-timeout 1]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EvsmClient, commands, type DispatchOptions } from '../drivers/evsm/index.ts';
import { sm3 } from '../crypto/index.ts';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    workers: { type: 'string', default: '4' },
    'read-timeout': { type: 'string', default: '1' },
  },
});
const RUNS = Number(values.runs);
const WORKERS = Number(values.workers);
const READ_TIMEOUT_S = Number(values['read-timeout']);

interface Sample {
  /** ms from the kill to the first good answer from HOST2. */
  failoverMs: number;
  /** Commands that failed (rejected) during the run: the figure should be 0. */
  failed: number;
  /** Commands answered after being moved from the dead host (tries > 1). */
  moved: number;
  /** Slowest single command around the kill, ms. */
  worstMs: number;
}

async function oneRun(client: EvsmClient, kill: () => void): Promise<Sample> {
  let running = true;
  let killAt = Number.POSITIVE_INFINITY;
  let firstStandby = Number.POSITIVE_INFINITY;
  let failed = 0;
  let moved = 0;
  let worstMs = 0;
  const worker = async (w: number): Promise<void> => {
    for (let seq = 0; running; seq++) {
      const trace: DispatchOptions['trace'] = {};
      const started = performance.now();
      try {
        if (seq % 3 === 0) {
          const rnd = await client.execute(commands.crRandom(16), { trace });
          if (rnd.length !== 16) throw new Error('wrong random length');
        } else if (seq % 3 === 1) {
          const data = Buffer.from(`b${w}-${seq}`);
          const digest = await client.execute(commands.hash3C(20, data), { trace });
          if (!digest.equals(sm3(data))) throw new Error('wrong SM3');
        } else await client.diagnostics({ trace });
        const now = performance.now();
        if (now > killAt) {
          if (trace.host === 'HOST2' && now < firstStandby) firstStandby = now;
          if ((trace.tries ?? 1) > 1) moved++;
          worstMs = Math.max(worstMs, now - started);
        }
      } catch {
        failed++;
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, 300)); // steady state on the primary
  killAt = performance.now();
  kill();
  const deadline = Date.now() + 20_000;
  while (firstStandby === Number.POSITIVE_INFINITY && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 200)); // let in-flight retries land
  running = false;
  await Promise.all(workers);
  return { failoverMs: firstStandby - killAt, failed, moved, worstMs };
}

async function scenario(name: 'SIGKILL' | 'SIGSTOP'): Promise<Sample[]> {
  let a = await EmulatorProcess.start({ name: 'A' });
  const b = await EmulatorProcess.start({ name: 'B' });
  const client = await EvsmClient.open(
    `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${a.port};linkNum=-8;timeout=3;readTimeout=${READ_TIMEOUT_S};` +
      `[HOST2];hsmModel=SJJ1310;host=127.0.0.1;port=${b.port};linkNum=-8;timeout=3;readTimeout=${READ_TIMEOUT_S}}`,
    { failover: 'ordered' },
  );
  const samples: Sample[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const victim = a;
      // kill() sends SIGKILL synchronously; its promise (the exit) is awaited after the run.
      samples.push(await oneRun(client, () => (name === 'SIGKILL' ? void victim.kill() : victim.pause())));
      const s = samples[samples.length - 1];
      console.log(`${name} run ${run + 1}: failover ${s.failoverMs.toFixed(1)} ms, failed ${s.failed}, moved ${s.moved}, slowest ${s.worstMs.toFixed(1)} ms`);
      // A stopped process is killed too (SIGKILL works on a stopped process) and started afresh.
      await victim.kill();
      a = await victim.restart();
      await client.waitForHost('HOST1', 'up', 20_000);
    }
  } finally {
    client.close();
    await Promise.all([a.stop(), b.stop()]);
  }
  return samples;
}

const lines: string[] = [];
for (const name of ['SIGKILL', 'SIGSTOP'] as const) {
  const samples = await scenario(name);
  lines.push(
    `${name.padEnd(7)}  runs=${samples.length}  median failover=${median(samples.map((s) => s.failoverMs)).toFixed(1)} ms` +
      `  min=${Math.min(...samples.map((s) => s.failoverMs)).toFixed(1)}  max=${Math.max(...samples.map((s) => s.failoverMs)).toFixed(1)}` +
      `  failed commands=${samples.reduce((n, s) => n + s.failed, 0)}  moved to standby=${samples.reduce((n, s) => n + s.moved, 0)}`,
  );
}
console.log(`\nfailover, ${WORKERS} workers, readTimeout=${READ_TIMEOUT_S}s, heartbeat 1 s, ordered policy, 2 emulator processes on 127.0.0.1`);
for (const l of lines) console.log(l);
