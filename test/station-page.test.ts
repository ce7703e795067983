/**
 * The operator station (harness/station/) driven in Chromium as a person would: the worker side
 * poses a prompt over HTTP, the test reads the instruction on the page, clicks, types; then it
 * checks what the worker side received. Live token detection uses real virtual UKEYs "inserted"
 * by moving their files into the directory the locator watches. The PIN typed into the page must
 * appear in no log line, no response the page received, no URL and not in the station's state.
 */
import { test, expect, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualToken } from '../drivers/ukey/virtual.ts';
import { virtualLocator } from '../drivers/ukey/locators.ts';
import { TOKEN_FILE_SUFFIX } from '../virtual-ukey/index.ts';
import { chromiumMissing, launchChromium } from '../reports/chromium.ts';
import { OperatorCannot, StationClient, stationOperator, stationVsmManager } from '../harness/station/client.ts';
import { startStation, type Station } from '../harness/station/server.ts';
import { stationTokenSource } from '../harness/station/token-source.ts';
import { DMK_KCV_QUESTION, OUTCOME_QUESTION, type ManagerAction } from '../harness/operator/vsm-manager.ts';
import type { ProcedureStep } from '../harness/procedures/types.ts';

// Distinctive, so a leak anywhere is found by a plain substring search.
const PIN = '73915260';
const WRONG_PIN = '40428811';

test.skip(!!chromiumMissing(), chromiumMissing() ?? '');
test.describe.configure({ timeout: 90_000 });

let browser: Browser;
let station: Station;
let client: StationClient;
let logLines: string[];

test.beforeAll(async () => {
  browser = await launchChromium();
});
test.afterAll(async () => {
  await browser?.close();
});
test.beforeEach(async () => {
  logLines = [];
  station = await startStation({ title: 'bench 7', log: (l) => logLines.push(l) });
  client = new StationClient(station.url, { timeoutSeconds: 60, pollMs: 2000 });
});
test.afterEach(async () => {
  await station?.close();
});

/** Everything the page fetched: URLs and response bodies. */
async function openPage(): Promise<{ page: Page; seen: string[] }> {
  const page = await browser.newPage();
  const seen: string[] = [];
  page.on('request', (r) => seen.push(r.url()));
  page.on('response', async (r) => seen.push(r.url(), await r.text().catch(() => '')));
  await page.goto(station.url);
  await expect(page.getByRole('heading', { name: /操作台 Operator station/ })).toBeVisible();
  return { page, seen };
}

/** Settles within `ms`? (a pending prompt must not resolve on its own). */
async function settled(p: Promise<unknown>, ms = 300): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

const STEP: ProcedureStep = { id: 'restore-import.verify-pin', kind: 'operator', text: { zh: '选择 2 个 KBK UKEY 并输入口令', en: 'Choose 2 KBK UKEYs and enter their PINs' } };
const ACTION = { kind: 'restore-import', kbk: [], file: 'keys.evbk', auth: [] } as unknown as ManagerAction;

