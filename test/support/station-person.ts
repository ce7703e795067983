/**
 * The station rehearsal's "person" (test/station-rehearsal.test.ts): a program that does what a
 * person at the bench would, with the two pages only, in Chromium:
 *  - reads the operator station page (docs/station.md): each card's kind, device and instruction;
 *  - confirmations (reset device A, a VsmManager step that is only navigation): clicks 完成 Done;
 *  - the VsmManager step that carries an operation out: does the whole operation in the VsmManager
 *    stand-in console (docs/vsm-manager.md) with the UKEY serials, keys, threshold and backup file
 *    the cards of that procedure listed, reads the console's result, and answers the station:
 *    完成 Completed, or 拒绝 Refused with the code and message the console shows;
 *  - a DMK check value: 获取 DMK 校验值 in the console, types the value it shows;
 *  - "insert a UKEY": when no UKEY in the slots fits, "inserts" a blank virtual UKEY from its
 *    drawer (moves the file into the slot folder); once the right one is detected, types the PIN
 *    into the masked field;
 *  - a backup file: the console keeps backups in its own folder under bare names, so the person
 *    copies the file between that folder and the path the card names, as with a USB stick.
 * Anything else, or an operation it cannot do from what the pages show, it answers 无法完成
 * "cannot do it" with the reason and records it in `problems`: the step fails, and so the test.
 * It never talks to a device or the station other than through the two pages.
 */
import { expect, type Browser, type Locator, type Page } from '@playwright/test';
import { copyFileSync, existsSync, readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface PersonOptions {
  browser: Browser;
  stationUrl: string;
  consoleUrl: string;
  /** The UKEY slots: the folder the harness's locator and the console read. */
  slots: string;
  /** Blank virtual UKEYs not inserted yet. */
  drawer: string;
  /** The console's backup folder. */
  backups: string;
  /** The UKEYs' user PIN (typed on both pages, never logged). */
  pin: string;
  log?: (line: string) => void;
}

/** The step id and the parameter lines of a VsmManager card (`[backup-export.export] VsmManager: …\n  keys: all keys`). */
export function parseManagerCard(en: string): { step: string; params: Map<string, string> } | undefined {
  const m = /^\[([a-z-]+\.[a-z-]+)\] VsmManager:/.exec(en);
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const line of en.split('\n').slice(1)) {
    const i = line.indexOf(': ');
    if (i > 0) params.set(line.slice(0, i).trim(), line.slice(i + 2).trim());
  }
  return { step: m[1], params };
}

const list = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** The console refused to leave a step: what the person reads there, as the reason they cannot do it. */
class ConsoleWouldNot extends Error {}

export class StationPerson {
  readonly problems: string[] = [];
  /** What the person did, one line each (no PINs). */
  readonly did: string[] = [];
  private station!: Page;
  private console!: Page;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Parameters seen on the cards of the procedure under way, per device. */
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly kbkChosen = new Map<string, string[]>();
  private backupNo = 0;

  constructor(private readonly o: PersonOptions) {}

  async start(): Promise<void> {
    this.station = await this.o.browser.newPage();
    this.console = await this.o.browser.newPage();
    // A control that is not there (a dialog that did not advance) fails the action, not the whole run.
    for (const p of [this.station, this.console]) p.setDefaultTimeout(15_000);
    await this.station.goto(this.o.stationUrl);
    await this.console.goto(this.o.consoleUrl);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.station?.close();
    await this.console?.close();
  }

