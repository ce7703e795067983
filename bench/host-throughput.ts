/**
 * Host-protocol throughput of the EVSM emulator with SDK-style calls (the vendor SDK's requests,
 * byte for byte, through drivers/evsm's `client.sdk`), over 1 and 16 connections, against the same
 * operations on SoftHSM2 through pkcs11js in this process, in the same run, as ratios.
 *
 *   node --import tsx bench/host-throughput.ts [--seconds 2] [--workers 1,2] [--no-before]
 *
 * Emulator side, one process per configuration, all running in this run with the same DMK:
 * `before` = every state change written on its own on the answering path
 * (EVSM_EMULATOR_COMMIT=each, the behaviour before group commit) with no worker threads; then
 * group commit with each `--workers` count (1 = the main thread alone). For every figure the
 * configurations take turns in SLICES slices, so a change in the machine's load hits them alike.
 * N clients with one persistent connection each (linkNum=-1), each closed-loop (one request in
 * flight). The clients run in this process, so on
 * a 2-core machine they take CPU the emulator could have used: read the ratios, not the absolutes. SoftHSM2 side: one
 * session, synchronous calls in this process (pkcs11js has no parallelism to offer here, so its
 * figure is the same for 1 and 16). SoftHSM2 has no SM4 or SM2: the equivalents are AES-128 and
 * ECDSA P-256, named in the table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvsmClient } from '../drivers/evsm/index.ts';
import { loopbackHost } from '../harness/targets/bench.ts';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { clearFromComponents, sm4PinBlock } from '../harness/reference.ts';
import { SOFTHSM_MODULE, SOFTHSM_OPS, type SoftHsmOp, softHsmRates } from './host-softhsm.ts';

const argOf = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const seconds = Number(argOf('--seconds') || 2) || 2;
const workerCounts = (argOf('--workers') ?? '1,2').split(',').map((x) => Number(x));
if (workerCounts.some((n) => !Number.isInteger(n) || n < 0 || n > 64)) throw new Error('--workers takes a list of thread counts, e.g. 1,2');
interface Config {
  label: string;
  commit: 'each' | 'group';
  workers: number;
}
const CONFIGS: Config[] = [
  ...(process.argv.includes('--no-before') ? [] : [{ label: 'before (each write alone, 1 thread)', commit: 'each' as const, workers: 1 }]),
  ...workerCounts.map((n) => ({ label: `group commit, --workers ${n}`, commit: 'group' as const, workers: n })),
];
const CONNECTIONS = [1, 16] as const;
const DATA64 = Buffer.alloc(64, 0x5a);
const ACCOUNT = '400000123456';
/** A test PIN for the PIN-translate figure (public test data). */
const TEST_PIN = '1234';
const SM2_USER_ID = Buffer.from('1234567812345678');
/** Public test components of the CC source ZPK (not secrets). */
const ZPK_PARTS = ['11112222333344445555666677778888', '0123456789ABCDEF0123456789ABCDEF'];

type Op = (client: EvsmClient, worker: number, i: number) => Promise<unknown>;

/** Closed loop on `clients` for `ms`: operations done and the time taken. */
async function closedLoop(clients: EvsmClient[], op: Op, ms: number, first: number): Promise<{ count: number; ms: number }> {
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    clients.map(async (c, w) => {
      for (let i = first; performance.now() < end; i++) {
        await op(c, w, i);
        count++;
      }
    }),
  );
  return { count, ms: performance.now() - start };
}

/** Slices per figure: the configurations take turns, so a change in the machine's load hits all alike. */
const SLICES = 4;

/**
 * ops/s of `op` on each emulator with `n` connections: warm-up (and proof the op succeeds) on
 * every one, then SLICES rounds in which each emulator runs for seconds / SLICES in turn.
 */
async function measureSideBySide(emulators: Bench[], n: number, op: Op): Promise<number[]> {
  const sets = await Promise.all(emulators.map((e) => Promise.all(Array.from({ length: n }, () => e.connect()))));
  try {
    await Promise.all(sets.map((clients) => Promise.all(clients.map((c, w) => op(c, w, 0)))));
    const total = emulators.map(() => ({ count: 0, ms: 0 }));
    for (let round = 0; round < SLICES; round++) {
      for (const [k, clients] of sets.entries()) {
        const r = await closedLoop(clients, op, (seconds * 1000) / SLICES, 1 + round * 100_000);
        total[k].count += r.count;
        total[k].ms += r.ms;
      }
    }
    return total.map((t) => t.count / (t.ms / 1000));
  } finally {
    for (const clients of sets) for (const c of clients) c.close();
  }
}