test('station: a VsmManager step refused with code and message, a confirmation, the DMK check value — structured answers reach the worker', async () => {
  const { page } = await openPage();
  const vsm = stationVsmManager(client);

  // The step where VsmManager carries the operation out: the person reads it and reports a refusal.
  const performing = vsm.perform({ step: STEP, device: 'B', params: ['KBK UKEYs: SN-1, SN-3'], action: ACTION });
  const card = page.locator('[data-prompt]');
  await expect(card).toContainText('[restore-import.verify-pin] VsmManager: 选择 2 个 KBK UKEY 并输入口令');
  await expect(card).toContainText('Choose 2 KBK UKEYs and enter their PINs');
  await expect(card).toContainText('KBK UKEYs: SN-1, SN-3');
  await expect(card).toContainText('设备 device B');
  await expect(card).toContainText('步骤 step: restore-import.verify-pin');
  // A refusal without its code is not taken.
  await page.getByRole('button', { name: '拒绝 Refused' }).click();
  await expect(card.getByRole('alert')).toContainText('Enter the error code VsmManager shows');
  expect(await settled(performing)).toBe(false);
  await page.getByLabel('错误码 Error code').fill('kbk_shares');
  await page.getByLabel('错误信息 Error message').fill('not enough shares');
  await page.getByRole('button', { name: '拒绝 Refused' }).click();
  expect(await performing).toEqual({ how: 'prompted', refused: { code: 'KBK_SHARES', message: 'not enough shares' } });
  await expect(page.locator('#idle')).toBeVisible();

  // The same step completed.
  const completing = vsm.perform({ step: STEP, device: 'B', params: [], action: ACTION });
  await page.getByRole('button', { name: '完成 Completed' }).click();
  expect(await completing).toEqual({ how: 'prompted' });

  // A plain confirmation through the harness Operator.
  const operator = stationOperator(client);
  const confirming = operator.confirm({ zh: '将设备 A 恢复出厂状态，然后确认。', en: 'Reset device A to its factory state, then confirm.' }, 'A');
  await expect(page.locator('[data-prompt] .en')).toHaveText('Reset device A to its factory state, then confirm.');
  // Nothing on a confirmation has the focus: a stray Enter answers nothing.
  await page.keyboard.press('Enter');
  expect(await settled(confirming)).toBe(false);
  await page.getByRole('button', { name: '完成 Done' }).click();
  expect(await confirming).toBe('prompted');

  // The DMK check value read off VsmManager's screen: empty and malformed answers change nothing.
  const reading = vsm.readDmkKcv('A');
  const kcv = page.getByLabel(/DMK 校验值 Check value/);
  await expect(page.locator('[data-prompt] .en')).toHaveText(DMK_KCV_QUESTION.en);
  await expect(kcv).toBeFocused();
  await page.getByRole('button', { name: '提交 Submit' }).click();
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('Enter the check value VsmManager shows');
  await kcv.fill('12AB34');
  await kcv.press('Enter');
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('"12AB34" 不是校验值 is not a check value: 16 位十六进制 16 hex digits');
  await kcv.fill('0123456789ABCDEG');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('"0123456789ABCDEG" 不是校验值');
  expect(await settled(reading)).toBe(false);
  expect(station.state().prompts.map((p) => [p.kind, p.state])).toEqual([['value', 'open']]);
  // As a person might type it: lower case, in groups.
  await kcv.fill('0123 4567 89ab cdef');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  expect(await reading).toBe('0123456789ABCDEF');

  // The console operator's questions get the same forms through Operator.ask.
  const asking = operator.ask(OUTCOME_QUESTION, 'A');
  await page.getByRole('button', { name: '完成 Completed' }).click();
  expect(await asking).toBe('');

  // Other readings: a key count and a progress end.
  const counting = client.value({ zh: '输入密钥数', en: 'Type the key count VsmManager shows' }, 'A', 'count');
  await page.getByLabel('数目 Count').fill('three');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('is not a count');
  await page.getByLabel('数目 Count').fill('3');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  expect(await counting).toBe('3');
  const progress = client.value({ zh: '输入进度条的终值', en: 'Type where the progress bar ended' }, 'A', 'progress');
  await page.getByLabel(/进度 Progress end/).fill('4/3');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('is not a progress end');
  await page.getByLabel(/进度 Progress end/).fill('3 / 3');
  await page.getByRole('button', { name: '提交 Submit' }).click();
  expect(await progress).toBe('3/3');

  // The log names prompts and how they ended, not what was typed.
  expect(logLines.some((l) => /prompt \d+ \(outcome, device B\) answered: refused KBK_SHARES/.test(l))).toBe(true);
  expect(logLines.join('\n')).not.toContain('0123456789ABCDEF');
  await page.close();
});

