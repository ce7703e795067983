/**
 * Host-port throughput of the emulator with a cheap, honest load generator
 * (bench/throughput-load.ts: raw SJJ1310 frames built before the clock starts, N in flight per
 * connection, every answer checked for its request's header, response code, error 00 and
 * length), against SoftHSM2 in this process (measured in slices between the emulator's, so under
 * the same load), in one run, as ratios:
 *
 *   node --import tsx bench/throughput-raw.ts [--seconds 2] [--slices 2] [--window 16] [--client-process]
 *                                             [--baseline OLD-BUNDLE.mjs] [--ops KG,A0,A0K]
 *
 * Rows: KG key info, A0 generate a key without an index (nothing written), A0 with an index
 * (a store: group commit writes it before its answer goes out). Columns: 1 and 16 connections,
 * each closed loop (window 1, as the SDK does) and pipelined (window N). Beside each rate: the
 * emulator process's CPU time per call (from /proc, so it is the emulator's own) and the
 * client's CPU as a share of one core. `--client-process` runs the load generator as a process
 * of its own (the bench process then only waits). `--baseline FILE` adds a column: an emulator
 * bundle built from another tree (docker/bundle.ts), started the same way, the two taking turns
 * in SLICES slices per figure so a change in the machine's load hits both alike.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { type LoadResult, type LoadSpec, runLoad } from './throughput-load.ts';
import { SOFTHSM_OPS, type SoftHsmOp, openSoftHsm } from './host-softhsm.ts';

const argOf = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const seconds = Number(argOf('--seconds') || 2) || 2;
const window = Number(argOf('--window') || 16);
if (!Number.isInteger(window) || window < 1 || window > 256) throw new Error('--window takes 1-256 requests in flight per connection');
const clientProcess = process.argv.includes('--client-process');
const baseline = argOf('--baseline');
const wanted = (argOf('--ops') ?? 'KG,A0,A0K').split(',');
const SLICES = Number(argOf('--slices') || 2);
if (!Number.isInteger(SLICES) || SLICES < 1 || SLICES > 100) throw new Error('--slices takes 1-100 turns per figure');
const HEADER_LENGTH = 8;
/** The key KG reads (stored at start), and its label. */
const KG_INDEX = '2040';
const SHAPES = [
  { connections: 1, window: 1 },
  { connections: 1, window },
  { connections: 16, window: 1 },
  { connections: 16, window },
];

interface Row {
  id: string;
  name: string;
  request: string;
  soft: SoftHsmOp;
}
const ALL_ROWS: Row[] = [
  { id: 'KG', name: 'KG key info', request: `KG${KG_INDEX}`, soft: 'getAttribute' },
  { id: 'A0', name: 'A0 generate SM4 key, no index', request: 'A0000AP', soft: 'generateSession' },
  { id: 'A0K', name: 'A0 generate + store at an index', request: 'A0000APK{i}05bench', soft: 'generateToken' },
];
const ROWS = ALL_ROWS.filter((r) => wanted.includes(r.id));

/** Public test components of the bench DMK (not secrets). */
const BENCH_DMK_PARTS = '# bench DMK (public test values)\n0F1E2D3C4B5A69788796A5B4C3D2E1F0\n00112233445566778899AABBCCDDEEFF\n';

/** One request, one answer (the set-up and the answer shapes). */
function ask(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const b = Buffer.from(body, 'latin1');
    const f = Buffer.alloc(2 + b.length);
    f.writeUInt16BE(b.length, 0);
    b.copy(f, 2);
    let got = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        s.destroy();
        resolve(got.subarray(2, 2 + got.readUInt16BE(0)).toString('latin1'));
      }
    });
    s.write(f);
  });
}

/** utime + stime of a process in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const tsx = createRequire(import.meta.url).resolve('tsx');
const loadScript = fileURLToPath(new URL('./throughput-load.ts', import.meta.url));

function loadElsewhere(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', tsx, loadScript, JSON.stringify(spec)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load process: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

interface Emu {
  label: string;
  process: EmulatorProcess;
}

async function startEmu(label: string, componentsFile: string, bundle?: string): Promise<Emu> {
  const p = await EmulatorProcess.start({
    name: 'BENCH',
    headerLength: HEADER_LENGTH,
    extraArgs: ['--dmk-components-file', componentsFile],
    ...(bundle ? { launcher: { kind: 'bundle' as const, nodeArgs: [bundle] } } : {}),
  });
  const stored = await ask(p.port, `${'0'.repeat(HEADER_LENGTH)}A0000APK${KG_INDEX}05bench`);
  if (stored.slice(HEADER_LENGTH, HEADER_LENGTH + 4) !== 'A100') throw new Error(`${label}: storing the KG key was answered ${stored.slice(HEADER_LENGTH, HEADER_LENGTH + 4)}`);
  return { label, process: p };
}

/** What every answer of `row` must look like, from one answer of `emu`. */
async function shapeOf(emu: Emu, row: Row): Promise<Pick<LoadSpec, 'answerPrefix' | 'answerLength' | 'exact'>> {
  const a = (await ask(emu.process.port, '0'.repeat(HEADER_LENGTH) + row.request.replace('{i}', '0001'))).slice(HEADER_LENGTH);
  const prefix = row.request[0] + String.fromCharCode(row.request.charCodeAt(1) + 1) + '00';
  if (!a.startsWith(prefix)) throw new Error(`${emu.label}: ${row.id} was answered ${a.slice(0, 4)}`);
  return { answerPrefix: prefix, answerLength: a.length, ...(row.id === 'KG' ? { exact: a } : {}) };
}

