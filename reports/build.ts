/**
 * `evsm-lab report`: builds the Allure HTML and the certification report (HTML + PDF) from
 * one run's output, each part on its own, so a missing Java or Chromium costs only its part.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { hex, wipe } from '../crypto/index.ts';
import { generateAllure, JAVA_MISSING, javaVersion, stagedLeak, stageResults, writeAllureMetadata } from './allure.ts';
import { buildCertification, type CertificationData } from './certification/model.ts';
import { renderCertification } from './certification/render.ts';
import { pdfSealFile, sealPdf } from './certification/pdf-seal.ts';
import { chromiumMissing, printPdf } from './chromium.ts';
import type { RunResults } from './playwright-results.ts';
import { readRunResults } from './run-legs.ts';
import { reportPaths, type ReportPaths } from './paths.ts';
import { Redactor, secretsFromEnv } from './redact.ts';
import { keyFingerprint, makeSeal, readPrivateKey } from './seal.ts';
import { softwareVersions } from './versions.ts';

export type BuildOptions = {
  /** Run output root holding results.json and allure-results/ (default: EVSM_LAB_OUTPUT or lab-output). */
  results?: string;
  /** Where reports go (default: the run output root). */
  out?: string;
  /** Lab signing key: a file path, or `env:NAME`. */
  signKey?: string;
  labName?: string;
  only?: 'allure' | 'certification';
  now?: Date;
  env?: NodeJS.ProcessEnv;
  /** Extra secret literals to redact (tests plant these). */
  secrets?: string[];
};

export type PartOutcome = { part: 'allure' | 'certification' | 'pdf'; ok: boolean; path?: string; message: string };

function environmentProps(data: CertificationData | undefined, targets: string[], lab: string, versions: { [k: string]: string }): [string, string][] {
  const props: [string, string][] = [['lab', lab], ['target', (data?.targets.length ? data.targets : targets).join(', ') || 'unknown']];
  const multi = new Set(data?.devices.map((d) => d.target)).size > 1;
  // One line per device name (emulator targets start fresh devices per test: list their serials).
  const byName = new Map<string, { model: string; serials: string[] }>();
  for (const d of data?.devices ?? []) {
    const key = `device.${multi ? `${d.target}.` : ''}${d.name || d.serial}`;
    if (!byName.has(key)) byName.set(key, { model: d.model, serials: [] });
    if (d.serial && !byName.get(key)!.serials.includes(d.serial)) byName.get(key)!.serials.push(d.serial);
  }
  for (const [key, g] of byName) {
    const serials = g.serials.length <= 3 ? g.serials.join(', ') : `${g.serials.slice(0, 3).join(', ')} … (${g.serials.length} devices)`;
    props.push([key, [g.model, serials].filter(Boolean).join(' ')]);
  }
  const tokens = [...new Set((data?.tokens ?? []).map((t) => `${t.serial} (${t.verified ? t.role : 'role not verified'})`))];
  if (tokens.length) props.push(['tokens', tokens.join(', ')]);
  for (const [k, v] of Object.entries(versions)) props.push([k, v]);
  return props;
}

async function buildCertificationPart(paths: ReportPaths, o: BuildOptions, redactor: Redactor, privateKey: Buffer | undefined, data: CertificationData): Promise<PartOutcome[]> {
  const env = o.env ?? process.env;
  const seal = makeSeal(data, privateKey);
  const html = renderCertification(data, seal);
  if (redactor.leaks(html)) {
    // Should not happen (every string went through the redactor); refuse rather than publish.
    return [{ part: 'certification', ok: false, message: 'refused: a secret survived redaction; report not written' }];
  }
  mkdirSync(paths.certification, { recursive: true });
  const htmlFile = join(paths.certification, 'certification.html');
  writeFileSync(htmlFile, html);
  const signed = seal.signature ? `signed with key ${keyFingerprint(Buffer.from(seal.signature.publicKey, 'hex'))}` : 'not signed';
  const out: PartOutcome[] = [{ part: 'certification', ok: true, path: htmlFile, message: `SM3 ${seal.digest}, ${signed}` }];
  const missing = chromiumMissing(env);
  if (missing) return [...out, { part: 'pdf', ok: false, message: missing }];
  const pdfFile = join(paths.certification, 'certification.pdf');
  try {
    await printPdf(html, pdfFile, `${data.lab} · SM3 ${seal.digest}`, env);
    writeFileSync(pdfSealFile(pdfFile), JSON.stringify(sealPdf(pdfFile, seal.digest, privateKey), null, 2) + '\n');
    out.push({ part: 'pdf', ok: true, path: pdfFile, message: `printed with Chromium, seal in ${basename(pdfSealFile(pdfFile))}` });
  } catch (e) {
    out.push({ part: 'pdf', ok: false, message: `Chromium could not print the PDF: ${(e as Error).message.split('\n')[0]}` });
  }
  return out;
}

