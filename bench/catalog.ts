/**
 * The whole scenario catalog's wall time per target, and each target's ratio to `embedded`.
 *
 *   node --import tsx bench/catalog.ts [--targets embedded,containers,hardware]
 *
 * Each run goes to its own temporary output directory (the repo's lab-output is left alone).
 * The hardware target runs the bench rehearsal (lab/rehearsal.json). A target that cannot
 * run here shows up as all tests skipped: the counts are printed beside the time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface CatalogTiming {
  target: string;
  seconds: number;
  counts: string;
  passed: number;
}

/** Runs `playwright test --project TARGET` over scenarios/ into a temp output dir. */
export function catalogRun(target: string): CatalogTiming {
  const out = mkdtempSync(join(tmpdir(), 'evsm-bench-catalog-'));
  const cli = join(dirname(createRequire(import.meta.url).resolve('@playwright/test/package.json')), 'cli.js');
  const env: NodeJS.ProcessEnv = { ...process.env, EVSM_LAB_OUTPUT: out, PLAYWRIGHT_JSON_OUTPUT_NAME: join(out, 'bench.json') };
  if (target === 'hardware' && !env.EVSM_LAB_FILE) env.EVSM_LAB_FILE = join(ROOT, 'lab', 'rehearsal.json');
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'test', 'scenarios', '--project', target, '--reporter=json'], { cwd: ROOT, encoding: 'utf8', env });
    const seconds = (performance.now() - t0) / 1000;
    try {
      const { stats } = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { stats: { expected: number; unexpected: number; skipped: number; flaky: number } };
      const passed = stats.expected + stats.flaky;
      return { target, seconds, passed, counts: `${passed} passed, ${stats.unexpected} failed, ${stats.skipped} skipped` };
    } catch {
      // no JSON: the run stopped before the reporter; the exit code is all there is
      return { target, seconds, passed: 0, counts: `exit code ${r.status}, no results` };
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function main(): void {
  const i = process.argv.indexOf('--targets');
  const targets = (i >= 0 ? process.argv[i + 1] : 'embedded,containers,hardware').split(',');
  console.log(`bench/catalog: node ${process.version}, targets ${targets.join(', ')}`);
  const timings = targets.map((t) => {
    const timing = catalogRun(t);
    console.log(`catalog on ${t.padEnd(10)} ${timing.seconds.toFixed(1).padStart(6)} s  (${timing.counts})`);
    return timing;
  });
  const base = timings.find((t) => t.target === 'embedded' && t.passed > 0);
  if (base) {
    for (const t of timings) if (t !== base && t.passed > 0) console.log(`ratio ${t.target}/embedded: ${(t.seconds / base.seconds).toFixed(2)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