interface Figure {
  rate: number;
  /** emulator CPU µs per answer */
  emuUsPerCall: number;
  /** client CPU, share of one core */
  clientCore: number;
}

const dir = mkdtempSync(join(tmpdir(), 'evsm-bench-raw-'));
const componentsFile = join(dir, 'dmk.txt');
writeFileSync(componentsFile, BENCH_DMK_PARTS, { mode: 0o600 });
const emus: Emu[] = [];
/** [row][shape][emulator] */
const figures: Figure[][][] = [];
/** SoftHSM2's rate per row, measured in slices between the emulator's (so under the same load) */
const soft: number[] = [];
let bad = 0;
const hsm = await openSoftHsm();
try {
  emus.push(await startEmu('this tree', componentsFile));
  if (baseline) emus.push(await startEmu(`baseline ${baseline.split('/').pop()}`, componentsFile, baseline));
  for (const row of ROWS) {
    const shapes = await Promise.all(emus.map((e) => shapeOf(e, row)));
    const perShape: Figure[][] = [];
    let softCalls = 0;
    let softSeconds = 0;
    for (const shape of SHAPES) {
      const acc = emus.map(() => ({ answers: 0, ms: 0, emuMs: 0, clientMs: 0 }));
      for (let slice = 0; slice < SLICES; slice++) {
        for (const [k, emu] of emus.entries()) {
          const spec: LoadSpec = { port: emu.process.port, headerLength: HEADER_LENGTH, ...shape, ms: (seconds * 1000) / SLICES, request: row.request, ...shapes[k] };
          const pid = emu.process.ready.pid;
          const c0 = cpuMsOf(pid);
          const r = await (clientProcess ? loadElsewhere(spec) : runLoad(spec));
          // The emulator's CPU over the whole load (warm-up and drain too), scaled to the counted part.
          const emuMs = cpuMsOf(pid) - c0;
          if (r.bad) {
            bad += r.bad;
            console.error(`${emu.label} ${row.id} ${shape.connections} conn × ${shape.window}: ${r.bad} bad answers, first: ${r.firstBad}`);
          }
          acc[k].answers += r.answers;
          acc[k].ms += r.ms;
          acc[k].emuMs += emuMs * (r.ms / (r.ms + Math.min(300, spec.ms / 4)));
          acc[k].clientMs += r.clientCpuMs;
        }
        const t = seconds / SLICES / SHAPES.length;
        softCalls += hsm.measure(row.soft, t) * t;
        softSeconds += t;
      }
      perShape.push(acc.map((a) => ({ rate: a.answers / (a.ms / 1000), emuUsPerCall: (a.emuMs * 1000) / a.answers, clientCore: a.clientMs / a.ms })));
    }
    figures.push(perShape);
    soft.push(softCalls / softSeconds);
  }
} finally {
  hsm.close();
  await Promise.all(emus.map((e) => e.process.stop()));
  rmSync(dir, { recursive: true, force: true });
}

const k = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : String(Math.round(x)));
console.log(
  `EVSM emulator, raw SJJ1310 frames (bench/throughput-load.ts, load generator ${clientProcess ? 'in a process of its own' : 'in the bench process'}), vs SoftHSM2 in-process — ` +
    `${seconds} s per figure in ${SLICES} slices, 127.0.0.1, header ${HEADER_LENGTH}, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} at the end, ${new Date().toISOString().slice(0, 10)}`,
);
console.log('cell: answers/s (emulator CPU µs per answer, client CPU as a share of one core)');
console.log('');
const head = SHAPES.flatMap((s) => emus.map((e) => `${s.connections} conn × ${s.window}${emus.length > 1 ? `, ${e.label}` : ''}`));
console.log(`| operation | ${head.join(' | ')} | SoftHSM2 equivalent | SoftHSM2 |`);
console.log(`| --- | ${head.map(() => '---:').join(' | ')} | --- | ---: |`);
ROWS.forEach((row, i) => {
  const cells = SHAPES.flatMap((_, j) => emus.map((_e, e) => figures[i][j][e]).map((f) => `${k(f.rate)} (${f.emuUsPerCall.toFixed(0)} µs, ${(f.clientCore * 100).toFixed(0)} %)`));
  const s = soft[i];
  console.log(`| ${row.name} | ${cells.join(' | ')} | ${SOFTHSM_OPS[row.soft]} | ${k(s)} |`);
});
console.log('');
const ratioHead = SHAPES.map((sh) => `${sh.connections} conn × ${sh.window} ÷ SoftHSM2`);
console.log(`| operation (${emus[0].label}) | ${ratioHead.join(' | ')} |`);
console.log(`| --- | ${ratioHead.map(() => '---:').join(' | ')} |`);
ROWS.forEach((row, i) => console.log(`| ${row.name} | ${SHAPES.map((_, j) => `${(figures[i][j][0].rate / soft[i]).toFixed(2)}×`).join(' | ')} |`));
if (emus.length > 1) {
  console.log('');
  console.log(`ratio this tree ÷ ${emus[1].label}, per column: ` + ROWS.map((row, i) => `${row.id} ${SHAPES.map((_, j) => (figures[i][j][0].rate / figures[i][j][1].rate).toFixed(2) + '×').join(' / ')}`).join('; '));
}
if (bad > 0) {
  console.error(`${bad} answers failed their checks: the figures above do not count them`);
  process.exitCode = 1;
}
