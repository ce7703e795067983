/**
 * The station wired into bench runs (docs/lab-file.md operator.mode "station", docs/station.md):
 * the lab file's mode and port, benchAnswers' station case answered over the station's protocol,
 * and the runner's global setup that starts the station for a station-mode lab file only.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabFile, parseLabFile } from '../harness/lab/lab-file.ts';
import { benchAnswers } from '../harness/operator/select.ts';
import { STATION_URL_ENV, type StationState } from '../harness/station/index.ts';
import { startStation } from '../harness/station/server.ts';
import globalSetup, { projectsNamed, stationLabFor } from '../harness/station/run-setup.ts';

const CACIPHER = '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}';
const labText = (operator?: unknown) => JSON.stringify({ lab: 'Bench 7', cacipher: CACIPHER, devices: { A: { host: 'HOST1' } }, pkcs11: { module: '/x.so' }, ...(operator === undefined ? {} : { operator }) }, null, 1);

test('a bench lab file without operator.mode is in station mode, on any free port unless operator.port says', () => {
  const lab = parseLabFile(labText(), '/x/lab.json');
  expect(lab.operator).toEqual({ mode: 'station', timeoutSeconds: 300, port: 0 });
  expect(parseLabFile(labText({ mode: 'console' }), '/x/lab.json').operator.mode).toBe('console');
  expect(parseLabFile(labText({ mode: 'station', port: 8300 }), '/x/lab.json').operator.port).toBe(8300);
  expect(() => parseLabFile(labText({ mode: 'stattion' }), '/x/lab.json')).toThrow(/lab\.json:\d+:\d+: operator\.mode: expected "station".*did you mean "station"\?/);
  expect(() => parseLabFile(labText({ port: 70000 }), '/x/lab.json')).toThrow(/operator\.port: expected a port number 0\.\.65535/);
  expect(() => parseLabFile(labText({ prot: 1 }), '/x/lab.json')).toThrow(/unknown key "prot" in operator \(did you mean "port"\?\)/);
});

test('station mode: benchAnswers asks the station; no station for the run is one clear error', async () => {
  const lab = parseLabFile(labText(), '/x/lab.json');
  expect(() => benchAnswers(lab, () => {}, { env: {} })).toThrow(`operator.mode is "station" but no operator station runs for this run (${STATION_URL_ENV} is unset`);
  const station = await startStation({ log: () => {} });
  try {
    const answers = benchAnswers(lab, () => {}, { env: { [STATION_URL_ENV]: station.url } });
    expect(answers.operator.mode).toBe('station');
    const tokens = { acquire: async () => { throw new Error('no tokens'); }, release: async () => {}, close: async () => {}, loginToken: async () => {} };
    const vsm = answers.vsmManager(tokens);
    expect(vsm).toBeDefined();
    // The person answers on the station (here over the page's own protocol): the DMK check value, typed with spaces.
    const read = vsm!.readDmkKcv('A');
    const prompt = await waitForPrompt(station.url);
    expect(prompt.kind).toBe('value');
    expect(prompt.device).toBe('A');
    expect(await post(station.url, `/api/prompts/${prompt.id}/answer`, { answer: { kind: 'value', value: '0123 4567 89ab cdef' } })).toBe(200);
    expect(await read).toBe('0123456789ABCDEF');
    const confirmed = answers.operator.confirm({ zh: '复位', en: 'Reset device A' }, 'A');
    const second = await waitForPrompt(station.url);
    expect(second.text.en).toBe('Reset device A');
    expect(await post(station.url, `/api/prompts/${second.id}/answer`, { answer: { kind: 'completed' } })).toBe(200);
    expect(await confirmed).toBe('prompted');
  } finally {
    await station.close();
  }
});

test('the global setup starts a station for a station-mode lab file only, and not when the run names no hardware project', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-run-'));
  try {
    const station = join(dir, 'station.json');
    const consoleLab = join(dir, 'console.json');
    writeFileSync(station, labText({ mode: 'station', port: 0 }));
    writeFileSync(consoleLab, labText({ mode: 'console' }));
    expect(projectsNamed(['x', '--project', 'unit', '--project=hardware'])).toEqual(['unit', 'hardware']);
    expect(stationLabFor({ EVSM_LAB_FILE: station }, [])?.lab).toBe('Bench 7');
    expect(stationLabFor({ EVSM_LAB_FILE: station }, ['--project', 'hardware'])?.lab).toBe('Bench 7');
    expect(stationLabFor({ EVSM_LAB_FILE: station }, ['--project', 'unit'])).toBeUndefined();
    expect(stationLabFor({ EVSM_LAB_FILE: consoleLab }, [])).toBeUndefined();
    expect(stationLabFor({ EVSM_LAB_FILE: 'lab/rehearsal.json' }, [])).toBeUndefined(); // pool mode
    expect(stationLabFor({ EVSM_LAB_FILE: station, [STATION_URL_ENV]: 'http://127.0.0.1:1/' }, [])).toBeUndefined();
    expect(loadLabFile(station).operator.mode).toBe('station');

    // The real global setup, in this process: the station listens and the workers' variable names it.
    const saved = { lab: process.env.EVSM_LAB_FILE, url: process.env[STATION_URL_ENV], runner: process.env.EVSM_EMULATOR_RUNNER, argv: process.argv };
    process.env.EVSM_LAB_FILE = station;
    delete process.env[STATION_URL_ENV];
    process.env.EVSM_EMULATOR_RUNNER = 'tsx'; // no emulator bundle needed here
    process.argv = ['node', 'playwright', 'test'];
    try {
      const teardown = await globalSetup({} as never);
      const url = process.env[STATION_URL_ENV];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const state = (await (await fetch(new URL('/api/state', url))).json()) as StationState;
      expect(state.run.title).toBe('Bench 7');
      await teardown();
      expect(process.env[STATION_URL_ENV]).toBeUndefined();
      await expect(fetch(new URL('/api/state', url))).rejects.toThrow();
    } finally {
      process.argv = saved.argv;
      for (const [k, v] of [['EVSM_LAB_FILE', saved.lab], [STATION_URL_ENV, saved.url], ['EVSM_EMULATOR_RUNNER', saved.runner]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function waitForPrompt(url: string): Promise<StationState['prompts'][number]> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const state = (await (await fetch(new URL('/api/state', url))).json()) as StationState;
    const open = state.prompts.find((p) => p.state === 'open');
    if (open) return open;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no prompt on the station');
}

async function post(url: string, path: string, body: unknown): Promise<number> {
  const res = await fetch(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.status;
}

test('doctor: at the station an unset PIN variable is no failure (the PIN is typed on the page); on the console it is', async () => {
  const { default: hardwareTarget } = await import('../harness/targets/hardware.target.ts');
  const dir = mkdtempSync(join(tmpdir(), 'station-doctor-'));
  const saved = { user: process.env.EVSM_LAB_UKEY_PIN, so: process.env.EVSM_LAB_UKEY_SO_PIN };
  delete process.env.EVSM_LAB_UKEY_PIN;
  delete process.env.EVSM_LAB_UKEY_SO_PIN;
  try {
    const pinCheck = async (operator: unknown) => {
      const file = join(dir, 'lab.json');
      writeFileSync(file, labText(operator));
      return (await hardwareTarget.checks({ labFile: file } as never)).find((c) => c.name === 'PIN variable EVSM_LAB_UKEY_PIN');
    };
    expect(await pinCheck(undefined)).toEqual({ name: 'PIN variable EVSM_LAB_UKEY_PIN', ok: true, detail: 'not set: the PIN is typed at the operator station' });
    expect((await pinCheck({ mode: 'console' }))?.ok).toBe(false);
  } finally {
    if (saved.user !== undefined) process.env.EVSM_LAB_UKEY_PIN = saved.user;
    if (saved.so !== undefined) process.env.EVSM_LAB_UKEY_SO_PIN = saved.so;
    rmSync(dir, { recursive: true, force: true });
  }
});