  private note(line: string): void {
    this.did.push(line);
    this.o.log?.(`person: ${line}`);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const card = this.station.locator('[data-prompt]').first();
      if (!(await card.count())) {
        await this.station.waitForTimeout(200);
        continue;
      }
      try {
        await this.answer(card);
      } catch (e) {
        if (this.stopped) return;
        // A card withdrawn under our hands (its worker timed out or moved on) is not a failure of the person.
        const msg = (e as Error).message.split('\n')[0];
        this.o.log?.(`person: retrying after: ${msg}`);
        if (!/detached|Target closed|closed|Timeout/.test(msg)) this.problems.push(`person: ${msg}`);
        await this.station.waitForTimeout(300);
      }
    }
  }

  private async answer(card: Locator): Promise<void> {
    const id = await card.getAttribute('data-prompt', { timeout: 2000 });
    const kind = await card.getAttribute('data-kind', { timeout: 2000 });
    const en = (await card.locator('.en').textContent({ timeout: 2000 })) ?? '';
    const device = /设备 device (\w)/.exec((await card.textContent()) ?? '')?.[1] ?? /device ([ABC])\b/.exec(en)?.[1] ?? '';
    switch (kind) {
      case 'confirm': {
        const mgr = parseManagerCard(en);
        if (mgr) this.remember(device, mgr);
        else this.seen.delete(device); // "reset device A": a new procedure begins
        await card.getByRole('button', { name: '完成 Done' }).click();
        this.note(`done: ${en.split('\n')[0].slice(0, 90)}`);
        break;
      }
      case 'outcome': {
        const mgr = parseManagerCard(en);
        if (!mgr) return this.cannot(card, `an outcome card that names no VsmManager step: ${en.slice(0, 60)}`);
        this.remember(device, mgr);
        const result = await this.operate(device, mgr.step).catch((e: unknown) => {
          if (e instanceof ConsoleWouldNot) return e.message;
          throw e;
        });
        if (typeof result === 'string') return this.cannot(card, result);
        if (result.refused) {
          await card.getByLabel('错误码 Error code').fill(result.refused.code);
          await card.getByLabel('错误信息 Error message').fill(result.refused.message);
          await card.getByRole('button', { name: '拒绝 Refused' }).click();
          this.note(`${mgr.step} on ${device}: refused ${result.refused.code}`);
        } else {
          await card.getByRole('button', { name: '完成 Completed' }).click();
          this.note(`${mgr.step} on ${device}: completed`);
        }
        this.seen.delete(device);
        break;
      }
      case 'value': {
        if (!/DMK/.test(en)) return this.cannot(card, `a value the person cannot find in VsmManager: ${en.slice(0, 60)}`);
        const kcv = await this.consoleKcv(device);
        if (!kcv) return this.cannot(card, `VsmManager shows no DMK check value for device ${device}`);
        await card.getByRole('textbox').first().fill(kcv.toLowerCase().replace(/(.{4})/g, '$1 ').trim());
        await card.getByRole('button', { name: '提交 Submit' }).click();
        this.note(`DMK check value of ${device} read off VsmManager`);
        break;
      }
      case 'token':
        await this.token(card, id ?? '');
        break;
      default:
        return this.cannot(card, `a ${kind} prompt the person does not know how to answer: ${en.slice(0, 60)}`);
    }
    // Wait until that card has left (answered) before reading the next one.
    await expect(this.station.locator(`[data-prompt="${id}"]`)).toHaveCount(0, { timeout: 60_000 }).catch(() => undefined);
  }

  private remember(device: string, mgr: { step: string; params: Map<string, string> }): void {
    const proc = mgr.step.split('.')[0];
    let m = this.seen.get(device);
    if (!m || m.get('#procedure') !== proc) {
      m = new Map([['#procedure', proc]]);
      this.seen.set(device, m);
      this.kbkChosen.set(device, []);
    }
    for (const [k, v] of mgr.params) m.set(k, v);
    if (mgr.params.has('KBK UKEY')) this.kbkChosen.get(device)!.push(mgr.params.get('KBK UKEY')!);
  }

  private async cannot(card: Locator, reason: string): Promise<void> {
    this.problems.push(reason);
    this.note(`cannot: ${reason}`);
    await card.locator('details.cannot summary').click();
    await card.getByLabel('原因 Reason').fill(reason.slice(0, 400));
    await card.getByRole('button', { name: /无法完成，使步骤失败/ }).click();
  }

  /** "Insert the UKEY": a blank one from the drawer when none in the slots fits; then its PIN. */
  private async token(card: Locator, id: string): Promise<void> {
    const wanted = (await card.locator('.expect').textContent()) ?? '';
    const deadline = Date.now() + 30_000;
    let inserted = false;
    const shownAt = Date.now();
    while (Date.now() < deadline && !this.stopped) {
      if (!(await this.station.locator(`[data-prompt="${id}"]`).count())) return; // logged in and withdrawn
      const pin = card.getByLabel('UKEY 口令 PIN');
      if (await pin.count()) {
        await pin.fill(this.o.pin);
        await pin.press('Enter');
        this.note(`typed the PIN of the UKEY the station detected (${wanted.replace('需要 Wanted: ', '')})`);
        await this.station.waitForTimeout(300);
        continue;
      }
      const fits = await card.locator('[data-status=fits]').count();
      if (!fits && !inserted && Date.now() - shownAt > 1500) {
        if (!/blank/.test(wanted)) return this.cannot(card, `the UKEY wanted is not in the slots and is no blank one: ${wanted}`);
        const blank = readdirSync(this.o.drawer).find((f) => f.endsWith('.ukey.json'));
        if (!blank) return this.cannot(card, 'no blank UKEY left in the drawer');
        renameSync(join(this.o.drawer, blank), join(this.o.slots, blank));
        inserted = true;
        this.note(`inserted blank UKEY ${blank.replace('.ukey.json', '')}`);
      }
      await this.station.waitForTimeout(250);
    }
  }

  // ---- the VsmManager console ----

  /** 下一步 / 确定; a step the console will not leave (it says what is missing) ends the operation with its words. */
  private async next(): Promise<void> {
    await this.console.getByRole('button', { name: /下一步 Next|确定 OK/ }).click();
    const said = ((await this.console.locator('#stepError').textContent().catch(() => '')) ?? '').trim();
    if (said) throw new ConsoleWouldNot(`VsmManager would not go on: ${said}`);
  }

  private async chooseDevice(device: string): Promise<void> {
    await this.console.getByLabel(`设备 device ${device}`).check();
    await this.next();
  }

  private async ukeys(serials: string[]): Promise<void> {
    for (const s of serials) {
      await this.console.getByLabel(`选择 UKEY ${s}`).check();
      await this.console.getByLabel(`UKEY 口令 PIN ${s}`).fill(this.o.pin);
    }
    await this.next();
  }

  private async field(label: RegExp, value: string): Promise<void> {
    await this.console.getByLabel(label).fill(value);
    await this.next();
  }

  private async menu(name: RegExp): Promise<void> {
    await this.console.getByRole('button', { name }).first().click();
  }

  /** The console's result: completed, or refused with code and message; a string when the console did nothing. */
  private async result(): Promise<{ refused?: { code: string; message: string } } | string> {
    const o = this.console.locator('[data-outcome]');
    await expect(o).toBeVisible({ timeout: 90_000 });
    const how = await o.getAttribute('data-outcome');
    const text = (await o.textContent()) ?? '';
    if (how === 'completed') return {};
    const m = /^拒绝 Refused: (\S+) — (.*)$/s.exec(text);
    if (how === 'refused' && m) return { refused: { code: m[1], message: m[2].trim() || 'refused' } };
    return `VsmManager did not perform it: ${text.slice(0, 200)}`;
  }

  private async consoleKcv(device: string): Promise<string | undefined> {
    await this.menu(/获取 DMK 校验值/);
    await this.chooseDevice(device);
    const r = await this.result();
    if (typeof r === 'string' || r.refused) return undefined;
    return ((await this.console.locator('[data-value=dmkKcv]').textContent()) ?? '').trim() || undefined;
  }

  /** The operation a procedure's action step stands for, in the console, with what its cards said. */
  private async operate(device: string, step: string): Promise<{ refused?: { code: string; message: string } } | string> {
    const p = this.seen.get(device) ?? new Map<string, string>();
    await this.console.reload();
    switch (step) {
      case 'original-init.done': {
        const policy = /^(\d+)-of-(\d+)$/.exec(p.get('authorization policy') ?? '');
        if (!policy) return 'the cards named no authorization policy';
        await this.menu(/原始初始化/);
        await this.chooseDevice(device);
        await this.ukeys(list(p.get('component UKEYs')));
        await this.ukeys(list(p.get('authorization UKEYs')));
        await this.field(/授权门限/, policy[1]);
        return this.result();
      }
      case 'recovery-init.sync-auth': {
        const components = list(p.get('components imported in order'));
        const sync = p.get('authorization UKEY of the first device');
        if (!components.length || !sync) return 'the cards named no component UKEYs or no authorization UKEY';
        await this.menu(/恢复初始化/);
        await this.chooseDevice(device);
        await this.console.getByLabel('我已了解 I understand').check();
        await this.next();
        if (await this.console.getByText(/设备已有授权/).count()) return `device ${device} already has an authorization policy and the cards named no UKEY to authorize the recovery with`;
        await this.field(/DMK 成份 UKEY 数目/, String(components.length));
        for (const c of components) await this.ukeys([c]);
        await this.console.getByLabel(/同步授权信息/).check();
        await this.next();
        await this.ukeys([sync]);
        return this.result();
      }
      case 'backup-export.export': {
        const file = p.get('backup file');
        const keys = p.get('keys');
        if (!file || !keys) return 'the cards named no backup file or no keys';
        const name = `b${++this.backupNo}-${basename(file)}`;
        await this.menu(/备份导出/);
        await this.chooseDevice(device);
        await this.field(/密钥索引/, keys === 'all keys' ? 'all' : keys.replace(/\s+/g, ''));
        await this.ukeys(list(p.get('authorize with')));
        await this.ukeys(list(p.get('KBK UKEYs')));
        await this.console.getByLabel('保存到文件 Save to a file').check();
        await this.next();
        await this.field(/密钥备份文件/, name);
        const r = await this.result();
        // Keep the backup where the instruction says (the console keeps it in its own folder).
        if (typeof r !== 'string' && !r.refused) copyFileSync(join(this.o.backups, name), file);
        return r;
      }
      case 'restore-import.choose-backup-file': {
        const file = p.get('backup file');
        const kbk = this.kbkChosen.get(device) ?? [];
        if (!file || !existsSync(file)) return `the backup file the card names is not there: ${file}`;
        if (kbk.length < 1) return 'the cards named no KBK UKEY';
        const name = `r${++this.backupNo}-${basename(file)}`;
        copyFileSync(file, join(this.o.backups, name));
        await this.menu(/恢复导入/);
        await this.chooseDevice(device);
        await this.ukeys(kbk);
        await this.ukeys(list(p.get('authorize with')));
        await this.console.getByLabel('密钥备份文件 A backup file').check();
        await this.next();
        await this.field(/密钥备份文件/, name);
        return this.result();
      }
      default:
        return `the person does not know the VsmManager operation of step ${step}`;
    }
  }
}
