/**
 * The operator station's protocol between workers and the runner-side server
 * (docs/station.md): workers in other processes (that may die and restart), the answer checks,
 * who may change the station's state, withdrawn prompts, the progress reporter.
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { chromiumMissing, launchChromium } from '../reports/chromium.ts';
import { StationClient, StationUnavailable, STATION_URL_ENV } from '../harness/station/client.ts';
import { checkAnswer, type PromptView } from '../harness/station/protocol.ts';
import StationReporter from '../harness/station/reporter.ts';
import { startStation, type Station } from '../harness/station/server.ts';

let station: Station;
let logLines: string[];

test.beforeEach(async () => {
  logLines = [];
  station = await startStation({ log: (l) => logLines.push(l), staleMs: 1500 });
});
test.afterEach(async () => {
  await station?.close();
});

/** A worker in its own process: poses one confirmation and prints how it was answered. */
function worker(url: string, text: string): { child: ChildProcess; result: Promise<string> } {
  const script = `
    import { stationOperator } from './harness/station/client.ts';
    const op = stationOperator(process.env.${STATION_URL_ENV}, { timeoutSeconds: 60, pollMs: 1000 });
    const how = await op.confirm({ zh: ${JSON.stringify(text)}, en: ${JSON.stringify(text)} }, 'A');
    process.stdout.write('answered:' + how);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, [STATION_URL_ENV]: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const result = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
  return { child, result };
}

async function until<T>(what: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('station: a worker in another process is answered from the page; a worker that dies has its prompt withdrawn, its restart poses it again', async () => {
  test.skip(!!chromiumMissing(), chromiumMissing() ?? '');
  test.setTimeout(90_000);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(station.url);

    // The first worker dies while its prompt is open (a Playwright worker restarting after a failure).
    const first = worker(station.url, 'Reset device A (first worker)');
    await expect(page.locator('[data-prompt] .en')).toHaveText('Reset device A (first worker)', { timeout: 20_000 });
    first.child.kill('SIGKILL');
    await first.result;
    // Nobody polls for it any more: withdrawn (staleMs 1.5 s here), and the page shows no stale prompt.
    await expect(page.locator('[data-prompt]')).toHaveCount(0, { timeout: 10_000 });
    expect(logLines.some((l) => /prompt 1 \(confirm, device A\) withdrawn: its worker stopped asking/.test(l))).toBe(true);

    const second = worker(station.url, 'Reset device A (restarted worker)');
    await expect(page.locator('[data-prompt] .en')).toHaveText('Reset device A (restarted worker)', { timeout: 20_000 });
    await page.getByRole('button', { name: '完成 Done' }).click();
    expect(await second.result).toBe('answered:prompted');
  } finally {
    await browser.close();
  }
});

test('station: answers are checked against the prompt they answer; a bad one names the problem', () => {
  const view = (p: Partial<PromptView>): PromptView => ({ id: '1', kind: 'confirm', device: 'A', text: { zh: '', en: '' }, createdAt: '', state: 'open', notes: [], ...p });
  expect(checkAnswer(view({ kind: 'confirm' }), { kind: 'completed' })).toEqual({ kind: 'completed' });
  expect(() => checkAnswer(view({ kind: 'confirm' }), { kind: 'refused', code: 'X' })).toThrow('takes no "refused" answer');
  expect(() => checkAnswer(view({ kind: 'outcome' }), { kind: 'refused', code: 'bad code!' })).toThrow('is not an error code');
  expect(checkAnswer(view({ kind: 'outcome' }), { kind: 'refused', code: 'auth_required' })).toEqual({ kind: 'refused', code: 'AUTH_REQUIRED', message: 'refused (reported by the operator)' });
  expect(() => checkAnswer(view({ kind: 'value', valueKind: 'kcv' }), { kind: 'value', value: '' })).toThrow('Enter the check value');
  expect(() => checkAnswer(view({ kind: 'value', valueKind: 'kcv' }), { kind: 'value', value: '0123456789ABCDEF0' })).toThrow('is not a check value');
  expect(checkAnswer(view({ kind: 'value', valueKind: 'count' }), { kind: 'value', value: ' 007 ' })).toEqual({ kind: 'value', valueKind: 'count', value: '7' });
  // A PIN is taken only by a token prompt that asks for one.
  expect(() => checkAnswer(view({ kind: 'value', valueKind: 'text' }), { kind: 'pin', pin: '1234' })).toThrow('takes no "pin" answer');
  expect(() => checkAnswer(view({ kind: 'token', expect: 'x' }), { kind: 'pin', pin: '1234' })).toThrow('No PIN is wanted yet');
  const wants = view({ kind: 'token', expect: 'x', pin: { serial: 'S', label: 'L', kind: 'user', attempt: 1 } });
  expect(() => checkAnswer(wants, { kind: 'pin', pin: '' })).toThrow('Enter the PIN');
  expect(checkAnswer(wants, { kind: 'pin', pin: '1234' })).toEqual({ kind: 'pin', pin: '1234' });
});

/** A raw request, so Host and Origin can be set as another page or a rebinding name would. */
function raw(method: string, path: string, headers: Record<string, string>, body = '{}'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: station.port, method, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('station: only its own page and workers change it — foreign origin, form posts and other host names are refused', async () => {
  const client = new StationClient(station.url, { timeoutSeconds: 5, pollMs: 500 });
  const id = await client.open({ kind: 'confirm', device: 'A', text: { zh: '确认', en: 'Confirm' } });
  const answer = JSON.stringify({ answer: { kind: 'completed' } });
  const host = `127.0.0.1:${station.port}`;
  expect(await raw('POST', `/api/prompts/${id}/answer`, { host, 'content-type': 'application/json', origin: 'http://evil.example' }, answer)).toBe(403);
  expect(await raw('POST', `/api/prompts/${id}/answer`, { host, 'content-type': 'text/plain' }, answer)).toBe(403);
  expect(await raw('POST', `/api/prompts/${id}/answer`, { host: `rebound.example:${station.port}`, 'content-type': 'application/json' }, answer)).toBe(421);
  expect(await raw('GET', '/api/state', { host: `rebound.example:${station.port}` })).toBe(421);
  expect(station.state().prompts.map((p) => p.state)).toEqual(['open']);
  // The page's own origin is accepted.
  expect(await raw('POST', `/api/prompts/${id}/answer`, { host, 'content-type': 'application/json', origin: `http://${host}` }, answer)).toBe(200);
  expect(await client.wait(id, { zh: '', en: 'Confirm' })).toEqual({ kind: 'completed' });
  // A worker's malformed prompt is its own bug: refused with the field named.
  await expect(client.open({ kind: 'value', device: 'A', text: { zh: 'x', en: 'x' } })).rejects.toThrow('valueKind: one of kcv, policy, count, progress, text');
});

