/**
 * The VsmManager stand-in console (vsm-manager/), driven in Chromium as a person would: real
 * emulators with management ports, real virtual UKEYs, the real management client. The result is
 * checked over the host protocol, and the PIN typed in the page must appear in no log line, no
 * response and no URL.
 */
import { test, expect, chromium, type Browser, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { createDevice } from '../virtual-ukey/index.ts';
import { EvsmClient } from '../drivers/evsm/index.ts';
import { CHROMIUM_ARGS } from '../reports/chromium.ts';
import { startConsole } from '../vsm-manager/server.ts';

const CHROMIUM = '/usr/bin/chromium';
// Distinctive, so a leak anywhere is found by a plain substring search.
const PIN = '58204716';

test.describe.configure({ mode: 'serial', timeout: 240_000 });
test.skip(!existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: run npm run setup:system`);

let a: EmulatorProcess, b: EmulatorProcess, c: EmulatorProcess;
let browser: Browser;
let tokensDir: string, backupDir: string;
let serials: string[] = [];
let console_: Awaited<ReturnType<typeof startConsole>>;
const logLines: string[] = [];

test.beforeAll(async () => {
  [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => EmulatorProcess.start({ name })));
  tokensDir = mkdtempSync(join(tmpdir(), 'vsmm-ukeys-'));
  backupDir = mkdtempSync(join(tmpdir(), 'vsmm-backups-'));
  serials = [];
  // 2 component UKEYs, 3 auth UKEYs, 3 KBK UKEYs: all blank, with the same user PIN.
  for (let i = 1; i <= 8; i++) serials.push((await createDevice(tokensDir, { label: `UKEY-${i}`, userPin: PIN, soPin: '87654321' })).info().serial);
  console_ = await startConsole({
    devices: [
      { name: 'A', host: '127.0.0.1', port: a.mgmtPort },
      { name: 'B', host: '127.0.0.1', port: b.mgmtPort },
      { name: 'C', host: '127.0.0.1', port: c.mgmtPort },
    ],
    tokensDir,
    backupDir,
    log: (l) => logLines.push(l),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

test.afterAll(async () => {
  await browser?.close();
  await console_?.close();
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  for (const d of [tokensDir, backupDir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** What a person does in one dialog, then 下一步 / 确定. */
const next = (page: Page) => page.getByRole('button', { name: /下一步 Next|确定 OK/ }).click();
async function device(page: Page, name: string) {
  await page.getByLabel(`设备 device ${name}`).check();
  await next(page);
}
async function ukeys(page: Page, which: number[], pin = PIN) {
  for (const i of which) {
    await page.getByLabel(`选择 UKEY ${serials[i]}`).check();
    await page.getByLabel(`UKEY 口令 PIN ${serials[i]}`).fill(pin);
  }
  await next(page);
}
async function field(page: Page, label: RegExp, value: string) {
  await page.getByLabel(label).fill(value);
  await next(page);
}
async function outcome(page: Page): Promise<string> {
  const o = page.locator('[data-outcome]');
  await expect(o).toBeVisible({ timeout: 60_000 });
  return (await o.textContent()) ?? '';
}
const value = (page: Page, k: string) => page.locator(`[data-value=${k}]`).textContent();

async function hostClient(p: EmulatorProcess): Promise<EvsmClient> {
  return EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${p.port};timeout=5}`);
}

