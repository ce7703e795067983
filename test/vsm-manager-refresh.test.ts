/**
 * The VsmManager console's device list when the page is opened before the device is up (a person
 * rehearsing by hand opens the console, then starts the run that starts the emulators): the list
 * says 无法连接 unreachable, and then — without a reload or a dialog — the device's state once it
 * answers.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { chromiumMissing, launchChromium } from '../reports/chromium.ts';
import { startConsole } from '../vsm-manager/server.ts';
import { freePort } from './support/free-port.ts';

test('vsm-manager console: a device that comes up after the page opened is shown without a reload', async () => {
  test.skip(!!chromiumMissing(), chromiumMissing() ?? '');
  const tokensDir = mkdtempSync(join(tmpdir(), 'vsmm-refresh-'));
  const mgmtPort = await freePort();
  const vsm = await startConsole({ devices: [{ name: 'A', host: '127.0.0.1', port: mgmtPort }], tokensDir, backupDir: tokensDir, log: () => undefined });
  const browser = await launchChromium();
  let emulator: EmulatorProcess | undefined;
  try {
    const page = await browser.newPage();
    await page.goto(vsm.url);
    const line = page.locator('#devices li').first();
    await expect(line).toHaveText('A: 无法连接 unreachable');
    emulator = await EmulatorProcess.start({ name: 'A', port: 0, mgmtPort });
    await expect(line).toHaveText(/^A · factory · DMK - · 密钥 keys 0/, { timeout: 10_000 });
  } finally {
    await browser.close();
    await emulator?.close();
    await vsm.close();
    rmSync(tokensDir, { recursive: true, force: true });
  }
});