test('station: insert the UKEY — live detection shows absent, a wrong UKEY and the right one; the PIN goes from the masked field to the token only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-slots-'));
  const shelf = mkdtempSync(join(tmpdir(), 'station-shelf-'));
  try {
    // Two KBK UKEYs of backup B1 on the shelf: share 1 (wrong) and share 2 (wanted).
    const make = async (serial: string, number: number) => {
      const t = await createVirtualToken(shelf, { label: `KBK-${number}`, serial, userPin: PIN, soPin: '99887766' });
      await t.login(PIN);
      await t.writeRole({ role: 'kbk-share', deviceId: 'EVSM-A', number, total: 3, backupId: 'B1' });
      await t.close();
    };
    await make('SNWRONG1', 1);
    await make('SNRIGHT2', 2);
    const insert = (serial: string) => renameSync(join(shelf, serial + TOKEN_FILE_SUFFIX), join(dir, serial + TOKEN_FILE_SUFFIX));

    const { page, seen } = await openPage();
    const source = stationTokenSource({ station: client, locator: virtualLocator(dir), pollMs: 100, timeoutMs: 60_000, device: 'A' });
    const acquiring = source.acquire({ instruction: 'Insert KBK UKEY 2 of 3 (backup B1) and enter its PIN', expect: { role: 'kbk-share', number: 2, backupId: 'B1' } });

    const card = page.locator('[data-prompt]');
    await expect(card.locator('.en')).toHaveText('Insert KBK UKEY 2 of 3 (backup B1) and enter its PIN');
    await expect(card).toContainText('需要 Wanted: KBK share 2 of backup B1');
    await expect(card.locator('[data-status=absent]')).toHaveText('未检测到 UKEY No UKEY detected');
    await expect(page.getByLabel('UKEY 口令 PIN')).toHaveCount(0);

    insert('SNWRONG1');
    const wrong = card.locator('[data-serial=SNWRONG1]');
    await expect(wrong).toHaveAttribute('data-status', 'wrong');
    await expect(wrong).toContainText('this is KBK share 1 of 3 of backup B1 (device EVSM-A), not KBK share 2 of backup B1');
    await expect(page.getByLabel('UKEY 口令 PIN')).toHaveCount(0);

    insert('SNRIGHT2');
    await expect(card.locator('[data-serial=SNRIGHT2]')).toHaveAttribute('data-status', 'fits');
    const pinField = page.getByLabel('UKEY 口令 PIN');
    await expect(pinField).toHaveAttribute('type', 'password');
    await expect(pinField).toBeFocused();
    await expect(card.locator('.pinfor')).toContainText('UKEY "KBK-2" (序列号 serial SNRIGHT2)');

    // A wrong PIN: said on the page, asked again; the token's counter went down by one.
    await pinField.fill(WRONG_PIN);
    await pinField.press('Enter');
    await expect(card.locator('.notes')).toContainText('UKEY "KBK-2" (serial SNRIGHT2): PIN incorrect');
    await expect(card.locator('.pinfor')).toContainText('attempt 2');
    expect(await settled(acquiring)).toBe(false);
    await page.getByLabel('UKEY 口令 PIN').fill(PIN);
    await page.getByRole('button', { name: '确定 OK' }).click();

    const token = await acquiring;
    expect(token.identity.serial).toBe('SNRIGHT2');
    expect(token.loggedIn).toBe(true);
    expect((await token.readRole())?.number).toBe(2);
    await expect(page.locator('#idle')).toBeVisible();
    await source.release(token);
    await expect(page.locator('#notices')).toContainText('UKEY "KBK-2" (serial SNRIGHT2) may be removed');

    // Neither PIN anywhere but in the page's own POST bodies.
    const everywhere = [...logLines, ...seen, JSON.stringify(station.state())].join('\n');
    for (const secret of [PIN, WRONG_PIN]) expect(everywhere).not.toContain(secret);
    expect(logLines.some((l) => l.includes('PIN entered (handed to the worker only)'))).toBe(true);
    await source.close();
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(shelf, { recursive: true, force: true });
  }
});

