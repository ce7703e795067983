/**
 * The certificate a lab can sign (issue 12, part 7): the lab's name from the lab file or
 * --lab-name, token roles only as read back in the run, "verified (unsigned)" for an unsigned
 * report, one certificate for a run over several targets.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReports, labNameOf } from '../reports/build.ts';
import { buildCertification } from '../reports/certification/model.ts';
import { renderCertification } from '../reports/certification/render.ts';
import { verifyCertificationHtml } from '../reports/certification/verify.ts';
import { LAB_NAME_ANNOTATION, parseResults, readResults } from '../reports/playwright-results.ts';
import { Redactor } from '../reports/redact.ts';
import { makeSeal } from '../reports/seal.ts';
import { hex, sm2GenerateKeyPair } from '../crypto/index.ts';
import { planRun } from '../harness/cli/run.ts';
import { verdict } from '../harness/cli/report.ts';
import { LabFileError, parseLabFile } from '../harness/lab/lab-file.ts';
import { syntheticReport, syntheticWithTokenUses } from './fixtures/reports/synthetic.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const noPdf = { ...process.env, EVSM_LAB_CHROMIUM: '/nonexistent', EVSM_LAB_NAME: '' };

type Report = { suites: { specs: { tests: { annotations: { type: string; description?: string }[]; results: { attachments: { name: string; body?: string }[] }[] }[] }[] }[] };

/** The synthetic run with the hardware target's lab check naming the lab, as harness/lab/lab-check.setup.ts does. */
function namedRun(dir: string, lab: string): string {
  const report = syntheticReport() as unknown as Report;
  report.suites[0].specs[0].tests[1].annotations.push({ type: LAB_NAME_ANNOTATION, description: lab });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(report));
  return dir;
}

const certificate = (dir: string) => readFileSync(join(dir, 'certification', 'certification.html'), 'utf8');

test('the certificate names the lab its lab file names, not evsm-lab; --lab-name wins', async () => {
  const dir = namedRun(tempDir('evsm-cert-lab-'), 'Acceptance bench 1');
  await buildReports({ results: dir, only: 'certification', env: { ...noPdf, EVSM_LAB_NAME: 'From the environment' } });
  const page = certificate(dir);
  expect(page).toContain('<dd id="lab">Acceptance bench 1</dd>');
  expect(page).not.toContain('<dd id="lab">evsm-lab</dd>');
  await buildReports({ results: dir, only: 'certification', labName: 'Acme Test Lab', env: noPdf });
  expect(certificate(dir)).toContain('<dd id="lab">Acme Test Lab</dd>');
  // Order: --lab-name, the lab file, EVSM_LAB_NAME, evsm-lab.
  expect(labNameOf({}, undefined, {})).toBe('evsm-lab');
  expect(labNameOf({}, undefined, { EVSM_LAB_NAME: 'E' })).toBe('E');
  expect(labNameOf({}, { labName: 'F' } as never, { EVSM_LAB_NAME: 'E' })).toBe('F');
  // run --lab-name passes it to the reports.
  expect(planRun(['--lab-name', 'Acme Test Lab'], root, {}).labName).toBe('Acme Test Lab');
});

