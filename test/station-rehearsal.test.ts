/**
 * The station rehearsal with no back door (issue 12, docs/station.md "Station rehearsal"): a
 * `hardware` run on lab/rehearsal-station.json — emulators the harness reaches only over the host
 * protocol (no managementPort), operator.mode "station" — answered by a program that behaves as a
 * person at the bench (test/support/station-person.ts): it reads the operator station page in
 * Chromium, does each VsmManager operation in the VsmManager stand-in console page (the only
 * thing holding the emulators' management ports), inserts virtual UKEYs into the slot folder and
 * types PINs into the masked fields. A prompt it cannot answer from the pages fails the test.
 *
 * npm test runs the whole operator-path catalog through it, in three parts that run side by side
 * (the DMK rows, the key-sync rows, the HA and external-key rows), each with its own station,
 * console, Chromium and emulators: one part after another was the longest test of the suite by
 * far (4.7 min of one worker while the other ran everything else). A last test checks that the
 * parts' greps cover the catalog, each row once. EVSM_STATION_REHEARSAL_GREP picks scenarios by
 * id instead (e.g. 'DMK-02|KS-01'), for trying one change quickly. With the whole catalog at most
 * 3 rows may skip (2 in the DMK part, 1 in the key-sync part), each naming what a person cannot
 * see in VsmManager. The
 * person's action log (timestamped, no PINs) is attached to the test result when it fails, with
 * the run's own output; nothing of it goes to stdout.
 */
import { test, expect, type Browser, type TestInfo } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabFile } from '../harness/lab/lab-file.ts';
import { startStation, STATION_URL_ENV, type Station } from '../harness/station/index.ts';
import { REHEARSAL_UKEYS_ENV } from '../harness/targets/rehearsal.target.ts';
import { chromiumMissing, launchChromium } from '../reports/chromium.ts';
import { createDevice } from '../virtual-ukey/index.ts';
import { startConsole } from '../vsm-manager/server.ts';
import { StationPerson } from './support/station-person.ts';
import { freePortBlock } from './support/free-port.ts';

const LAB = 'lab/rehearsal-station.json';
// Distinctive, so a leak anywhere is found by a plain substring search.
const PIN = '40729315';
const GREP = process.env.EVSM_STATION_REHEARSAL_GREP;

/** One part of the catalog through the pages, and what its run must show. */
interface Part {
  name: string;
  /** Playwright --grep of the part's rows (matched against the test title, like the runner's). */
  grep: string;
  /** At most this many rows of the part may skip (3 in all on the operator path, issue 12). */
  maxSkips: number;
  /** Operations the person must have done in the console, each as the person's log says it. */
  did: Array<string | RegExp>;
  /** Lines the console must have logged. */
  consoleSaid?: string[];
}

const PARTS: Part[] = [
  {
    name: 'DMK rows',
    grep: '\\bDMK-\\d\\d',
    maxSkips: 2,
    did: [
      'original-init.done on A: completed',
      'recovery-init.sync-auth on B: completed',
      'recovery-init.new-auth on B: completed',
      'export-components.write-component-ukeys on A: completed',
      'export-components.write-component-ukeys on A: refused AUTH_INSUFFICIENT',
      /authorization policy 2-of-3 of A read off VsmManager/,
      /authorization policy 1-of-1 of B read off VsmManager/,
    ],
  },
  {
    name: 'key-sync rows',
    grep: '\\bKS-\\d\\d',
    maxSkips: 1,
    did: ['backup-export.export on A: completed', 'restore-import.choose-backup-file on B: completed', 'restore-import.choose-backup-file on B: refused KBK_SHARES', 'restore-import.choose-backup-file on B: refused BACKUP_MAC'],
    consoleSaid: ['vsm-manager: restoreImport on B: refused KBK_SHARES'],
  },
  { name: 'HA and external-key rows', grep: '\\b(HA|EXT)-\\d\\d', maxSkips: 0, did: ['original-init.done on A: completed'] },
];
/** The parts' skips together: at most 3 (issue 12). */
const MAX_SKIPS = 3;

interface JsonSuite {
  suites?: JsonSuite[];
  specs?: Array<{ title: string; tests: Array<{ status: string; annotations?: Array<{ type: string; description?: string }> }> }>;
}

/** Each skipped test of a Playwright JSON report: its title and skip line. */
function skipLines(suite: JsonSuite): string[] {
  const out: string[] = [];
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests) if (t.status === 'skipped') out.push(`${spec.title}: ${t.annotations?.find((a) => a.type === 'skip')?.description ?? '(no reason given)'}`);
  }
  for (const s of suite.suites ?? []) out.push(...skipLines(s));
  return out;
}

/** Every spec title of a Playwright JSON report. */
function specTitles(suite: JsonSuite): string[] {
  return [...(suite.specs ?? []).map((s) => s.title), ...(suite.suites ?? []).flatMap(specTitles)];
}

