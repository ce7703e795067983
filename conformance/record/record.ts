/**
 * Records SDK transcripts (docs/conformance.md, "Re-recording"):
 *
 *   EVSM_VENDOR_SDK_DIR=/path/to/jars node --import tsx conformance/record/record.ts \
 *       [--groups basics,hash,…] [--out test/data/sdk-transcripts] [--allow-failures]
 *
 * Per group: a fresh test device (deterministic DMK), the fixture ZMK (XK, kept as `setup`), the
 * recording proxy in front of it, and the conformance program with --sync, which announces each
 * SDK call. Every frame the SDK sends during a call is kept with its answer; heartbeats (CR0016)
 * are dropped. A group whose checks fail is not written unless --allow-failures.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exchange, fixtureFromAnswer, startTestDevice, stringConfig, writeFixtureFile, zmkRequest } from './device.ts';
import { compileConformance, findSdk, runConformance, type CheckResult } from './java.ts';
import { RecordingProxy } from './proxy.ts';
import { HEARTBEAT, SDK_VERSION, type Transcript, type TranscriptCall } from './transcript.ts';

export const RECORDED_GROUPS = ['basics', 'hash', 'keys', 'data', 'mac', 'pin', 'cvv', 'sm2'] as const;
/** Also recorded with msgheadlength=4 (the SDK's random header, echoed): file <group>-h4.json. */
export const HEADER_GROUPS = ['basics', 'cvv'] as const;
export const TRANSCRIPT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'data', 'sdk-transcripts');

export interface GroupRecording {
  transcript: Transcript;
  checks: CheckResult[];
  /** frames seen outside any call, other than heartbeats (must be none) */
  unattributed: string[];
  exitCode: number | null;
  otherOutput: string[];
}

/** A started device the recorder can talk to and stop (an EmulatorProcess by default). */
export interface RecordableDevice {
  port: number;
  stop(): Promise<void>;
}

export type DeviceStarter = (name: string, headerLength: number) => Promise<RecordableDevice>;

const testDevice: DeviceStarter = (name, headerLength) => startTestDevice({ name, headerLength });

export async function recordGroup(group: string, classpath: string, headerLength = 0, start: DeviceStarter = testDevice): Promise<GroupRecording> {
  const device = await start(`REC-${group.toUpperCase()}`, headerLength);
  const work = mkdtempSync(join(tmpdir(), `evsm-rec-${group}-`));
  try {
    const x8 = (await exchange(device.port, Buffer.from('X8', 'latin1'), headerLength)).toString('latin1');
    if (!/^X900[0-9A-F]{16}$/.test(x8)) throw new Error(`X8 (DMK check value) answered ${JSON.stringify(x8)}`);
    const setupAnswer = await exchange(device.port, zmkRequest(), headerLength);
    const zmk = fixtureFromAnswer(setupAnswer);
    const fixture = writeFixtureFile(work, zmk);
    const calls: TranscriptCall[] = [];
    const unattributed: string[] = [];
    let current: TranscriptCall | undefined;
    let heartbeats = 0;
    const proxy = await RecordingProxy.start<TranscriptCall | undefined>({
      targetPort: device.port,
      headerLength,
      tagRequest: () => current,
      onExchange: (e) => {
        if (e.request.equals(HEARTBEAT)) heartbeats++;
        else if (!e.tag) unattributed.push(e.request.toString('latin1').slice(0, 40));
        else e.tag.exchanges.push({ request: e.request.toString('hex').toUpperCase(), response: e.response.toString('hex').toUpperCase() });
      },
    });
    try {
      const run = await runConformance({
        classpath,
        config: stringConfig([proxy.port], { headerLength }),
        groups: [group],
        fixtureFile: fixture,
        sync: true,
        cwd: work,
        onCall: (c) => {
          current = { call: c.call, method: c.method, args: c.args, exchanges: [] };
          calls.push(current);
        },
        onDone: (d) => {
          if (current) {
            if (d.threw) current.threw = d.threw;
            else current.returned = d.returned;
          }
          current = undefined;
        },
      });
      const transcript: Transcript = {
        sdk: SDK_VERSION,
        recordedAt: new Date().toISOString().slice(0, 10),
        against: `evsm-lab emulator --dmk-components-file <test components> --header-length ${headerLength}`,
        headerLength,
        group,
        device: { dmkCheckValue: x8.slice(4) },
        setup: [{ request: zmkRequest().toString('hex').toUpperCase(), response: setupAnswer.toString('hex').toUpperCase() }],
        calls,
        heartbeatsDropped: heartbeats,
        failedChecks: run.checks.filter((c) => !c.ok).map((c) => ({ check: c.check, detail: c.detail })),
      };
      return { transcript, checks: run.checks, unattributed, exitCode: run.exitCode, otherOutput: run.otherOutput };
    } finally {
      await proxy.close();
    }
  } finally {
    await device.stop();
  }
}

