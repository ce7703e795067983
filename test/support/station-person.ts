/**
 * The station rehearsal's "person" (test/station-rehearsal.test.ts): a program that does what a
 * person at the bench would, with the two pages only, in Chromium:
 *  - reads the operator station page (docs/station.md): each card's kind, device and instruction,
 *    and the parameter lines under it (`name: value`, docs/harness.md "Operator path: cards and
 *    parameters");
 *  - confirmations (reset device A, a VsmManager step that is only navigation): clicks 完成 Done;
 *  - the VsmManager step that carries an operation out (an outcome card): does the whole operation
 *    in the VsmManager stand-in console (docs/vsm-manager.md) with the UKEY serials, keys, policy
 *    and backup file or backup UKEY the cards of that procedure listed, reads the console's
 *    result, and answers the station: 完成 Completed, or 拒绝 Refused with the code and message
 *    the console shows (the device's refusal, e.g. KBK_SHARES for one KBK UKEY);
 *  - a value card: the DMK check value (获取 DMK 校验值) or the authorization policy (设备信息),
 *    read off the console and typed in;
 *  - "insert a UKEY": a blank one from its drawer when the card wants a blank and none in the
 *    slots fits (moves the file into the slot folder); once the right one is detected, types the
 *    PIN into the masked field;
 *  - a backup file: the console keeps backups in its own folder under bare names, so the person
 *    copies the file between that folder and the path the card names, as with a USB stick.
 * Anything else, or an operation it cannot do from what the pages show, it answers 无法完成
 * "cannot do it" with the reason and records it in `problems`: the step fails, and so the test.
 * It never talks to a device or the station other than through the two pages. Every wait is on
 * page state (a card, a field, a result appearing), never a fixed sleep.
 */
import type { Browser, Locator, Page } from '@playwright/test';
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
  /** How long the person looks for a UKEY that is not blank before saying they do not have it (default 20 s). */
  tokenPatienceMs?: number;
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

/**
 * Waits until `condition` (a JavaScript expression) holds on `page`, checked in the page at once
 * and again on every change of the page's document (a MutationObserver). Playwright's own waits
 * (locator.waitFor, an action on an element not there yet) look again after 20, 50, 100, 100 and
 * then every 500 ms, so a card drawn 80 ms after the last answer was seen only at 170 ms; a
 * person looking at the page sees it at once. Checked on every animation frame instead (polling
 * 'raf'), the browser draws 60 frames a second while the person waits, most of the rehearsal.
 */
async function until(page: Page, condition: string, timeout: number): Promise<void> {
  const held = await page.evaluate(
    `new Promise((resolve) => {
      const check = () => { try { return !!(${condition}); } catch { return false; } };
      if (check()) return resolve(true);
      let timer;
      const seen = new MutationObserver(() => { if (check()) { seen.disconnect(); clearTimeout(timer); resolve(true); } });
      seen.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      timer = setTimeout(() => { seen.disconnect(); resolve(false); }, ${timeout});
    })`,
  );
  if (!held) throw new Error(`Timeout ${timeout}ms exceeded waiting for ${condition}`);
}

/**
 * A button pressed from the keyboard (focus, Enter), as a person tabbing through a form does: the
 * same click handler runs, without the mouse's wait for the element to hold still over two frames
 * (about 4 times faster in Chromium under load). A button not on the page is never pressed: the
 * card or the console step stays as it was, and the person's next look finds it.
 */
const press = (button: Locator): Promise<void> => button.press('Enter');

/**
 * A checkbox or radio button ticked from the keyboard (focus, Space), only when not ticked yet
 * (Space toggles). The console checks every step when Next is pressed, so a box left unticked is
 * said on the page (#stepError) and the operation ends there.
 */
async function tick(box: Locator): Promise<void> {
  if (!(await box.isChecked())) await box.press(' ');
}

/** The console refused to leave a step, or showed no such thing: what the person reads there, as the reason they cannot do it. */
class ConsoleWouldNot extends Error {}

type Result = { refused?: { code: string; message: string } };

/** An open card (not one answered and waiting for its worker). */
const OPEN_CARD = '[data-prompt]:has(details.cannot)';

export class StationPerson {
  readonly problems: string[] = [];
  /** What the person did, one line each (no PINs). */
  readonly did: string[] = [];
  private station!: Page;
  private console!: Page;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly t0 = Date.now();
  /** Parameters seen on the cards of the procedure under way, per device. */
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly kbkChosen = new Map<string, string[]>();
  private backupNo = 0;
  /** The card answered last, and when. */
  private answered: { id: string; at: number } | undefined;

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