/** The environment of a nested Playwright run: the outer worker's own variables removed. */
function nestedEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('TEST_') || k.startsWith('PLAYWRIGHT_')) delete env[k];
  return env;
}

/** A catalog row's title: its id first (DMK-01, KS-08, …). */
const CATALOG_ROW = /^[A-Z]+-\d\d /;

/** The catalog's row titles as the rehearsal target lists them (`playwright test --list`), listed once per worker. */
let listed: string[] | undefined;
function catalogTitles(outputDir: string): string[] {
  if (listed) return [...listed];
  const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--list', '--project=rehearsal', '--reporter=json', 'scenarios'], {
    encoding: 'utf8',
    env: nestedEnv({ EVSM_LAB_FILE: LAB, EVSM_LAB_OUTPUT: outputDir }),
  });
  expect(run.status, run.stderr).toBe(0);
  listed = specTitles(JSON.parse(run.stdout) as JsonSuite).filter((t) => CATALOG_ROW.test(t));
  return [...listed];
}

/**
 * lab/rehearsal-station.json on ports of the part's own block (host ports, then management ports),
 * free now, so the parts started side by side never draw the same port and two runs on one
 * machine (a CI run beside a developer's) move out of each other's way; everything else as in
 * the file. Blocks of 10 from 27000: below the kernel's ephemeral range and clear of the fixed
 * ports of the other rehearsal lab files (28018 and up).
 */
