/**
 * A practice run for the operator station (docs/station.md, "Practice"): starts a station, prints
 * its URL, and poses one prompt of each kind the way a bench run does — a confirmation, a
 * VsmManager outcome, the DMK check value, a KBK UKEY (virtual UKEYs "inserted" by the program:
 * a wrong one first, then the right one) — printing what the worker side received. No device,
 * no hardware; nothing is kept.
 *
 *   node --import tsx harness/station/practice.ts [--port N] [--timeout SECONDS]
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { virtualLocator } from '../../drivers/ukey/locators.ts';
import { createVirtualToken } from '../../drivers/ukey/virtual.ts';
import { FACTORY_USER_PIN } from '../../drivers/ukey/token.ts';
import { TOKEN_FILE_SUFFIX } from '../../virtual-ukey/index.ts';
import { DMK_KCV_QUESTION } from '../operator/vsm-manager.ts';
import { StationClient } from './client.ts';
import { startStation } from './server.ts';
import { stationTokenSource } from './token-source.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`${name}: a whole number (got ${process.argv[i + 1] ?? 'nothing'})`);
  return v;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const port = option('--port', 0);
  const timeoutSeconds = option('--timeout', 600) || 600;
  const station = await startStation({ port, title: 'practice 练习' });
  const dir = mkdtempSync(join(tmpdir(), 'evsm-station-practice-'));
  const slots = join(dir, 'slots');
  try {
    out(`practice: open ${station.url} in a browser on this machine`);
    const client = new StationClient(station.url, { timeoutSeconds });
    await client.progress({ total: 4, done: 0, current: { test: 'practice › one prompt of each kind' } });

    await client.confirm({ zh: '练习：将设备 A 恢复出厂状态，然后确认。', en: 'Practice: reset device A to its factory state, then confirm.' }, 'A', 'practice.confirm');
    out('practice: confirmation answered: completed');
    await client.progress({ done: 1 });

    const refused = await client.outcome(
      {
        zh: '[practice.restore-import] 练习：在 VsmManager 中执行 恢复导入，报告结果（完成，或显示的错误码和信息）。\n  KBK UKEYs: PRACTICE1, PRACTICE2\n  backup file: keys.evbk',
        en: '[practice.restore-import] Practice: run 恢复导入 (restore import) in VsmManager and report how it ended (completed, or the code and message shown).\n  KBK UKEYs: PRACTICE1, PRACTICE2\n  backup file: keys.evbk',
      },
      'B',
      'practice.restore-import',
    );
    out(`practice: outcome answered: ${refused ? `refused ${refused.code} ${refused.message}` : 'completed'}`);
    await client.progress({ done: 2 });

    out(`practice: DMK check value answered: ${await client.value(DMK_KCV_QUESTION, 'A', 'kcv', 'practice.dmk-kcv')}`);
    await client.progress({ done: 3 });

    // Two practice KBK UKEYs with the factory PIN: share 1 (the wrong one) and share 2 (wanted).
    for (const n of [1, 2]) {
      const t = await createVirtualToken(dir, { label: `PRACTICE-${n}`, serial: `PRACTICE${n}`, userPin: FACTORY_USER_PIN, soPin: '87654321' });
      await t.login(FACTORY_USER_PIN);
      await t.writeRole({ role: 'kbk-share', deviceId: 'PRACTICE', number: n, total: 3, backupId: 'P1' });
      await t.close();
    }
    const insert = (n: number) => renameSync(join(dir, `PRACTICE${n}${TOKEN_FILE_SUFFIX}`), join(slots, `PRACTICE${n}${TOKEN_FILE_SUFFIX}`));
    mkdirSync(slots);
    const source = stationTokenSource({ station: client, locator: virtualLocator(slots), pollMs: 300, device: 'B' });
    const timers = [setTimeout(() => insert(1), 3000), setTimeout(() => insert(2), 8000)];
    try {
      const token = await source.acquire({
        instruction: 'Practice: insert KBK UKEY 2 of 3 (backup P1) and enter its PIN (practice UKEYs have the factory PIN, docs/ukey.md); the program inserts a wrong one first',
        expect: { role: 'kbk-share', number: 2, backupId: 'P1' },
      });
      out(`practice: UKEY serial ${token.identity.serial} logged in`);
      await source.release(token);
    } finally {
      timers.forEach(clearTimeout);
      await source.close();
    }
    await client.progress({ done: 4, current: null });
    out('practice: done');
  } finally {
    await station.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`practice: ${(e as Error).message}\n`);
  process.exit(1);
});
