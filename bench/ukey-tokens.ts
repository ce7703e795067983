/**
 * UKEY numbers, virtual tokens and SoftHSM2 tokens side by side:
 *   - SoftHSM2 pool creation (softhsm2-util per token) and disposal
 *   - login + logout, wrong-PIN login (the driver-enforced counter costs a write on SoftHSM2)
 *   - writing and reading a ~100 KB backup blob (a 1,000-key backup)
 *   - authSign (SM2) per second
 *
 *   node --import tsx bench/ukey-tokens.ts [--runs N]
 *
 * Prints one line per number; removes everything it made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from '../crypto/index.ts';
import { SoftHsmPool, softHsmAvailable } from '../drivers/ukey/softhsm-pool.ts';
import { createVirtualToken } from '../drivers/ukey/virtual.ts';
import { FACTORY_USER_PIN, type Token } from '../drivers/ukey/token.ts';
import { median } from './stats.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function timed(runs: number, f: () => Promise<void>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return `median ${median(ms).toFixed(2)} ms (min ${Math.min(...ms).toFixed(2)}, max ${Math.max(...ms).toFixed(2)}, n=${runs})`;
}

async function measure(kind: string, token: Token, runs: number): Promise<void> {
  console.log(`${kind}: login+logout ${await timed(runs, async () => {
    await token.login(FACTORY_USER_PIN);
    await token.logout();
  })}`);
  console.log(`${kind}: wrong PIN then good PIN ${await timed(runs, async () => {
    await token.login('00000000').catch(() => undefined);
    await token.login(FACTORY_USER_PIN);
    await token.logout();
  })}`);
  await token.login(FACTORY_USER_PIN);
  const backup = randomBytes(100 * 1024);
  console.log(`${kind}: write 100 KB backup ${await timed(runs, async () => {
    await token.erase('backup');
    await token.writeBackup(backup);
  })}`);
  console.log(`${kind}: read 100 KB backup ${await timed(runs, async () => void (await token.readBackup()))}`);
  await token.generateAuthKey();
  const n = runs * 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await token.authSign(Buffer.from(`m${i}`));
  console.log(`${kind}: authSign ${((n * 1000) / (performance.now() - t0)).toFixed(0)}/s (n=${n})`);
  await token.close();
}

async function main(): Promise<number> {
  const runs = option('--runs', 10);
  const dir = await mkdtemp(join(tmpdir(), 'evsm-bench-ukey-'));
  try {
    await measure('virtual', await createVirtualToken(dir, { label: 'bench', serial: 'B1', userPin: FACTORY_USER_PIN, soPin: 'so-pin-4321' }), runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const avail = softHsmAvailable();
  if (!avail.ok) {
    console.log(`softhsm2: skipped, ${avail.reason}`);
    return 0;
  }
  let t0 = performance.now();
  const pool = await SoftHsmPool.create({ count: 5 });
  console.log(`softhsm2: pool of 5 tokens created in ${(performance.now() - t0).toFixed(0)} ms`);
  try {
    await measure('softhsm2', pool.open(1), runs);
  } finally {
    t0 = performance.now();
    await pool.dispose();
    console.log(`softhsm2: pool disposed in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  return 0;
}

process.exitCode = await main();