// ---- the emulator ----------------------------------------------------------------------------

/** Indices 1-2000 for A0-with-index: each of 16 workers cycles through its own 125. */
const storeIndex = (worker: number, i: number) => 1 + worker * 125 + (i % 125);
/** The CC keys and PIN block, made once per emulator. */
const cc = { source: '', destination: '', pinBlock: '' };

const OPS: Array<{ name: string; op: Op }> = [
  { name: 'A0 generate + store at an index (genWorkKey, SM4)', op: (c, w, i) => c.sdk.genWorkKey('00A', 'P', storeIndex(w, i), 'bench') },
  // KG as getKeyInfo sends it; the SDK caches per index, so the client's keyInfo (the same request) is timed.
  { name: 'KG key info (getKeyInfo)', op: (c) => c.keyInfo(2040) },
  { name: 'S3 encrypt 64 bytes, SM4 ECB (generalDataEnc)', op: (c) => c.sdk.generalDataEnc(0, '00A', 2040, null, 0, null, 5, DATA64, null) },
  { name: 'S0 MAC 64 bytes, SM4 CBC-MAC (generalCalMAC)', op: (c) => c.sdk.generalCalMAC(1, 8, '008', 2041, null, 0, null, 5, DATA64, '0'.repeat(32)) },
  { name: 'CC PIN translate ZPK→ZPK, SM4 (transferPinZPK12ZPK2)', op: (c) => c.sdk.transferPinZPK12ZPK2(cc.source, cc.destination, cc.pinBlock, 1, 1, ACCOUNT) },
  { name: 'E5 SM2 sign 64 bytes (genSM2Signature)', op: (c) => c.sdk.genSM2Signature(SM2_USER_ID, 0, DATA64, 1) },
];

/** Row → why the emulator refused it (printed instead of figures). */
const failures = new Map<number, string>();

interface Bench {
  process: EmulatorProcess;
  connect(): Promise<EvsmClient>;
}

/** Public test components of the bench DMK: every configuration has the same DMK, so one CC key set serves all. */
const BENCH_DMK_PARTS = '# bench DMK (public test values)\n0F1E2D3C4B5A69788796A5B4C3D2E1F0\n00112233445566778899AABBCCDDEEFF\n';

async function startBench(config: Config, componentsFile: string): Promise<Bench> {
  // The child takes the environment at spawn: the commit mode is set for that moment only.
  if (config.commit === 'each') process.env.EVSM_EMULATOR_COMMIT = 'each';
  const p = await EmulatorProcess.start({ name: 'BENCH', extraArgs: ['--dmk-components-file', componentsFile, '--workers', String(config.workers)] }).finally(() => delete process.env.EVSM_EMULATOR_COMMIT);
  const connect = () => EvsmClient.fromConfig({ logger: { categories: [], logPath: undefined }, hosts: [{ ...loopbackHost(1, p.port), linkNum: -1 }] }, { heartbeatIntervalMs: 600_000 });
  const setup = await connect();
  // Keys at fixed indices: a data key (S3), a MAC key (S0), an SM2 key pair (E5). The ZPKs (CC) are
  // cryptograms, the source one formed from public test components (the XK extension) so the PIN
  // block can be made here as a terminal makes it.
  await setup.sdk.genWorkKey('00A', 'P', 2040, 'bench zek');
  await setup.sdk.genWorkKey('008', 'P', 2041, 'bench zak');
  if (!cc.source) {
    cc.source = (await setup.formKey('ZPK', 'P', ZPK_PARTS)).keyUnderLmk;
    [cc.destination] = await setup.sdk.genWorkKey('001', 'P', 0, null);
    cc.pinBlock = sm4PinBlock(clearFromComponents(ZPK_PARTS), TEST_PIN, ACCOUNT);
  }
  // A refusal here shows as that row's failure (E5 then reports it), not as a crashed bench.
  await setup.sdk.generateSm2KeyPair(1, 'bench sm2').catch((e: Error) => console.error(`E7 SM2 key pair: ${e.message}`));
  setup.close();
  return { process: p, connect };
}