test('the hardware target\'s lab check puts the lab file\'s name into results.json; an unnamed lab file gives none', () => {
  test.setTimeout(120_000);
  const runCheck = (labFile: string) => {
    const out = tempDir('evsm-cert-labcheck-');
    const r = spawnSync(process.execPath, [join(root, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--project', 'hardware-lab', '--reporter', 'json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, EVSM_LAB_FILE: labFile, EVSM_LAB_OUTPUT: out, PLAYWRIGHT_JSON_OUTPUT_NAME: join(out, 'results.json'), CI: '' },
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return readResults(join(out, 'results.json')).labName;
  };
  const rehearsal = JSON.parse(readFileSync(join(root, 'lab', 'rehearsal.json'), 'utf8')) as { lab: string };
  expect(runCheck(join(root, 'lab', 'rehearsal.json'))).toBe(rehearsal.lab);
  const unnamed = { ...JSON.parse(readFileSync(join(root, 'lab', 'rehearsal.json'), 'utf8')), lab: undefined };
  const dir = tempDir('evsm-cert-unnamed-');
  const file = join(dir, 'lab.json');
  writeFileSync(file, JSON.stringify({ ...unnamed, cacipher: join(root, 'lab', 'rehearsal-cacipher.ini') }));
  expect(runCheck(file)).toBeUndefined();
});

test('a lab file names the lab with "lab"; "name" is refused with a pointer to it', () => {
  const base = { cacipher: '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}', devices: { A: { host: 'HOST1' } }, pkcs11: { module: '/x.so' } };
  expect(parseLabFile(JSON.stringify({ lab: 'Bench 7', ...base }), '/b/lab.json')).toMatchObject({ lab: 'Bench 7', labNamed: true });
  expect(parseLabFile(JSON.stringify(base), '/b/lab.json')).toMatchObject({ labNamed: false });
  expect(() => parseLabFile(JSON.stringify({ name: 'Bench 7', ...base }), '/b/lab.json')).toThrow(LabFileError);
  expect(() => parseLabFile(JSON.stringify({ name: 'Bench 7', ...base }), '/b/lab.json')).toThrow('/b/lab.json:1:2: unknown key "name" at the top level (did you mean "lab"?)');
});

test('token roles: listed only as read back in the run; otherwise the certificate says not verified', () => {
  const uses = [
    // Taken blank for a component, written, never read back.
    { serial: 'VUK-3', label: 'C1', role: 'blank', as: 'component 1/2', step: 'DMK-01.write-component-ukeys' },
    // Read back later in the run: the role record says dmk-component.
    { serial: 'VUK-4', label: 'C2', role: 'blank', as: 'component 2/2', step: 'DMK-01.write-component-ukeys' },
    { serial: 'VUK-4', label: 'C2', role: 'dmk-component', as: 'component import 1', step: 'DMK-02.import-component' },
  ];
  const data = buildCertification(parseResults(syntheticWithTokenUses(uses) as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  const byserial = Object.fromEntries(data.tokens.filter((t) => t.target === 'embedded').map((t) => [t.serial, t]));
  expect(byserial['VUK-3']).toMatchObject({ uses: 'component 1/2', role: 'not verified (no role record when taken)', verified: false });
  expect(byserial['VUK-4']).toMatchObject({ uses: 'component 2/2, component import 1', role: 'dmk-component (KS-01)', verified: true });
  // A plain list of serials says nothing about roles.
  expect(data.tokens.find((t) => t.target === 'hardware' && t.serial === 'VUK-1')).toMatchObject({ role: 'not verified', verified: false });
  const page = renderCertification(data, makeSeal(data));
  expect(page).toContain('<td>VUK-3</td><td>C1</td><td>component 1/2</td><td>not verified (no role record when taken)</td>');
  expect(page).toContain('<td>VUK-4</td><td>C2</td><td>component 2/2, component import 1</td><td>dmk-component (KS-01)</td>');
  expect(page).not.toMatch(/<td>VUK-3<\/td><td>C1<\/td><td>component 1\/2<\/td><td>component/);
});

test('verify says what it verified: unsigned, signed by the key the report carries, or by the given lab key', () => {
  const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor: new Redactor([]) });
  const unsigned = renderCertification(data, makeSeal(data));
  const u = verifyCertificationHtml(unsigned);
  expect(u.every((c) => c.ok)).toBe(true);
  expect(verdict(u)).toMatch(/^verified \(unsigned\): /);
  const { privateKey, publicKey } = sm2GenerateKeyPair();
  const signed = renderCertification(data, makeSeal(data, privateKey));
  const s = verifyCertificationHtml(signed);
  expect(verdict(s)).toMatch(/^verified \(signed by key [0-9A-F]{16}, the key the report carries; give --public-key/);
  const t = verifyCertificationHtml(signed, publicKey);
  expect(verdict(t)).toMatch(/^verified \(signed by the given lab key [0-9A-F]{16}\)$/);
  expect(verdict(t)).not.toContain(hex(privateKey));
});

test('one run over several targets: one Playwright run, one certificate with a column per target', async () => {
  const plan = planRun(['--target', 'embedded', '--target', 'containers'], root, {});
  expect(plan.playwrightArgs.filter((a) => a === 'test')).toHaveLength(1);
  expect(plan.playwrightArgs.slice(-4)).toEqual(['--project', 'embedded', '--project', 'containers']);
  const report = syntheticReport() as { config: { projects: { name: string; metadata: object }[] }; suites: { specs: { tests: { projectName: string }[] }[] }[] };
  // The synthetic run, its hardware project renamed containers: what `--target embedded --target containers` writes.
  report.config.projects[1].name = 'containers';
  for (const s of report.suites) for (const sp of s.specs) for (const t of sp.tests) if (t.projectName === 'hardware') t.projectName = 'containers';
  const dir = tempDir('evsm-cert-multi-');
  writeFileSync(join(dir, 'results.json'), JSON.stringify(report));
  const outcomes = await buildReports({ results: dir, only: 'certification', env: noPdf });
  expect(outcomes.filter((o) => o.part === 'certification' && o.ok)).toHaveLength(1);
  const page = certificate(dir);
  const data = JSON.parse(/id="evsm-lab-certification-data">([\s\S]*?)<\/script>/.exec(page)![1]) as { targets: string[]; runs: { target: string }[] };
  expect(data.targets).toEqual(['containers', 'embedded']);
  expect(new Set(data.runs.map((r) => r.target))).toEqual(new Set(['containers', 'embedded']));
});