test('vsm-manager console: original init, DMK check value, recovery init, backup export, restore import, duplicate component refused; PIN nowhere', async () => {
  const page = await browser.newPage();
  const seen: string[] = [];
  page.on('request', (r) => seen.push(r.url()));
  page.on('response', async (r) => seen.push(r.url(), await r.text().catch(() => '')));
  await page.goto(console_.url);
  await expect(page.getByRole('heading', { name: /密钥管理/ })).toBeVisible();

  // 原始初始化 on A: 2 component UKEYs, 3 auth UKEYs, 2-of-3.
  await page.getByRole('button', { name: /原始初始化/ }).click();
  await device(page, 'A');
  await ukeys(page, [0, 1]);
  await ukeys(page, [2, 3, 4]);
  await field(page, /授权门限/, '2');
  expect(await outcome(page)).toContain('完成 Completed');
  const dmkKcv = await value(page, 'dmkKcv');
  expect(dmkKcv).toMatch(/^[0-9A-F]{16}$/);

  // 获取 DMK 校验值 on A reads the same value.
  await page.getByRole('button', { name: /获取 DMK 校验值/ }).click();
  await device(page, 'A');
  await outcome(page);
  expect(await value(page, 'dmkKcv')).toBe(dmkKcv);

  // Application keys on A, over the host protocol, for the backup.
  const hostA = await hostClient(a);
  for (const i of [1, 2, 3]) await hostA.sdk.genWorkKey('00A', 'X', i, `key${i}`);

  // 恢复初始化 on B from the two component UKEYs; authorization synced from an auth UKEY of A.
  await page.getByRole('button', { name: /恢复初始化/ }).click();
  await device(page, 'B');
  await expect(page.getByRole('alert').first()).toContainText('清除设备中的所有密钥');
  await page.getByLabel('我已了解 I understand').check();
  await next(page);
  await field(page, /DMK 成份 UKEY 数目/, '2');
  await ukeys(page, [0]);
  await ukeys(page, [1]);
  await page.getByLabel(/同步授权信息/).check();
  await next(page);
  await ukeys(page, [2]);
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'dmkKcv')).toBe(dmkKcv);

  // 备份导出 on A: all keys, authorized by 2 auth UKEYs, 3 KBK UKEYs, a backup file.
  await page.getByRole('button', { name: /备份导出/ }).click();
  await device(page, 'A');
  await field(page, /密钥索引/, 'all');
  await ukeys(page, [2, 3]);
  await ukeys(page, [5, 6, 7]);
  await page.getByLabel('保存到文件 Save to a file').check();
  await next(page);
  await field(page, /密钥备份文件/, 'keys.evbk');
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'keyCount')).toBe('3');
  expect(await value(page, 'file')).toBe('keys.evbk');
  expect(existsSync(join(backupDir, 'keys.evbk'))).toBe(true);
  // The device's progress events reached the page's progress bar.
  await expect(page.locator('#progressText')).toHaveText(/ 3\/3$/);

  // 恢复导入 on B: 2 of the 3 KBK UKEYs, the auth UKEYs (synced), the backup file.
  await page.getByRole('button', { name: /恢复导入/ }).click();
  await device(page, 'B');
  await ukeys(page, [5, 7]);
  await ukeys(page, [3, 4]);
  await page.getByLabel('密钥备份文件 A backup file').check();
  await next(page);
  await field(page, /密钥备份文件/, 'keys.evbk');
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'imported')).toBe('3');

  // Over the host protocol: same LMK check value, same keys.
  const hostB = await hostClient(b);
  try {
    const [da, db] = [await hostA.diagnostics(), await hostB.diagnostics()];
    expect(da.lmkCheckValue).not.toBe('0000000000000000');
    expect(db.lmkCheckValue).toBe(da.lmkCheckValue);
    const keys = async (c: EvsmClient) => (await c.listKeys()).map((k) => JSON.stringify(k));
    const ka = await keys(hostA);
    expect(ka.length).toBe(3);
    expect(await keys(hostB)).toEqual(ka);
  } finally {
    await hostA.close();
    await hostB.close();
  }

  // The same component imported twice is refused by the device (B now has an authorization policy).
  await page.getByRole('button', { name: /恢复初始化/ }).click();
  await device(page, 'B');
  await page.getByLabel('我已了解 I understand').check();
  await next(page);
  await ukeys(page, [2, 3]);
  await field(page, /DMK 成份 UKEY 数目/, '2');
  await ukeys(page, [0]);
  await ukeys(page, [0]);
  await page.getByLabel(/同步授权信息/).check();
  await next(page);
  await ukeys(page, [2]);
  expect(await outcome(page)).toContain('拒绝 Refused: DUPLICATE_COMPONENT');

  // The PIN typed in the page: in no log line, no response, no URL.
  expect(logLines.length).toBeGreaterThan(0);
  for (const l of [...logLines, ...seen]) expect(l.includes(PIN), `PIN leaked in: ${l.slice(0, 80)}`).toBe(false);
  await page.close();
});

test('vsm-manager console: a wrong PIN is refused by the UKEY and echoed nowhere', async () => {
  // Three more blank UKEYs: the first test's KBK UKEYs now carry shares.
  for (let i = 9; i <= 11; i++) serials.push((await createDevice(tokensDir, { label: `UKEY-${i}`, userPin: PIN, soPin: '87654321' })).info().serial);
  const page = await browser.newPage();
  const bodies: string[] = [];
  page.on('response', async (r) => bodies.push(r.url(), await r.text().catch(() => '')));
  await page.goto(console_.url);
  await page.getByRole('button', { name: /备份导出/ }).click();
  await device(page, 'A');
  await field(page, /密钥索引/, 'all');
  const wrong = '99117733';
  await page.getByLabel(`选择 UKEY ${serials[2]}`).check();
  await page.getByLabel(`UKEY 口令 PIN ${serials[2]}`).fill(wrong);
  await next(page);
  await ukeys(page, [8, 9, 10]);
  await page.getByLabel('保存到文件 Save to a file').check();
  await next(page);
  await field(page, /密钥备份文件/, 'other.evbk');
  expect(await outcome(page)).toContain('UKEY_PIN_INCORRECT');
  for (const l of [...logLines, ...bodies]) expect(l.includes(wrong)).toBe(false);
  await page.close();
});

