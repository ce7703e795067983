/**
 * Allure HTML from allure-playwright results. The results are copied to a staging directory
 * and redacted there (step names, messages, parameters, text and JSON attachments), then
 * environment.properties, executor.json and categories.json are added and allure-commandline
 * (Java) generates a single-file report that opens straight from disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './canonical.ts';
import type { Redactor } from './redact.ts';
import { packageDir } from './versions.ts';

/** First line of `java -version` (it writes to stderr), or undefined when Java does not run. */
export function javaVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const r = spawnSync(java, ['-version'], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) return undefined;
  return (r.stderr || r.stdout).trim().split('\n')[0];
}

export const JAVA_MISSING = 'Java is not installed (allure-commandline needs Java 17): run `npm run setup:system` or install openjdk-17-jre-headless';

const TEXT_EXT = /\.(txt|log|md|csv|xml|html?|ya?ml|uri)$/i;
/** Fields of Allure result files that carry text from tests; ids and hashes are left alone. */
const TEXT_FIELDS = new Set(['name', 'fullName', 'description', 'descriptionHtml', 'message', 'trace', 'value']);

function redactResult(v: Json | undefined, r: Redactor, key?: string, skipValue = false): Json | undefined {
  if (typeof v === 'string') return key && TEXT_FIELDS.has(key) && !(skipValue && key === 'value') ? r.text(v) : v;
  if (Array.isArray(v)) return v.map((x) => redactResult(x, r) ?? null);
  if (v && typeof v === 'object') {
    // Labels whose name starts with '_' carry internal ids (hashes) in `value`.
    const internal = typeof v.name === 'string' && v.name.startsWith('_');
    const out: { [k: string]: Json | undefined } = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactResult(x, r, k, internal);
    return out;
  }
  return v;
}

/** Scenario families of the catalog, for Allure's Behaviors tab (feature = family, story = id). */
export const FAMILIES: Record<string, string> = {
  KS: 'Key backup and restore (KBK tokens)',
  DMK: 'DMK initialisation and synchronisation',
  EXT: 'External keys under the LMK',
  HA: 'High availability (cacipher configuration)',
};

type Label = { name: string; value: string };

/** Adds epic/feature/story labels from the scenario id in the title, unless the test set its own. */
function addBehaviourLabels(doc: { [k: string]: Json | undefined }): void {
  const m = typeof doc.name === 'string' ? /^([A-Z][A-Z0-9]{1,7})-\d{1,4}\b/.exec(doc.name) : null;
  if (!m || !Array.isArray(doc.labels)) return;
  const labels = doc.labels as Label[];
  if (labels.some((l) => l.name === 'feature' || l.name === 'story' || l.name === 'epic')) return;
  labels.push(
    { name: 'epic', value: 'EVSM key synchronisation' },
    { name: 'feature', value: FAMILIES[m[1]] ?? m[1] },
    { name: 'story', value: m[0] },
  );
}

/**
 * Copies allure-results to `stage`, redacting on the way. Returns the targets (projects) seen.
 * allure-playwright never empties its results directory, so results of earlier runs pile up
 * there; with `since` (ms since the epoch: the start of the run in results.json) results that
 * started before it are left out, so the Allure report shows the same run as the certification.
 */
export function stageResults(src: string, stage: string, r: Redactor, since?: number): string[] {
  mkdirSync(stage, { recursive: true });
  const targets = new Set<string>();
  for (const f of readdirSync(src)) {
    const from = join(src, f);
    const to = join(stage, f);
    if (/-(result|container)\.json$/.test(f)) {
      const doc = JSON.parse(readFileSync(from, 'utf8')) as Json;
      if (since !== undefined && doc && typeof doc === 'object' && !Array.isArray(doc) && typeof doc.start === 'number' && doc.start < since) continue;
      if (doc && typeof doc === 'object' && !Array.isArray(doc) && Array.isArray(doc.labels)) {
        for (const l of doc.labels) if (l && typeof l === 'object' && !Array.isArray(l) && l.name === 'parentSuite' && typeof l.value === 'string') targets.add(l.value);
      }
      const redacted = redactResult(doc, r);
      if (redacted && typeof redacted === 'object' && !Array.isArray(redacted)) addBehaviourLabels(redacted);
      writeFileSync(to, JSON.stringify(redacted));
    } else if (/-attachment\.json$/.test(f)) {
      writeFileSync(to, r.jsonText(readFileSync(from, 'utf8')));
    } else if (TEXT_EXT.test(f)) {
      writeFileSync(to, r.text(readFileSync(from, 'utf8')));
    } else {
      copyFileSync(from, to);
    }
  }
  return [...targets].sort();
}