  private log(line: string): void {
    this.o.log?.(`${((Date.now() - this.t0) / 1000).toFixed(2)} ${line}`);
  }

  private note(line: string): void {
    this.did.push(line);
    this.log(`person: ${line}`);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      // The card just answered may still look open until the page hears from the station: the
      // person looks for the next one, and comes back to it only if it is still open a minute on.
      if (this.answered && Date.now() - this.answered.at > 60_000) this.answered = undefined;
      const open = this.answered ? `${OPEN_CARD}:not([data-prompt="${this.answered.id}"])` : OPEN_CARD;
      const card = this.station.locator(open).first();
      try {
        await until(this.station, `!!document.querySelector(${JSON.stringify(open)})`, 1000);
      } catch {
        continue; // none yet: look again (the page long-polls the station and draws cards as they come)
      }
      try {
        await this.answer(card);
      } catch (e) {
        if (this.stopped) return;
        // A card withdrawn under our hands (its worker timed out or moved on) is not a failure of the person.
        const msg = (e as Error).message.split('\n')[0];
        this.log(`person: retrying after: ${msg}`);
        if (!/detached|Target closed|closed|Timeout/.test(msg)) this.problems.push(`person: ${msg}`);
      }
    }
  }

  private async answer(card: Locator): Promise<void> {
    // What the card says, read at once (one look at the card, not one per line).
    const { id, kind, en, meta } = await card.evaluate(
      (e) => ({ id: e.getAttribute('data-prompt') ?? '', kind: e.getAttribute('data-kind') ?? '', en: e.querySelector('.en')?.textContent ?? '', meta: e.querySelector('.meta')?.textContent ?? '' }),
      undefined,
      { timeout: 2000 },
    );
    const device = /设备 device (\w+)/.exec(meta)?.[1] ?? /device ([ABC])\b/.exec(en)?.[1] ?? '';
    this.log(`card ${id} ${kind}${device ? ` device ${device}` : ''}`);
    switch (kind) {
      case 'confirm': {
        const mgr = parseManagerCard(en);
        if (mgr) this.remember(device, mgr);
        else this.seen.delete(device); // "reset device A": a new procedure begins
        await press(card.getByRole('button', { name: '完成 Done' }));
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
        this.seen.delete(device);
        if (typeof result === 'string') return this.cannot(card, result);
        if (result.refused) {
          await card.getByLabel('错误码 Error code').fill(result.refused.code);
          await card.getByLabel('错误信息 Error message').fill(result.refused.message);
          await press(card.getByRole('button', { name: '拒绝 Refused' }));
          this.note(`${mgr.step} on ${device}: refused ${result.refused.code}`);
        } else {
          await press(card.getByRole('button', { name: '完成 Completed' }));
          this.note(`${mgr.step} on ${device}: completed`);
        }
        break;
      }
      case 'value': {
        const what = /authori[sz]ation policy/i.test(en) ? 'policy' : /DMK/.test(en) ? 'kcv' : undefined;
        if (!what) return this.cannot(card, `a value the person cannot find in VsmManager: ${en.slice(0, 60)}`);
        const shown = await (what === 'kcv' ? this.consoleValue(/获取 DMK 校验值/, device, 'dmkKcv') : this.consoleValue(/设备信息/, device, 'authorization')).catch((e: unknown) => {
          if (e instanceof ConsoleWouldNot) return undefined;
          throw e;
        });
        if (!shown) return this.cannot(card, `VsmManager shows no ${what === 'kcv' ? 'DMK check value' : 'authorization policy'} for device ${device}`);
        // Typed as a person would copy it off the screen (a check value in groups of 4, lower case).
        await card.getByRole('textbox').first().fill(what === 'kcv' ? shown.toLowerCase().replace(/(.{4})/g, '$1 ').trim() : shown);
        await press(card.getByRole('button', { name: '提交 Submit' }));
        this.note(`${what === 'kcv' ? 'DMK check value' : `authorization policy ${shown}`} of ${device} read off VsmManager`);
        break;
      }
      case 'token':
        await this.token(card, id);
        break;
      default:
        return this.cannot(card, `a ${kind} prompt the person does not know how to answer: ${en.slice(0, 60)}`);
    }
    // Not read again while the page catches up (run()).
    this.answered = { id, at: Date.now() };
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
    const kbk = mgr.params.get('KBK UKEY');
    const chosen = this.kbkChosen.get(device)!;
    if (kbk && !chosen.includes(kbk)) chosen.push(kbk);
  }

  private async cannot(card: Locator, reason: string): Promise<void> {
    this.problems.push(reason);
    this.note(`cannot: ${reason}`);
    await card.locator('details.cannot summary').click();
    await card.getByLabel('原因 Reason').fill(reason.slice(0, 400));
    await card.getByRole('button', { name: /无法完成，使步骤失败/ }).click();
  }

  /** "Insert the UKEY": a blank one from the drawer when the card wants a blank and none in the slots fits; then its PIN. */
  private async token(card: Locator, id: string): Promise<void> {
    const wanted = ((await card.locator('.expect').textContent()) ?? '').replace('需要 Wanted: ', '');
    const blankWanted = /blank/.test(wanted);
    const here = this.station.locator(`[data-prompt="${id}"]`);
    const pin = here.locator('input[type=password]');
    const deadline = Date.now() + (blankWanted ? 30_000 : (this.o.tokenPatienceMs ?? 20_000));
    let inserted = false;
    while (!this.stopped) {
      if (!(await here.count())) return; // logged in and withdrawn
      if (await pin.count()) {
        await pin.fill(this.o.pin);
        await pin.press('Enter');
        this.note(`typed the PIN of the UKEY the station detected (${wanted})`);
        // The field goes (answered); a wrong PIN brings a new one with the next attempt, the next loop types it.
        await until(this.station, `!document.querySelector('[data-prompt="${id}"] input[type=password]')`, 10_000).catch(() => undefined);
        continue;
      }
      if (blankWanted && !inserted && !(await here.locator('[data-status=fits]').count())) {
        const blank = readdirSync(this.o.drawer).find((f) => f.endsWith('.ukey.json'));
        if (!blank) return this.cannot(card, 'no blank UKEY left in the drawer');
        renameSync(join(this.o.drawer, blank), join(this.o.slots, blank));
        inserted = true;
        this.note(`inserted blank UKEY ${blank.replace('.ukey.json', '')}`);
      }
      if (Date.now() > deadline) {
        return this.cannot(card, blankWanted ? `the blank UKEY inserted is not detected: ${wanted}` : `the UKEY wanted is not in the slots: ${wanted}`);
      }
      // Wait for what the page shows next: the PIN field (the right UKEY is in) or the card leaving.
      await until(this.station, `!document.querySelector('[data-prompt="${id}"]') || !!document.querySelector('[data-prompt="${id}"] input[type=password]')`, 2000).catch(() => undefined);
    }
  }

  // ---- the VsmManager console ----

  /** 下一步 / 确定; a step the console will not leave (it says what is missing) ends the operation with its words. */
  private async next(): Promise<void> {
    await press(this.console.getByRole('button', { name: /下一步 Next|确定 OK/ }));
    // The console checks the step in its click handler: what it says is on the page when the key press returns (one look).
    const said = await this.console.locator('#dialog').evaluate((d) => (d.querySelector('#stepError')?.textContent ?? '').trim());
    if (said) throw new ConsoleWouldNot(`VsmManager would not go on: ${said}`);
  }

  private async chooseDevice(device: string): Promise<void> {
    await tick(this.console.getByLabel(`设备 device ${device}`));
    await this.next();
  }

  private async ukeys(serials: string[]): Promise<void> {
    for (const s of serials) {
      await tick(this.console.getByLabel(`选择 UKEY ${s}`));
      await this.console.getByLabel(`UKEY 口令 PIN ${s}`).fill(this.o.pin);
    }
    await this.next();
  }

  private async field(label: RegExp, value: string): Promise<void> {
    await this.console.getByLabel(label).fill(value);
    await this.next();
  }

  private async choose(label: string): Promise<void> {
    await tick(this.console.getByLabel(label));
    await this.next();
  }

  private async menu(name: RegExp): Promise<void> {
    await press(this.console.getByRole('button', { name }).first());
    // The console reads the devices and UKEYs before it shows the first dialog (choose the device).
    await until(this.console, `!!document.querySelector('#dialog input[name=device]')`, 30_000);
  }

  /** The title of the dialog now shown. */
  private async dialogStep(): Promise<string> {
    return (await this.console.locator('#dialog h3').first().textContent()) ?? '';
  }

  /** The console's result: completed, or refused with code and message; a string when the console did nothing. */
  private async result(): Promise<Result | string> {
    const o = this.console.locator('[data-outcome]');
    await until(this.console, `!!document.querySelector('#result [data-outcome]')`, 90_000);
    const how = await o.getAttribute('data-outcome');
    const text = (await o.textContent()) ?? '';
    if (how === 'completed') return {};
    const m = /^拒绝 Refused: (\S+) — (.*)$/s.exec(text);
    if (how === 'refused' && m) return { refused: { code: m[1], message: m[2].trim() || 'refused' } };
    return `VsmManager did not perform it: ${text.slice(0, 200)}`;
  }

  /** A value of a one-dialog operation (获取 DMK 校验值, 设备信息) as the console shows it. */
  private async consoleValue(menu: RegExp, device: string, key: string): Promise<string | undefined> {
    await this.menu(menu);
    await this.chooseDevice(device);
    const r = await this.result();
    if (typeof r === 'string' || r.refused) return undefined;
    return ((await this.console.locator(`[data-value=${key}]`).textContent()) ?? '').trim() || undefined;
  }

  /** The operation a procedure's action step stands for, in the console, with what its cards said. */
  private async operate(device: string, step: string): Promise<Result | string> {
    const p = this.seen.get(device) ?? new Map<string, string>();
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
      case 'recovery-init.sync-auth':
      case 'recovery-init.new-auth': {
        const components = list(p.get('components imported in order'));
        const fresh = step === 'recovery-init.new-auth';
        const authUkey = p.get(fresh ? 'new authorization UKEY' : 'authorization UKEY of the first device');
        if (!components.length || !authUkey) return 'the cards named no component UKEYs or no authorization UKEY';
        await this.menu(/恢复初始化/);
        await this.chooseDevice(device);
        await this.choose('我已了解 I understand');
        if (/设备已有授权/.test(await this.dialogStep())) {
          const by = list(p.get('authorize with'));
          if (!by.length) return `device ${device} already has an authorization policy and the cards named no UKEY to authorize the recovery with`;
          await this.ukeys(by);
        }
        await this.field(/DMK 成份 UKEY 数目/, String(components.length));
        for (const c of components) await this.ukeys([c]);
        await this.choose(fresh ? '制作新的授权 UKEY（1 选 1）Make a new 1-of-1 auth UKEY' : '同步授权信息 Sync from an auth UKEY of the first device');
        await this.ukeys([authUkey]);
        return this.result();
      }
      case 'export-components.write-component-ukeys': {
        const comps = list(p.get('component UKEYs'));
        const by = list(p.get('authorize with'));
        if (!comps.length || !by.length) return 'the cards named no component UKEYs or no authorization UKEYs';
        await this.menu(/导出 DMK 成份/);
        await this.chooseDevice(device);
        await this.ukeys(by);
        await this.ukeys(comps);
        return this.result();
      }
      case 'backup-export.export': {
        const file = p.get('backup file');
        const holder = p.get('backup UKEY');
        const keys = p.get('keys');
        if ((!file && !holder) || !keys) return 'the cards named no backup file or backup UKEY, or no keys';
        await this.menu(/备份导出/);
        await this.chooseDevice(device);
        await this.field(/密钥索引/, keys === 'all keys' ? 'all' : keys.replace(/\s+/g, ''));
        await this.ukeys(list(p.get('authorize with')));
        await this.ukeys(list(p.get('KBK UKEYs')));
        if (holder) {
          await this.choose('保存到 UKEY 内 Keep it inside a UKEY');
          await this.ukeys([holder]);
          return this.result();
        }
        const name = `b${++this.backupNo}-${basename(file!)}`;
        await this.choose('保存到文件 Save to a file');
        await this.field(/密钥备份文件/, name);
        const r = await this.result();
        // Keep the backup where the instruction says (the console keeps it in its own folder).
        if (typeof r !== 'string' && !r.refused) copyFileSync(join(this.o.backups, name), file!);
        return r;
      }
      case 'restore-import.choose-backup-file': {
        const file = p.get('backup file');
        const holder = p.get('backup UKEY');
        const kbk = this.kbkChosen.get(device) ?? [];
        if (!holder && (!file || !existsSync(file))) return `the backup file the card names is not there: ${file}`;
        if (kbk.length < 1) return 'the cards named no KBK UKEY';
        let name = '';
        if (!holder) {
          name = `r${++this.backupNo}-${basename(file!)}`;
          copyFileSync(file!, join(this.o.backups, name));
        }
        await this.menu(/恢复导入/);
        await this.chooseDevice(device);
        await this.ukeys(kbk);
        await this.ukeys(list(p.get('authorize with')));
        if (holder) {
          await this.choose('保存在 UKEY 内 Inside a UKEY');
          await this.ukeys([holder]);
        } else {
          await this.choose('密钥备份文件 A backup file');
          await this.field(/密钥备份文件/, name);
        }
        return this.result();
      }
      default:
        return `the person does not know the VsmManager operation of step ${step}`;
    }
  }
}