async function labOnOwnPorts(dir: string, block: number): Promise<string> {
  const raw = JSON.parse(readFileSync(LAB, 'utf8')) as { cacipher: string; pins: unknown; rehearsal: { operatorManagementPorts: Record<string, number> } };
  const names = Object.keys(raw.rehearsal.operatorManagementPorts);
  const ports = await freePortBlock({ first: 27000, size: 10, block, parts: PARTS.length + 1, count: 2 * names.length });
  const hosts: string[] = [];
  for (const [i, name] of names.entries()) {
    hosts.push(`[HOST${i + 1}];hsmModel=SJJ1310;linkNum=-4;host=127.0.0.1;port=${ports[i]};timeout=5`);
    raw.rehearsal.operatorManagementPorts[name] = ports[names.length + i];
  }
  raw.cacipher = `{[LOGGER];logsw=error;${hosts.join(';')};}`;
  const file = join(dir, 'rehearsal-station.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

/** Everything the run of one part must show; `part` undefined: the scenarios EVSM_STATION_REHEARSAL_GREP names. */
async function rehearse(grep: string, part: Part | undefined, testInfo: TestInfo): Promise<void> {
  test.skip(!!chromiumMissing(), chromiumMissing() ?? '');
  test.setTimeout(part ? 900_000 : 600_000);
  const root = mkdtempSync(join(tmpdir(), 'station-rehearsal-'));
  // The parts' blocks 0..2, a one-off EVSM_STATION_REHEARSAL_GREP run the next one.
  const labFile = await labOnOwnPorts(root, part ? PARTS.indexOf(part) : PARTS.length);
  const lab = loadLabFile(labFile);
  expect(lab.devices.map((d) => d.name)).toEqual(loadLabFile(LAB).devices.map((d) => d.name));
  // No back door: the harness is given no management port; only the console has them.
  expect(lab.operator.mode).toBe('station');
  for (const d of lab.devices) expect(d.managementPort, `device ${d.name}`).toBeUndefined();
  const ports = lab.rehearsal!.operatorManagementPorts;

  const [slots, drawer, backups, out] = ['slots', 'drawer', 'backups', 'out'].map((d) => join(root, d));
  for (const d of [slots, drawer, backups]) mkdirSync(d);
  // Enough blank UKEYs for the run: about 11 for two scenarios, under 120 for the largest part.
  const blanks = part ? 160 : 60;
  for (let i = 1; i <= blanks; i++) await createDevice(drawer, { label: `UKEY-${i}`, userPin: PIN, soPin: '93618207' });

  const stationLog: string[] = [];
  const consoleLog: string[] = [];
  const personLog: string[] = [];
  let station: Station | undefined;
  let vsmConsole: Awaited<ReturnType<typeof startConsole>> | undefined;
  let browser: Browser | undefined;
  let person: StationPerson | undefined;
  let runText = '';
  try {
    station = await startStation({ title: lab.lab, log: (l) => stationLog.push(l) });
    vsmConsole = await startConsole({
      devices: lab.devices.map((d) => ({ name: d.name, host: '127.0.0.1', port: ports[d.name]! })),
      tokensDir: slots,
      backupDir: backups,
      log: (l) => consoleLog.push(l),
    });
    browser = await launchChromium();
    person = new StationPerson({ browser, stationUrl: station.url, consoleUrl: vsmConsole.url, slots, drawer, backups, pin: PIN, log: (l) => personLog.push(l) });
    await person.start();

    const env = nestedEnv({ EVSM_LAB_FILE: labFile, [STATION_URL_ENV]: station.url, [REHEARSAL_UKEYS_ENV]: slots, EVSM_LAB_OUTPUT: out, CI: '' });
    const started = Date.now();
    const run = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=rehearsal', '--workers=1', '--retries=0', '--grep', grep, 'scenarios'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.on('exit', (code) => resolve({ code, text }));
    });
    runText = run.text;
    await person.stop();
    personLog.push(`run: ${((Date.now() - started) / 1000).toFixed(1)} s for the scenarios through the pages`);

    const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as JsonSuite & { stats: { expected: number; unexpected: number; skipped: number; flaky: number } };
    const results = report;
    const tail = run.text.split('\n').slice(-40).join('\n');
    expect(person.problems, `prompts the person could not answer from the pages:\n${person.problems.join('\n')}`).toEqual([]);
    expect(results.stats.unexpected, tail).toBe(0);
    expect(run.code, tail).toBe(0);
    const skips = skipLines(report);
    personLog.push(...skips.map((l) => `skipped: ${l}`));
    const did = person.did.join('\n');
    if (part) {
      // Every row of the part ran through the pages (none failed, none lost: exactly the rows of
      // the catalog its grep names), with at most its skips, each saying what a person cannot see
      // in VsmManager.
      const ran = specTitles(report).filter((t) => CATALOG_ROW.test(t)).sort();
      const wanted = catalogTitles(testInfo.outputPath('list')).filter((t) => new RegExp(part.grep).test(t)).sort();
      expect(ran, tail).toEqual(wanted);
      expect(results.stats.expected + results.stats.skipped, tail).toBe(ran.length + 1); // and the lab check
      expect(results.stats.flaky, tail).toBe(0);
      expect(skips.length, `skipped:\n${skips.join('\n')}`).toBeLessThanOrEqual(part.maxSkips);
      for (const l of skips) expect(l, 'a skip line names what VsmManager does not show a person').toMatch(/needed for .*(VsmManager|a person)/);
      // The person did the VsmManager operations in the console, each completed or refused as the scenarios expect.
      for (const op of part.did) typeof op === 'string' ? expect(did).toContain(op) : expect(did).toMatch(op);
      for (const line of part.consoleSaid ?? []) expect(consoleLog).toContain(line);
    } else expect(results.stats.expected, tail).toBeGreaterThanOrEqual(2);
    // The person answered the station's UKEY cards.
    expect(did).toMatch(/inserted blank UKEY/);
    expect(did).toMatch(/typed the PIN/);
    expect(consoleLog.some((l) => /originalInit on A: completed/.test(l))).toBe(true);
    // The PIN typed on both pages: in no log line, no run output, no result file.
    for (const text of [run.text, stationLog.join('\n'), consoleLog.join('\n'), readFileSync(join(out, 'results.json'), 'utf8'), did, personLog.join('\n')]) expect(text.includes(PIN)).toBe(false);
  } catch (e) {
    // Quiet on success; on failure the person's timestamped actions and the run's output go with the result.
    await testInfo.attach('person.log', { body: personLog.join('\n'), contentType: 'text/plain' });
    await testInfo.attach('rehearsal-run.txt', { body: runText, contentType: 'text/plain' });
    await testInfo.attach('vsm-manager.log', { body: consoleLog.join('\n'), contentType: 'text/plain' });
    throw e;
  } finally {
    await person?.stop().catch(() => undefined);
    await browser?.close();
    await vsmConsole?.close();
    await station?.close();
    if (process.env.EVSM_STATION_REHEARSAL_LOG) writeFileSync(process.env.EVSM_STATION_REHEARSAL_LOG, personLog.join('\n') + '\n');
    rmSync(root, { recursive: true, force: true });
  }
}

test.describe.configure({ mode: 'parallel' });

if (GREP) {
  test(`station rehearsal of ${GREP}: the scenarios pass with every prompt answered on the station page and every VsmManager step done in the console page`, async ({}, testInfo) => {
    await rehearse(GREP, undefined, testInfo);
  });
} else {
  for (const part of PARTS) {
    test(`station rehearsal, ${part.name}: they pass with every prompt answered on the station page and every VsmManager step done in the console page`, async ({}, testInfo) => {
      await rehearse(part.grep, part, testInfo);
    });
  }
}

test('the parts of the station rehearsal cover the catalog, each row in exactly one, and allow 3 skips in all', ({}, testInfo) => {
  const titles = catalogTitles(testInfo.outputPath('list'));
  expect(titles.length, 'the catalog as the rehearsal target lists it').toBeGreaterThanOrEqual(24);
  for (const t of titles) expect(PARTS.filter((p) => new RegExp(p.grep).test(t)).map((p) => p.name), t).toHaveLength(1);
  expect(PARTS.reduce((n, p) => n + p.maxSkips, 0)).toBe(MAX_SKIPS);
});