export interface RecordAllOptions {
  groups: string[];
  out: string;
  allowFailures: boolean;
  classpath: string;
  start?: DeviceStarter;
}

/** Records every group (and the header variants); returns how many were not written. */
export async function recordAll(o: RecordAllOptions): Promise<number> {
  mkdirSync(o.out, { recursive: true });
  let bad = 0;
  const runs = [...o.groups.map((g) => ({ g, h: 0 })), ...o.groups.filter((g) => (HEADER_GROUPS as readonly string[]).includes(g)).map((g) => ({ g, h: 4 }))];
  for (const { g, h } of runs) {
    const name = h ? `${g}-h${h}` : g;
    const r = await recordGroup(g, o.classpath, h, o.start);
    const failed = r.checks.filter((c) => !c.ok);
    for (const c of r.checks) console.log(`${c.ok ? (c.skipped ? 'skip' : 'ok  ') : 'FAIL'} ${c.check}${c.ok && !c.detail ? '' : ` — ${c.detail}`}`);
    for (const l of r.otherOutput) if (/Exception|error/i.test(l)) console.log(`  (program) ${l}`);
    const exchanges = r.transcript.calls.reduce((n, c) => n + c.exchanges.length, 0);
    if (r.unattributed.length) {
      console.error(`${name}: ${r.unattributed.length} frame(s) outside any call: ${r.unattributed.slice(0, 5).join(' | ')}`);
      bad++;
      continue;
    }
    if ((failed.length || r.exitCode !== 0) && !o.allowFailures) {
      console.error(`${name}: ${failed.length} failed check(s), exit ${r.exitCode}: not written (use --allow-failures to keep it anyway)`);
      bad++;
      continue;
    }
    const file = join(o.out, `${name}.json`);
    writeFileSync(file, JSON.stringify(r.transcript, null, 1) + '\n');
    console.log(`${name}: ${r.transcript.calls.length} calls, ${exchanges} exchanges, ${r.transcript.heartbeatsDropped} heartbeats dropped → ${file}`);
  }
  return bad;
}

async function main(argv: string[]): Promise<number> {
  let groups: string[] = [...RECORDED_GROUPS];
  let out = TRANSCRIPT_DIR;
  let allowFailures = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--groups' && argv[i + 1]) groups = argv[++i].split(',');
    else if (a === '--out' && argv[i + 1]) out = argv[++i];
    else if (a === '--allow-failures') allowFailures = true;
    else {
      console.error(`record: unknown option ${a}\nusage: record.ts [--groups ${RECORDED_GROUPS.join(',')}] [--out DIR] [--allow-failures]`);
      return 2;
    }
  }
  const unknown = groups.filter((g) => !(RECORDED_GROUPS as readonly string[]).includes(g));
  if (unknown.length) {
    console.error(`record: unknown group(s) ${unknown.join(', ')}`);
    return 2;
  }
  const sdk = findSdk();
  if (!sdk.ok) {
    console.error(`record: ${sdk.reason}`);
    return 2;
  }
  const classpath = compileConformance(sdk.jars);
  return (await recordAll({ groups, out, allowFailures, classpath })) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => {
    console.error(`record: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}