test('vsm-manager console: exported DMK components recombine to the same DMK on a third device (new 1-of-1 authorization); a wrong component PIN wipes nothing', async () => {
  const first = serials.length;
  for (let i = 1; i <= 3; i++) serials.push((await createDevice(tokensDir, { label: `UKEY-X${i}`, userPin: PIN, soPin: '87654321' })).info().serial);
  const page = await browser.newPage();
  await page.goto(console_.url);
  await page.getByRole('button', { name: /获取 DMK 校验值/ }).click();
  await device(page, 'A');
  await outcome(page);
  const dmkKcv = await value(page, 'dmkKcv');

  // 导出 DMK 成份 on A into 2 new blank UKEYs, authorized by 2 auth UKEYs.
  await page.getByRole('button', { name: /导出 DMK 成份/ }).click();
  await device(page, 'A');
  await ukeys(page, [2, 3]);
  await ukeys(page, [first, first + 1]);
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'dmkKcv')).toBe(dmkKcv);

  // 恢复初始化 on the factory device C from the exported components; a new 1-of-1 auth UKEY.
  await page.getByRole('button', { name: /恢复初始化/ }).click();
  await device(page, 'C');
  await page.getByLabel('我已了解 I understand').check();
  await next(page);
  await field(page, /DMK 成份 UKEY 数目/, '2');
  await ukeys(page, [first + 1]);
  await ukeys(page, [first]);
  await page.getByLabel(/制作新的授权 UKEY/).check();
  await next(page);
  await ukeys(page, [first + 2]);
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'dmkKcv')).toBe(dmkKcv);
  expect(await value(page, 'authorization')).toBe('new 1-of-1');

  // A wrong PIN on a component UKEY is refused before the device wipes anything.
  await page.getByRole('button', { name: /恢复初始化/ }).click();
  await device(page, 'C');
  await page.getByLabel('我已了解 I understand').check();
  await next(page);
  await ukeys(page, [first + 2]);
  await field(page, /DMK 成份 UKEY 数目/, '2');
  await ukeys(page, [first], '00000000');
  await ukeys(page, [first + 1]);
  await page.getByLabel(/同步授权信息/).check();
  await next(page);
  await ukeys(page, [2]);
  expect(await outcome(page)).toContain('拒绝 Refused: UKEY_PIN_INCORRECT');
  await page.getByRole('button', { name: /获取 DMK 校验值/ }).click();
  await device(page, 'C');
  await outcome(page);
  expect(await value(page, 'dmkKcv')).toBe(dmkKcv);

  const [ha, hc] = [await hostClient(a), await hostClient(c)];
  try {
    expect((await hc.diagnostics()).lmkCheckValue).toBe((await ha.diagnostics()).lmkCheckValue);
  } finally {
    await ha.close();
    await hc.close();
  }
  await page.close();
});

test('vsm-manager console: backup kept inside a UKEY (保存到 UKEY 内) and restored from it', async () => {
  const first = serials.length;
  for (let i = 1; i <= 4; i++) serials.push((await createDevice(tokensDir, { label: `UKEY-U${i}`, userPin: PIN, soPin: '87654321' })).info().serial);
  const page = await browser.newPage();
  await page.goto(console_.url);
  await page.getByRole('button', { name: /备份导出/ }).click();
  await device(page, 'A');
  await field(page, /密钥索引/, '1,3');
  await ukeys(page, [2, 4]);
  await ukeys(page, [first, first + 1, first + 2]);
  await page.getByLabel('保存到 UKEY 内 Keep it inside a UKEY').check();
  await next(page);
  await ukeys(page, [first + 3]);
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'keyCount')).toBe('2');
  expect(await value(page, 'backupUkey')).toBe(serials[first + 3]);

  // Restored on A itself from the backup UKEY: keys 1 and 3 again, replacing those at the same indices.
  await page.getByRole('button', { name: /恢复导入/ }).click();
  await device(page, 'A');
  await ukeys(page, [first + 1, first + 2]);
  await ukeys(page, [2, 3]);
  await page.getByLabel('保存在 UKEY 内 Inside a UKEY').check();
  await next(page);
  await ukeys(page, [first + 3]);
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'imported')).toBe('2');
  expect(await value(page, 'replaced')).toBe('2');
  await page.close();
});