/** [config][operation][connections] */
const emulatorRates: number[][][] = CONFIGS.map(() => OPS.map(() => CONNECTIONS.map(() => Number.NaN)));
const benchDir = mkdtempSync(join(tmpdir(), 'evsm-bench-host-'));
const componentsFile = join(benchDir, 'dmk.txt');
writeFileSync(componentsFile, BENCH_DMK_PARTS, { mode: 0o600 });
const benches: Bench[] = [];
try {
  for (const config of CONFIGS) benches.push(await startBench(config, componentsFile));
  for (const [i, { op }] of OPS.entries()) {
    for (const [j, n] of CONNECTIONS.entries()) {
      try {
        const rates = await measureSideBySide(benches, n, op);
        rates.forEach((rate, k) => (emulatorRates[k][i][j] = rate));
      } catch (e) {
        failures.set(i, (e as Error).message.split('\n')[0]);
      }
    }
  }
} finally {
  await Promise.all(benches.map((b) => b.process.stop()));
  rmSync(benchDir, { recursive: true, force: true });
}

// ---- SoftHSM2 through pkcs11js, in this process (bench/host-softhsm.ts) ------------------------

/** The SoftHSM2 equivalent of each row of OPS, in order. */
const SOFT_OPS: SoftHsmOp[] = ['generateToken', 'getAttribute', 'encrypt', 'cmac', 'translate', 'ecdsa'];
const softRates = await softHsmRates(SOFT_OPS, seconds);
const softhsmRates = SOFT_OPS.map((op) => ({ what: SOFTHSM_OPS[op], rate: softRates.get(op)! }));

// ---- report ------------------------------------------------------------------------------------

const r = (x: number) => (Number.isNaN(x) ? 'failed' : String(Math.round(x)));
const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? '-' : `${(a / b).toFixed(2)}×`);
const short = (c: Config) => (c.commit === 'each' ? 'before' : `w${c.workers}`);
console.log(`EVSM emulator (SDK-style calls) vs SoftHSM2 ${SOFTHSM_MODULE} in-process — ${seconds} s per figure, closed loop, 127.0.0.1, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}`);
console.log(`emulator configurations, one process each, running side by side, taking turns in ${SLICES} slices per figure: ${CONFIGS.map((c) => `${short(c)} = ${c.label}`).join('; ')}`);
console.log('(SoftHSM2: one session, synchronous calls, so one figure serves both columns)');
console.log('');
const head = CONFIGS.flatMap((c) => CONNECTIONS.map((n) => `${short(c)} ${n} conn`));
console.log(`| operation (emulator) | ${head.join(' | ')} | SoftHSM2 equivalent | SoftHSM2 (ops/s) |`);
console.log(`| --- | ${head.map(() => '---:').join(' | ')} | --- | ---: |`);
OPS.forEach(({ name }, i) => {
  const soft = softhsmRates[i];
  const cells = CONFIGS.flatMap((_, k) => CONNECTIONS.map((_n, j) => r(emulatorRates[k][i][j])));
  console.log(`| ${name} | ${cells.join(' | ')} | ${soft.what} | ${r(soft.rate)} |`);
});
for (const [i, why] of failures) console.log(`row ${i + 1} (${OPS[i].name}) failed: ${why}`);
console.log('');
// Ratios: each configuration against the first one, and every configuration against SoftHSM2.
const base = CONFIGS[0];
const ratioHead = [
  ...CONFIGS.slice(1).flatMap((c) => CONNECTIONS.map((n) => `${short(c)} ÷ ${short(base)}, ${n} conn`)),
  ...CONFIGS.flatMap((c) => CONNECTIONS.map((n) => `${short(c)} ÷ SoftHSM2, ${n} conn`)),
];
console.log(`| operation | ${ratioHead.join(' | ')} |`);
console.log(`| --- | ${ratioHead.map(() => '---:').join(' | ')} |`);
OPS.forEach(({ name }, i) => {
  const soft = softhsmRates[i].rate;
  const cells = [
    ...CONFIGS.slice(1).flatMap((_, k) => CONNECTIONS.map((_n, j) => ratio(emulatorRates[k + 1][i][j], emulatorRates[0][i][j]))),
    ...CONFIGS.flatMap((_, k) => CONNECTIONS.map((_n, j) => ratio(emulatorRates[k][i][j], soft))),
  ];
  console.log(`| ${name.split(' (')[0]} | ${cells.join(' | ')} |`);
});
console.log('ratio ÷ SoftHSM2 = emulator ops/s ÷ SoftHSM2 ops/s (above 1: the emulator, over TCP, is faster than SoftHSM2 in-process).');