/**
 * Last check before Allure sees the staged results: any file (binary attachments included,
 * which the text rules cannot redact) that still holds a known secret literal. Returns its name.
 */
export function stagedLeak(stage: string, r: Redactor): string | undefined {
  return readdirSync(stage).find((f) => r.leaks(readFileSync(join(stage, f)).toString('latin1')));
}

/** Java .properties escaping for keys and values. */
function propEscape(s: string, isKey: boolean): string {
  let out = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/=/g, '\\=').replace(/:/g, '\\:');
  if (isKey) out = out.replace(/ /g, '\\ ');
  return out.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function environmentProperties(props: [string, string][]): string {
  return props.map(([k, v]) => `${propEscape(k, true)}=${propEscape(v, false)}`).join('\n') + '\n';
}

/** Allure categories: how failures of a key-sync lab sort themselves. */
export const CATEGORIES = [
  { name: 'Keys differ between devices (KCV, MAC or ciphertext mismatch)', matchedStatuses: ['failed'], messageRegex: '(?s).*(KCV|check value|MAC|ciphertext|identical keys).*' },
  { name: 'Device or token unreachable', matchedStatuses: ['failed', 'broken'], messageRegex: '(?s).*(ECONNREFUSED|ECONNRESET|ETIMEDOUT|timed? ?out|not found|no token|USB).*' },
  { name: 'Timed out', matchedStatuses: ['broken', 'failed'], traceRegex: '(?s).*Timeout.*' },
  { name: 'Not run on this target (skipped)', matchedStatuses: ['skipped'] },
  { name: 'Procedure failures', matchedStatuses: ['failed'] },
  { name: 'Harness errors', matchedStatuses: ['broken'] },
];

export function writeAllureMetadata(stage: string, props: [string, string][], lab: string, issued: Date): void {
  writeFileSync(join(stage, 'environment.properties'), environmentProperties(props));
  writeFileSync(join(stage, 'categories.json'), JSON.stringify(CATEGORIES, null, 2));
  writeFileSync(
    join(stage, 'executor.json'),
    JSON.stringify({ name: 'evsm-lab', type: 'evsm-lab', buildName: `${lab} ${issued.toISOString()}`, reportName: `evsm-lab — ${lab}` }, null, 2),
  );
}

/**
 * Runs allure-commandline; resolves to undefined on success or a one-line reason. Asynchronous, so
 * the certification part (Chromium printing the PDF) runs beside it: each is a few seconds of
 * mostly one process, and `evsm-lab run` waits for both.
 */
export function generateAllure(stage: string, out: string, reportName: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const bin = join(packageDir('allure-commandline'), 'dist', 'bin', 'allure');
  if (!existsSync(bin)) return Promise.resolve('allure-commandline is not installed: run `npm install`');
  return new Promise((resolve) => {
    const child = spawn(bin, ['generate', stage, '--clean', '--single-file', '-o', out, '--name', reportName], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const keep = (d: Buffer): void => {
      said = (said + d.toString('utf8')).slice(-4096);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve(`allure-commandline did not start: ${e.message}`));
    child.on('close', (code) => resolve(code === 0 ? undefined : `allure-commandline failed (exit ${code}): ${said.trim().split('\n').slice(-1)[0] ?? ''}`));
  });
}
