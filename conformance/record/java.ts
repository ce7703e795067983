/**
 * Finding the vendor SDK jars (EVSM_VENDOR_SDK_DIR), compiling our conformance program
 * (conformance/java) into a temporary directory, and running it. The jars are the vendor's: they
 * are only put on the class path, never copied, unpacked or committed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const JAVA_SOURCES = join(dirname(fileURLToPath(import.meta.url)), '..', 'java');
export const SDK_ENV = 'EVSM_VENDOR_SDK_DIR';
/** The three jars the SDK needs (names as published, versions free). */
const JAR_PREFIXES = ['TassHsmApihsmGeneralFinance', 'TassHsmDriver_SJJ1310', 'TassHsmFrame'];

export type SdkLocation = { ok: true; dir: string; jars: string[] } | { ok: false; reason: string };

/** The SDK folder from EVSM_VENDOR_SDK_DIR, or why it cannot be used (one line). */
export function findSdk(env: NodeJS.ProcessEnv = process.env): SdkLocation {
  const dir = env[SDK_ENV];
  if (!dir) return { ok: false, reason: `vendor SDK not configured: set ${SDK_ENV} to the folder with the TASS SDK jars` };
  if (!existsSync(dir)) return { ok: false, reason: `${SDK_ENV}=${dir} does not exist` };
  const files = readdirSync(dir).filter((f) => f.endsWith('.jar'));
  const jars: string[] = [];
  for (const prefix of JAR_PREFIXES) {
    const jar = files.find((f) => f.startsWith(prefix));
    if (!jar) return { ok: false, reason: `${SDK_ENV}=${dir} has no ${prefix}*.jar` };
    jars.push(join(dir, jar));
  }
  const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
  if (javac.status !== 0) return { ok: false, reason: 'javac (Java 17) not found on PATH' };
  return { ok: true, dir, jars };
}

/**
 * Compiles conformance/java/*.java against the jars into a temporary directory named by a hash
 * of the sources and jars (so a second call reuses it). Returns the class path to run with.
 */
export function compileConformance(jars: string[]): string {
  const sources = readdirSync(JAVA_SOURCES).filter((f) => f.endsWith('.java')).sort();
  const hash = createHash('sha256');
  for (const f of sources) hash.update(f).update(readFileSync(join(JAVA_SOURCES, f)));
  for (const j of jars) hash.update(j);
  const out = join(tmpdir(), `evsm-conformance-${hash.digest('hex').slice(0, 16)}`);
  const classpath = [...jars, out].join(delimiter);
  if (existsSync(join(out, 'SdkConformance.class'))) return classpath;
  mkdirSync(out, { recursive: true });
  const r = spawnSync('javac', ['-encoding', 'UTF-8', '-cp', jars.join(delimiter), '-d', out, ...sources.map((f) => join(JAVA_SOURCES, f))], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed:\n${r.stdout}${r.stderr}`);
  return classpath;
}

export interface CheckResult {
  check: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
  ms: number;
}

export interface Summary {
  checks: number;
  passed: number;
  failed: number;
  skipped: number;
  calls: number;
  ms: number;
}

export interface RunOptions {
  classpath: string;
  /** a cacipher.ini path or the {…} string form */
  config: string;
  groups?: string[];
  fixtureFile?: string;
  /** the recorder's call-boundary protocol (@@CALL / ack / @@DONE) */
  sync?: boolean;
  haSeconds?: number;
  haThreads?: number;
  perfCalls?: number;
  /** working directory (the SDK writes its log files relative to it) */
  cwd?: string;
  onCheck?: (r: CheckResult) => void;
  /** @@CALL: return (or resolve) once ready; the program then makes the call */
  onCall?: (call: { call: string; method: string; args: unknown[] }) => void | Promise<void>;
  onDone?: (done: { returned?: unknown; threw?: { code?: number; exception?: string; message: string } }) => void;
  onHa?: (progress: { calls: number; failed: number }) => void;
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number | null;
  checks: CheckResult[];
  summary: Summary | undefined;
  /** stdout lines that are neither ours nor empty (the SDK's own debug prints), and stderr */
  otherOutput: string[];
}

/** Runs SdkConformance; resolves when it exits (or is killed at timeoutMs). */
export function runConformance(opts: RunOptions): Promise<RunResult> {
  const args = ['-Dfile.encoding=UTF-8', '-cp', opts.classpath, 'SdkConformance', '--config', opts.config];
  if (opts.groups) args.push('--groups', opts.groups.join(','));
  if (opts.fixtureFile) args.push('--fixture', opts.fixtureFile);
  if (opts.sync) args.push('--sync');
  if (opts.haSeconds !== undefined) args.push('--ha-seconds', String(opts.haSeconds));
  if (opts.haThreads !== undefined) args.push('--ha-threads', String(opts.haThreads));
  if (opts.perfCalls !== undefined) args.push('--perf-calls', String(opts.perfCalls));
  const child = spawn('java', args, { cwd: opts.cwd ?? tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  const result: RunResult = { exitCode: null, checks: [], summary: undefined, otherOutput: [] };
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
  // Lines are handled one at a time, in order: an ack must not overtake an earlier @@DONE.
  let queue = Promise.resolve();
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    queue = queue.then(() => handle(line)).catch((e: Error) => {
      result.otherOutput.push(`recorder error: ${e.message}`);
      child.kill('SIGKILL');
    });
  });
  createInterface({ input: child.stderr }).on('line', (l) => result.otherOutput.push(l));
  async function handle(line: string): Promise<void> {
    if (line.startsWith('@@CALL ')) {
      await opts.onCall?.(JSON.parse(line.slice(7)));
      child.stdin.write('ok\n');
    } else if (line.startsWith('@@DONE ')) {
      opts.onDone?.(JSON.parse(line.slice(7)));
    } else if (line.startsWith('@@HA ')) {
      opts.onHa?.(JSON.parse(line.slice(5)));
    } else if (line.startsWith('{"check"')) {
      const r = JSON.parse(line) as CheckResult;
      result.checks.push(r);
      opts.onCheck?.(r);
    } else if (line.startsWith('{"summary"')) {
      result.summary = (JSON.parse(line) as { summary: Summary }).summary;
    } else if (line.trim() !== '') {
      result.otherOutput.push(line);
    }
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      void queue.then(() => {
        result.exitCode = code;
        resolve(result);
      });
    });
  });
}