async function buildAllurePart(paths: ReportPaths, o: BuildOptions, redactor: Redactor, data: CertificationData | undefined, lab: string, issued: Date, versions: { [k: string]: string }): Promise<PartOutcome> {
  const env = o.env ?? process.env;
  if (!existsSync(paths.allureResults)) {
    return { part: 'allure', ok: false, message: `no Allure results at ${paths.allureResults}: add the allure-playwright reporter to the run (docs/reports.md)` };
  }
  const java = javaVersion(env);
  if (!java) return { part: 'allure', ok: false, message: JAVA_MISSING };
  // Redacted copy of the results, in a private temporary directory that is removed afterwards.
  const stage = mkdtempSync(join(tmpdir(), 'evsm-lab-allure-'));
  let targets: string[];
  try {
    // A second of slack: the runner stamps its start a moment before the first test starts.
    const since = data?.run.startTime ? Date.parse(data.run.startTime) - 1000 : undefined;
    targets = stageResults(paths.allureResults, stage, redactor, Number.isNaN(since) ? undefined : since);
    const leak = stagedLeak(stage, redactor);
    if (leak) return { part: 'allure', ok: false, message: `refused: the result file ${leak} holds a secret the redaction cannot remove (a binary attachment?); report not written` };
    writeAllureMetadata(stage, [...environmentProps(data, targets, lab, versions), ['java', java]], lab, issued);
    const failure = await generateAllure(stage, paths.allureReport, `${lab}: EVSM key synchronisation`, env);
    if (failure) return { part: 'allure', ok: false, message: failure };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return { part: 'allure', ok: true, path: join(paths.allureReport, 'index.html'), message: `targets ${targets.join(', ') || 'none'}` };
}

/** The lab on the reports: --lab-name, else the run's lab file (`lab`), else EVSM_LAB_NAME, else `evsm-lab`. */
export function labNameOf(o: BuildOptions, results: RunResults | undefined, env: NodeJS.ProcessEnv): string {
  return o.labName || results?.labName || env.EVSM_LAB_NAME || 'evsm-lab';
}

/** The certification report and its PDF, or why there is none (nothing executed, no results). */
async function buildCertificationParts(paths: ReportPaths, o: BuildOptions, redactor: Redactor, privateKey: Buffer | undefined, data: CertificationData | undefined, resultsError: string | undefined): Promise<PartOutcome[]> {
  const executed = data?.runs.filter((r) => r.status !== 'skipped').length ?? 0;
  if (data && executed === 0) {
    // Nothing was tested: no certificate, and none left from an earlier run to be mistaken for this one.
    for (const f of ['certification.html', 'certification.pdf', pdfSealFile('certification.pdf')]) rmSync(join(paths.certification, f), { force: true });
    return [
      {
        part: 'certification',
        ok: false,
        message: `no scenario of the catalog was executed in this run (${data.runs.length} skipped${data.otherTests ? `, ${data.otherTests} tests outside the catalog` : ''}): no certificate written`,
      },
    ];
  }
  if (data) return buildCertificationPart(paths, o, redactor, privateKey, data);
  return [{ part: 'certification', ok: false, message: resultsError ?? 'no results' }];
}

export async function buildReports(o: BuildOptions = {}): Promise<PartOutcome[]> {
  const env = o.env ?? process.env;
  const paths = reportPaths({ results: o.results, out: o.out }, env);
  const issued = o.now ?? new Date();
  const versions = softwareVersions();
  const outcomes: PartOutcome[] = [];

  let privateKey: Buffer | undefined;
  const secrets = [...secretsFromEnv(env), ...(o.secrets ?? [])];
  if (o.signKey) {
    privateKey = readPrivateKey(o.signKey, env);
    // The signing key itself is a secret that must not appear in any report.
    secrets.push(hex(privateKey));
  }
  const redactor = new Redactor(secrets);

  let data: CertificationData | undefined;
  let resultsError: string | undefined;
  let lab = labNameOf(o, undefined, env);
  try {
    const results = readRunResults(paths.root);
    lab = labNameOf(o, results, env);
    data = buildCertification(results, { lab, issued, versions, redactor });
  } catch (e) {
    resultsError = (e as Error).message;
  }

  try {
    // The two parts side by side (Allure is a Java process, the PDF a Chromium one); their lines
    // are reported in the same order as before: Allure, then the certification report and PDF.
    const allure: Promise<PartOutcome[]> =
      o.only === 'certification'
        ? Promise.resolve([])
        : buildAllurePart(paths, o, redactor, data, lab, issued, versions).then(
            (r) => [r],
            // A damaged results file must not cost the certification report.
            (e: unknown) => [{ part: 'allure', ok: false, message: `could not stage the Allure results: ${(e as Error).message.split('\n')[0]}` }],
          );
    const certification = o.only === 'allure' ? Promise.resolve([]) : buildCertificationParts(paths, o, redactor, privateKey, data, resultsError);
    const [a, c] = await Promise.all([allure, certification]);
    outcomes.push(...a, ...c);
  } finally {
    if (privateKey) wipe(privateKey);
  }
  return outcomes;
}
