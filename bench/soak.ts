/**
 * Soak: the emulator's robustness suite (fuzz, exhaustion, crash) round after round with new
 * seeds, for minutes, and the counts.
 *
 *   node --import tsx bench/soak.ts [--minutes 5] [--seed 1] [--only fuzz|limits|crash]
 *
 * Each round runs test/emulator-fuzz.test.ts and test/emulator-crash.test.ts with seeds
 * seed + round (EVSM_FUZZ_SEED, EVSM_CRASH_SEED) and test/emulator-limits.test.ts, then adds up
 * what their annotations report: host frames, management requests, kills and the writes that
 * survived them, the worst new-client latency and RSS growth seen. A failing round prints its
 * seed and first error and the soak goes on; the exit code is 1 if any round failed.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const minutes = Number(option('--minutes', '5'));
const seed0 = Number(option('--seed', String(Date.now() % 1_000_000)));
const only = option('--only', '');
const FILES: Record<string, string> = {
  fuzz: 'test/emulator-fuzz.test.ts',
  limits: 'test/emulator-limits.test.ts',
  crash: 'test/emulator-crash.test.ts',
};
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) throw new Error('--minutes must be 0-1440');
if (only && !FILES[only]) throw new Error(`--only must be one of ${Object.keys(FILES).join(', ')}`);

interface Annotation {
  type: string;
  description?: string;
}
interface Suite {
  specs?: Array<{ title: string; tests: Array<{ annotations?: Annotation[]; results: Array<{ status: string; errors?: Array<{ message?: string }> }> }> }>;
  suites?: Suite[];
}

const totals = {
  rounds: 0,
  failedRounds: 0,
  tests: 0,
  failedTests: 0,
  hostFrames: 0,
  mgmtRequests: 0,
  keygenKills: 0,
  answeredWritesKept: 0,
  restoreKills: 0,
  restoresAnswered: 0,
  worstNewClientMs: 0,
  worstRssGrowthKib: 0,
};
const failures: string[] = [];

const num = (re: RegExp, s: string): number => Number(re.exec(s)?.[1] ?? 0);

function account(a: Annotation): void {
  const d = a.description ?? '';
  if (a.type === 'host fuzz') totals.hostFrames += num(/: (\d+) frames/, d);
  else if (a.type === 'management fuzz') totals.mgmtRequests += num(/: (\d+) requests/, d);
  else if (a.type === 'key generation kills') {
    totals.keygenKills += num(/: (\d+) kills/, d);
    totals.answeredWritesKept += num(/(\d+) answered writes all kept/, d);
  } else if (a.type === 'restore kills') {
    totals.restoreKills += num(/: (\d+) kills/, d);
    totals.restoresAnswered += num(/(\d+) answered before the kill/, d);
  }
  // Latencies ("new client 2.0 ms", or a list of ms) and RSS ("RSS a → b KiB" or "→ peak b").
  for (const m of d.matchAll(/new client ([\d.]+) ms/g)) totals.worstNewClientMs = Math.max(totals.worstNewClientMs, Number(m[1]));
  if (/latency/.test(a.type)) for (const v of d.split(' ').map(Number).filter(Number.isFinite)) totals.worstNewClientMs = Math.max(totals.worstNewClientMs, v);
  const rss = /RSS (\d+) → (?:peak )?(\d+) KiB/.exec(d);
  if (rss) totals.worstRssGrowthKib = Math.max(totals.worstRssGrowthKib, Number(rss[2]) - Number(rss[1]));
}

function walk(s: Suite, round: number, seed: number): void {
  for (const spec of s.specs ?? []) {
    for (const t of spec.tests) {
      totals.tests++;
      for (const a of t.annotations ?? []) account(a);
      const last = t.results.at(-1);
      if (last && last.status !== 'passed' && last.status !== 'skipped') {
        totals.failedTests++;
        failures.push(`round ${round} (seed ${seed}) ${spec.title}: ${(last.errors?.[0]?.message ?? last.status).replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0]}`);
      }
    }
  }
  for (const c of s.suites ?? []) walk(c, round, seed);
}

const deadline = Date.now() + minutes * 60_000;
const t0 = Date.now();
for (let round = 0; Date.now() < deadline; round++) {
  const seed = seed0 + round;
  const files = only ? [FILES[only]] : Object.values(FILES);
  const r = spawnSync('npx', ['playwright', 'test', '--project=unit', '--workers=1', '--reporter=json', ...files], {
    cwd: root,
    env: { ...process.env, EVSM_FUZZ_SEED: String(seed), EVSM_CRASH_SEED: String(seed) },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  totals.rounds++;
  let report: { suites?: Suite[]; errors?: Array<{ message?: string }> };
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    totals.failedRounds++;
    failures.push(`round ${round} (seed ${seed}): no report (exit ${r.status}): ${r.stderr.slice(-300)}`);
    continue;
  }
  const failedBefore = totals.failedTests;
  for (const s of report.suites ?? []) walk(s, round, seed);
  if (totals.failedTests > failedBefore || r.status !== 0) totals.failedRounds++;
  const elapsed = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`round ${round} seed ${seed}: ${r.status === 0 ? 'ok' : 'FAILED'} (${elapsed} s): ${totals.hostFrames} host frames, ${totals.mgmtRequests} mgmt requests, ${totals.keygenKills + totals.restoreKills} kills so far`);
}

console.log(`\nsoak ${minutes} min from seed ${seed0} (${((Date.now() - t0) / 60_000).toFixed(1)} min): ${totals.rounds} rounds, ${totals.failedRounds} failed`);
console.log(`  tests run ${totals.tests}, failed ${totals.failedTests}`);
console.log(`  host frames fuzzed ${totals.hostFrames}, management requests fuzzed ${totals.mgmtRequests}: every one answered once, well framed`);
console.log(`  kill -9 during key generation ${totals.keygenKills} (answered writes kept: ${totals.answeredWritesKept}), during restore ${totals.restoreKills} (restores answered before the kill: ${totals.restoresAnswered})`);
console.log(`  worst new-client latency under load ${totals.worstNewClientMs.toFixed(1)} ms, worst RSS growth ${(totals.worstRssGrowthKib / 1024).toFixed(1)} MiB`);
for (const f of failures.slice(0, 20)) console.log(`  FAILED ${f}`);
process.exit(totals.failedRounds ? 1 : 0);