test('station: an unanswered prompt times out for the worker and leaves the page; an unreachable station says where it looked', async () => {
  const client = new StationClient(station.url, { timeoutSeconds: 1, pollMs: 300 });
  await expect(client.confirm({ zh: '确认', en: 'Confirm the wiring' }, 'A')).rejects.toThrow('no answer at the operator station within 1 s ("Confirm the wiring")');
  expect(station.state().prompts).toEqual([]);
  expect(logLines.some((l) => /withdrawn by its worker: no answer in time/.test(l))).toBe(true);

  const port = station.port;
  await station.close();
  await expect(new StationClient(`http://127.0.0.1:${port}/`).confirm({ zh: 'x', en: 'x' }, 'A')).rejects.toThrow(StationUnavailable);
  await expect(new StationClient(`http://127.0.0.1:${port}/`).confirm({ zh: 'x', en: 'x' }, 'A')).rejects.toThrow(`operator station http://127.0.0.1:${port}/ is not reachable`);
  expect(() => new StationClient('http://192.0.2.1:8080/')).toThrow('must be on http://127.0.0.1:PORT/');
});

test('station: every prompt adds its own timeout to the running test (a scenario with many prompts does not time out)', async () => {
  const client = new StationClient(station.url, { timeoutSeconds: 45, pollMs: 500 });
  const before = test.info().timeout;
  const id = await client.open({ kind: 'confirm', device: 'A', text: { zh: '确认', en: 'Confirm' } });
  expect(test.info().timeout).toBe(before + 45_000);
  expect(station.state().prompts[0]).toMatchObject({ id, timeoutSeconds: 45 });
  await client.withdraw(id, 'test over');
});

test('station reporter: tests done/total, failures and the current test reach the station (a retry counts once)', async () => {
  const before = process.env[STATION_URL_ENV];
  process.env[STATION_URL_ENV] = station.url;
  try {
    const reporter = new StationReporter({ title: 'bench 7' });
    const tc = (id: string, title: string, outcome: string) =>
      ({ id, titlePath: () => ['', 'hardware', 'key-sync.spec.ts', title], location: { file: `${process.cwd()}/scenarios/key-sync.spec.ts` }, outcome: () => outcome }) as never;
    reporter.onBegin({} as never, { allTests: () => [1, 2, 3] } as never);
    const a = tc('a', 'KS-01', 'expected');
    reporter.onTestBegin(a);
    await until(() => (station.state().run.current ? true : undefined));
    expect(station.state().run).toMatchObject({ title: 'bench 7', total: 3, done: 0, current: { test: 'hardware › key-sync.spec.ts › KS-01', file: 'scenarios/key-sync.spec.ts' } });
    reporter.onTestEnd(a, { status: 'passed' } as never);
    const b = tc('b', 'KS-02', 'unexpected');
    reporter.onTestBegin(b);
    reporter.onTestEnd(b, { status: 'failed' } as never);
    reporter.onTestBegin(b);
    reporter.onTestEnd(b, { status: 'failed' } as never);
    await reporter.onEnd();
    expect(station.state().run).toEqual({ title: 'bench 7', total: 3, done: 2, failed: 1 });
  } finally {
    if (before === undefined) delete process.env[STATION_URL_ENV];
    else process.env[STATION_URL_ENV] = before;
  }
});