test('station: a UKEY taken at an earlier prompt and still held reads "in use", not "checking" for ever, while the next blank is looked for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-slots-'));
  try {
    for (const serial of ['SNHELD01', 'SNNEXT02']) await (await createVirtualToken(dir, { label: serial, serial, userPin: PIN, soPin: '99887766' })).close();
    const { page } = await openPage();
    const source = stationTokenSource({ station: client, locator: virtualLocator(dir), pollMs: 100, timeoutMs: 60_000, device: 'A' });
    const first = source.acquire({ instruction: 'Insert a blank UKEY for component 1/2 and enter its PIN', blank: true });
    // Which of the two the search takes first is the locator's order: answer whichever fits.
    const card = page.locator('[data-prompt]');
    await expect(card.locator('[data-status=fits]').first()).toBeVisible();
    await page.getByLabel('UKEY 口令 PIN').fill(PIN);
    await page.getByLabel('UKEY 口令 PIN').press('Enter');
    const held = await first;
    const other = held.identity.serial === 'SNHELD01' ? 'SNNEXT02' : 'SNHELD01';

    const second = source.acquire({ instruction: 'Insert a blank UKEY for component 2/2 and enter its PIN', blank: true });
    await expect(card.locator('.en')).toHaveText('Insert a blank UKEY for component 2/2 and enter its PIN');
    const heldLine = card.locator(`[data-serial=${held.identity.serial}]`);
    await expect(heldLine).toHaveAttribute('data-status', 'in-use');
    await expect(heldLine).toContainText('已在使用 in use');
    await expect(card.locator(`[data-serial=${other}]`)).toHaveAttribute('data-status', 'fits');
    await page.getByLabel('UKEY 口令 PIN').fill(PIN);
    await page.getByLabel('UKEY 口令 PIN').press('Enter');
    expect((await second).identity.serial).toBe(other);
    await source.close();
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('station: a note or a sighting redraws only what it changes — the UKEY lines, the other card and the messages stay the same elements', async () => {
  const { page } = await openPage();
  const a = await client.open({ kind: 'token', device: 'A', text: { zh: '插入 UKEY', en: 'Insert UKEY 1' }, expect: 'a blank UKEY' });
  const b = await client.open({ kind: 'confirm', device: 'B', text: { zh: '复位', en: 'Reset device B' } });
  await client.notice('first message');
  await client.seen(a, [{ serial: 'SN000001', label: 'UKEY-1', status: 'checking' }]);
  const line = page.locator(`[data-prompt="${a}"] [data-serial=SN000001]`);
  await expect(line).toHaveAttribute('data-status', 'checking');
  await expect(page.locator('#notices li')).toHaveText(['first message']);
  // Each element marked: an element drawn again is a new one, without the mark.
  const mark = (): Promise<void> => page.evaluate(`for (const e of document.querySelectorAll('[data-serial], #notices li, [data-prompt]')) e.mark = 1`);
  const marked = (selector: string): Promise<boolean> => page.locator(selector).first().evaluate((e) => (e as unknown as { mark?: number }).mark === 1);
  await mark();
  await client.note(a, 'UKEY-9 is not blank');
  await expect(page.locator(`[data-prompt="${a}"] .notes li`)).toHaveText(['UKEY-9 is not blank']);
  expect(await marked(`[data-prompt="${a}"] [data-serial=SN000001]`)).toBe(true);
  expect(await marked('#notices li')).toBe(true);
  expect(await marked(`[data-prompt="${b}"]`)).toBe(true);
  // What changed is drawn anew.
  await client.seen(a, [{ serial: 'SN000001', label: 'UKEY-1', status: 'fits' }]);
  await expect(line).toHaveAttribute('data-status', 'fits');
  expect(await marked(`[data-prompt="${a}"] [data-serial=SN000001]`)).toBe(false);
  expect(await marked('#notices li')).toBe(true);
  await client.withdraw(a, 'test over');
  await client.withdraw(b, 'test over');
  await page.close();
});

test('station: a closed tab loses nothing — the reopened page shows the pending prompt and answers it', async () => {
  const first = await openPage();
  const confirming = client.confirm({ zh: '立即关闭设备 B（断电），然后确认。', en: 'Switch device B off now (pull the power), then confirm.' }, 'B');
  await expect(first.page.locator('[data-prompt] .zh')).toHaveText('立即关闭设备 B（断电），然后确认。');
  await first.page.close();
  expect(await settled(confirming, 500)).toBe(false);

  const again = await openPage();
  await expect(again.page.locator('[data-prompt] .en')).toHaveText('Switch device B off now (pull the power), then confirm.');
  // The worker's 60 s, counted down from when the prompt was first shown.
  await expect(again.page.locator('[data-prompt] .left')).toHaveText(/^剩余时间 time left 0:5\d$/);
  await again.page.getByRole('button', { name: '完成 Done' }).click();
  await confirming;
  await again.page.close();
});

test('station: pause holds the next prompt (its wait does not count) until resumed', async () => {
  const quick = new StationClient(station.url, { timeoutSeconds: 2, pollMs: 500 });
  const { page } = await openPage();
  await page.getByRole('button', { name: '暂停 Pause' }).click();
  await expect(page.locator('#pausedBanner')).toBeVisible();
  await expect(page.getByRole('button', { name: '继续 Resume' })).toBeVisible();

  const confirming = quick.confirm({ zh: '重新开启设备 A，然后确认。', en: 'Switch device A on again, then confirm.' }, 'A');
  await expect(page.locator('#pausedBanner')).toContainText('1 等待中 waiting');
  await expect(page.locator('[data-prompt]')).toHaveCount(0);
  expect(station.state()).toMatchObject({ paused: true, held: 1, prompts: [] });
  // Longer than the prompt's own 2 s timeout: held time does not count.
  await page.waitForTimeout(3000);
  expect(await settled(confirming)).toBe(false);

  await page.getByRole('button', { name: '继续 Resume' }).click();
  await expect(page.locator('#pausedBanner')).toBeHidden();
  await expect(page.locator('[data-prompt] .en')).toHaveText('Switch device A on again, then confirm.');
  // Its 2 s count from the resume, not from when it was posed 3 s ago.
  await expect(page.locator('[data-prompt] .left')).toHaveText(/^剩余时间 time left 0:0[12]$/);
  await page.getByRole('button', { name: '完成 Done' }).click();
  await confirming;
  expect(logLines).toContain('station: resumed: 1 held prompt(s) shown');
  await page.close();
});

test('station: 无法完成 "cannot do it" fails the step at once with the reason the person gave (not in the station log)', async () => {
  const { page } = await openPage();
  const confirming = stationOperator(client).confirm({ zh: '重新开启设备 B，然后确认。', en: 'Switch device B on again, then confirm.' }, 'B');
  const failed = confirming.catch((e: unknown) => e);
  await page.getByText('无法完成 Cannot do it', { exact: true }).click();
  const go = page.getByRole('button', { name: '无法完成，使步骤失败 Cannot do it: fail the step' });
  await go.click();
  await expect(page.locator('[data-prompt] [role=alert]')).toContainText('Say why it cannot be done');
  expect(await settled(confirming)).toBe(false);
  await page.getByLabel('原因 Reason').fill('device B shows E07 on its panel and does not boot');
  await go.click();
  const e = await failed;
  expect(e).toBeInstanceOf(OperatorCannot);
  expect((e as Error).message).toBe('the operator at the station could not do it: device B shows E07 on its panel and does not boot ("Switch device B on again, then confirm.")');
  await expect(page.locator('#idle')).toBeVisible();
  expect(logLines.some((l) => /prompt \d+ \(confirm, device B\) answered: cannot/.test(l))).toBe(true);
  expect(logLines.join('\n')).not.toContain('E07');
  await page.close();
});

test('station: a UKEY the person does not have — 无法完成 ends the search at once with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'station-slots-'));
  try {
    const { page } = await openPage();
    const source = stationTokenSource({ station: client, locator: virtualLocator(dir), pollMs: 100, timeoutMs: 60_000 });
    const failed = source.acquire({ instruction: 'Insert DMK component UKEY 2 of 2 and enter its PIN', expect: { role: 'dmk-component', number: 2 } }).catch((e: unknown) => e);
    await expect(page.locator('[data-prompt] [data-status=absent]')).toBeVisible();
    await page.getByText('无法完成 Cannot do it', { exact: true }).click();
    await page.getByLabel('原因 Reason').fill('component UKEY 2 is in the safe of the other site');
    await page.getByLabel('原因 Reason').press('Enter');
    const e = await failed;
    expect(e).toBeInstanceOf(OperatorCannot);
    expect((e as Error).message).toContain('could not do it: component UKEY 2 is in the safe of the other site ("Insert DMK component UKEY 2 of 2 and enter its PIN")');
    await expect(page.locator('#idle')).toBeVisible();
    expect(station.state().prompts).toEqual([]);
    await source.close();
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('station: run progress — tests done/total and the current test, as the runner reports them', async () => {
  const { page } = await openPage();
  await client.progress({ total: 24, done: 3, failed: 1, current: { test: 'key sync › KS-01 backup export, restore import' } });
  await expect(page.locator('#runText')).toHaveText('测试 tests 3/24 · 失败 failed 1');
  await expect(page.locator('#current')).toHaveText('当前测试 current test: key sync › KS-01 backup export, restore import');
  await expect(page.locator('#runProgress')).toHaveAttribute('max', '24');
  await expect(page.locator('#title')).toHaveText('bench 7');
  await client.progress({ done: 4, current: null });
  await expect(page.locator('#runText')).toHaveText('测试 tests 4/24 · 失败 failed 1');
  await expect(page.locator('#current')).toHaveText('');
  await page.close();
});
