/**
 * The station's practice run (harness/station/practice.ts, docs/station.md "Practice") as a person
 * at the bench would do it: start the program, open the URL it prints, answer each card by reading
 * it; the program prints what its worker side received and ends with "practice: done".
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { chromiumMissing, launchChromium } from '../reports/chromium.ts';
import { FACTORY_USER_PIN } from '../drivers/ukey/token.ts';

test.skip(!!chromiumMissing(), chromiumMissing() ?? '');

test('station practice: one prompt of each kind, answered from the page; the PIN is not printed', async () => {
  test.setTimeout(90_000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/station/practice.ts', '--port', '0', '--timeout', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const browser = await launchChromium();
  try {
    await expect.poll(() => /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], { timeout: 20_000 }).toBeTruthy();
    const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1];
    const page = await browser.newPage();
    await page.goto(url);
    const card = page.locator('[data-prompt]');

    await expect(card.locator('.en')).toHaveText('Practice: reset device A to its factory state, then confirm.');
    await expect(page.locator('#runText')).toHaveText('测试 tests 0/4');
    await page.getByRole('button', { name: '完成 Done' }).click();

    await expect(card.locator('.en')).toContainText('Practice: run 恢复导入 (restore import) in VsmManager');
    await expect(card.locator('.en')).toContainText('KBK UKEYs: PRACTICE1, PRACTICE2');
    await page.getByLabel('错误码 Error code').fill('KBK_SHARES');
    await page.getByLabel('错误信息 Error message').fill('not enough shares');
    await page.getByRole('button', { name: '拒绝 Refused' }).click();

    await page.getByLabel(/DMK 校验值 Check value/).fill('fedcba9876543210');
    await page.getByLabel(/DMK 校验值 Check value/).press('Enter');

    // The program inserts the wrong practice UKEY first, then the right one.
    await expect(card.locator('[data-serial=PRACTICE1]')).toHaveAttribute('data-status', 'wrong', { timeout: 20_000 });
    await expect(card.locator('[data-serial=PRACTICE2]')).toHaveAttribute('data-status', 'fits', { timeout: 20_000 });
    await page.getByLabel('UKEY 口令 PIN').fill(FACTORY_USER_PIN);
    await page.getByLabel('UKEY 口令 PIN').press('Enter');

    expect(await exited).toBe(0);
    expect(out).toContain('practice: confirmation answered: completed');
    expect(out).toContain('practice: outcome answered: refused KBK_SHARES not enough shares');
    expect(out).toContain('practice: DMK check value answered: FEDCBA9876543210');
    expect(out).toContain('practice: UKEY serial PRACTICE2 logged in');
    expect(out).toContain('practice: done');
    expect(out).not.toContain(FACTORY_USER_PIN);
  } finally {
    child.kill();
    await browser.close();
  }
});