test('vsm-manager console: device info shows state and the m-of-n policy; refusals of the device shown with code and message (one auth UKEY for a DMK export, one KBK UKEY for a restore); recovery init of an initialized device authorized by its own auth UKEY', async () => {
  // State left by the tests above: A 2-of-3 (auth UKEYs 2, 3, 4) holding 3 keys; B left recovering
  // (wiped, no policy yet) by the refused duplicate component; C recovered from UKEY-X1/X2 with the new 1-of-1 auth
  // UKEY-X3; keys.evbk exported from A with KBK UKEYs 5, 6, 7.
  const first = serials.length;
  for (let i = 1; i <= 3; i++) serials.push((await createDevice(tokensDir, { label: `UKEY-R${i}`, userPin: PIN, soPin: '87654321' })).info().serial);
  const page = await browser.newPage();
  await page.goto(console_.url);
  const tokens = async () => {
    const r = await page.request.get(`${console_.url}api/state`);
    return ((await r.json()) as { tokens: Array<{ serial: string; label: string; role: { role: string } | null }> }).tokens;
  };
  const at = async (label: string) => serials.indexOf((await tokens()).find((t) => t.label === label)!.serial);

  // 设备信息: what a person reads for the state and the authorization policy.
  await expect(page.locator('#devices')).toContainText('A · initialized');
  await expect(page.locator('#devices')).toContainText('授权 authorization 2-of-3');
  await page.getByRole('button', { name: /设备信息/ }).click();
  await device(page, 'A');
  expect(await outcome(page)).toContain('完成 Completed');
  expect(await value(page, 'state')).toBe('initialized');
  expect(await value(page, 'authorization')).toBe('2-of-3');
  expect(await value(page, 'keyCount')).toBe('3');
  for (const [name, state, policy] of [['B', 'recovering', 'none'], ['C', 'initialized', '1-of-1']]) {
    await page.getByRole('button', { name: /设备信息/ }).click();
    await device(page, name);
    await outcome(page);
    expect(await value(page, 'state'), name).toBe(state);
    expect(await value(page, 'authorization'), name).toBe(policy);
  }

  // 导出 DMK 成份 with one auth UKEY of a 2-of-3 policy: the device refuses; the blanks stay blank.
  await page.getByRole('button', { name: /导出 DMK 成份/ }).click();
  await device(page, 'A');
  await ukeys(page, [3]);
  await ukeys(page, [first, first + 1]);
  expect(await outcome(page)).toMatch(/^拒绝 Refused: AUTH_INSUFFICIENT — \S/);
  const roles = new Map((await tokens()).map((t) => [t.serial, t.role]));
  expect(roles.get(serials[first])).toBeNull();
  expect(roles.get(serials[first + 1])).toBeNull();

  // 恢复导入 with one KBK UKEY: the console lets it start, the device refuses, nothing imported.
  const hostA = await hostClient(a);
  const hostC = await hostClient(c);
  try {
    const before = await hostA.listKeys();
    expect(before.length).toBe(3);
    await page.getByRole('button', { name: /恢复导入/ }).click();
    await device(page, 'A');
    await ukeys(page, [6]);
    await ukeys(page, [2, 4]);
    await page.getByLabel('密钥备份文件 A backup file').check();
    await next(page);
    await field(page, /密钥备份文件/, 'keys.evbk');
    expect(await outcome(page)).toMatch(/^拒绝 Refused: KBK_SHARES — .*1 KBK share given, 2 needed/);
    expect(await hostA.listKeys()).toEqual(before);

    // 恢复初始化 of C (initialized, 1-of-1): authorized by its own auth UKEY, it wipes C's 2 keys.
    for (const i of [1, 2]) await hostC.sdk.genWorkKey('00A', 'X', i, `c${i}`);
    expect((await hostC.listKeys()).length).toBe(2);
    const [x1, x2, x3] = [await at('UKEY-X1'), await at('UKEY-X2'), await at('UKEY-X3')];
    await page.getByRole('button', { name: /恢复初始化/ }).click();
    await device(page, 'C');
    await page.getByLabel('我已了解 I understand').check();
    await next(page);
    await expect(page.getByRole('heading', { name: /设备已有授权/ })).toBeVisible();
    await ukeys(page, [x3]);
    await field(page, /DMK 成份 UKEY 数目/, '2');
    await ukeys(page, [x1]);
    await ukeys(page, [x2]);
    await page.getByLabel(/制作新的授权 UKEY/).check();
    await next(page);
    await ukeys(page, [first + 2]);
    expect(await outcome(page)).toContain('完成 Completed');
    expect(await value(page, 'wipedKeys')).toBe('2');
    expect(await value(page, 'authorization')).toBe('new 1-of-1');
    expect(await hostC.listKeys()).toEqual([]);
    expect((await tokens()).find((t) => t.serial === serials[first + 2])?.role?.role).toBe('auth');
  } finally {
    await hostA.close();
    await hostC.close();
  }
  for (const l of ['exportComponents on A: refused AUTH_INSUFFICIENT', 'restoreImport on A: refused KBK_SHARES', 'deviceInfo on A: completed', 'recoveryInit on C: completed']) expect(logLines).toContain(`vsm-manager: ${l}`);
  for (const l of logLines) expect(l.includes(PIN)).toBe(false);
  await page.close();
});
