/**
 * The station token source with a full slot folder (harness/station/token-source.ts): the
 * station rehearsal ends with some 200 UKEYs in its slots. The UKEY inserted while the prompt is
 * open is looked at first (the search does not reopen every UKEY before it), the page is told what
 * is seen in a few reports per pass (not one POST per UKEY), and a report carries at most the 64
 * sightings the station accepts, the newly inserted UKEY first.
 */
import { test, expect } from '@playwright/test';
import { EventEmitter } from 'node:events';
import type { PresentToken, TokenLocator } from '../drivers/ukey/locators.ts';
import { TokenError, type RoleRecord, type Token } from '../drivers/ukey/index.ts';
import { StationClient, startStation, stationTokenSource, type Station } from '../harness/station/index.ts';

/** A UKEY of the fake slot folder: its role record (null = blank), and how often it was opened. */
interface Slot {
  serial: string;
  role: RoleRecord | null;
  opens: number;
  /** UKEYs opened in the same pass before this one, when this one was last opened. */
  after?: number;
}

/** The fake folder's listing: each pass counts the UKEYs it opens. */
function listing(slots: Slot[], openMs = 0): () => Promise<PresentToken[]> {
  return async () => {
    let inPass = 0;
    return slots.map((s) => ({
      serial: s.serial,
      label: `L-${s.serial}`,
      open: async () => {
        if (openMs) await new Promise((r) => setTimeout(r, openMs));
        s.opens++;
        s.after = inPass++;
        const expectRole = async (e: { role: string }) => {
          if (s.role?.role !== e.role) throw new TokenError('wrong-token', `UKEY ${s.serial}: this is ${s.role?.role ?? 'blank'}, not ${e.role}`);
          return s.role;
        };
        const token = { identity: { serial: s.serial, label: `L-${s.serial}` }, readRole: async () => s.role, expectRole, login: async () => undefined, close: async () => undefined };
        return token as unknown as Token;
      },
    }));
  };
}

/** 70 UKEYs holding an authorization role (none blank): a slot folder late in the station rehearsal. */
const fullFolder = (): Slot[] => Array.from({ length: 70 }, (_, i) => ({ serial: `SN${String(i).padStart(3, '0')}`, role: { role: 'auth', deviceId: 'EVSM-X', number: 1, total: 3 } as RoleRecord, opens: 0 }));

/** A station and a client for it for the length of `body`. */
async function withStation(body: (station: Station, client: StationClient) => Promise<void>): Promise<void> {
  const station = await startStation({ log: () => undefined });
  try {
    await body(station, new StationClient(station.url, { timeoutSeconds: 30 }));
  } finally {
    await station.close();
  }
}

test('station token source: with 70 UKEYs in the slots, the one inserted during the prompt is opened first, and the page gets at most 64 sightings in a few reports, the new UKEY first', async () => {
  await withStation(async (station, client) => {
    let reports = 0;
    const seen = client.seen.bind(client);
    client.seen = async (id, tokens) => {
      reports++;
      return seen(id, tokens);
    };
    const slots = fullFolder();
    const inserts = new EventEmitter();
    const locator: TokenLocator = { where: 'a fake slot folder', inserts, present: listing(slots) };
    const source = stationTokenSource({ station: client, locator, pins: async () => '0000', pollMs: 100, timeoutMs: 20_000, device: 'A' });

    const got = source.acquire({ instruction: 'insert a blank UKEY', blank: true });
    // The first pass: every UKEY opened and found not blank, shown as at most 64 sightings.
    await expect.poll(() => station.state().prompts[0]?.seen?.filter((s) => s.status === 'wrong').length ?? 0, { timeout: 10_000 }).toBe(64);
    expect(station.state().prompts[0].seen).toHaveLength(64);
    expect(slots.every((s) => s.opens >= 1)).toBe(true);
    expect(reports, 'one report per pass or so, not one per UKEY').toBeLessThan(10);

    // A blank inserted last in the folder's order: the pass that finds it opens it first.
    const blank: Slot = { serial: 'SN999', role: null, opens: 0 };
    slots.push(blank);
    inserts.emit('insert');
    const token = await got;
    expect(token.identity.serial).toBe('SN999');
    expect(blank.opens).toBe(1);
    expect(blank.after, 'UKEYs opened before the new one in the pass that found it').toBe(0);
    await source.release(token);
    await source.close();
  });
});

test('station token source: the UKEY inserted during the prompt is shown first among the sightings', async () => {
  await withStation(async (station, client) => {
    const slots = fullFolder();
    const inserts = new EventEmitter();
    const locator: TokenLocator = { where: 'a fake slot folder', inserts, present: listing(slots) };
    const source = stationTokenSource({ station: client, locator, pins: async () => '0000', pollMs: 100, timeoutMs: 3000, device: 'A' });
    const got = source.acquire({ instruction: 'insert the KBK UKEY', expect: { role: 'kbk-share' } }).catch((e: Error) => e);
    await expect.poll(() => station.state().prompts[0]?.seen?.length ?? 0, { timeout: 10_000 }).toBe(64);
    // A wrong UKEY inserted: it leads the list the person sees, with why it is wrong.
    slots.push({ serial: 'SN998', role: { role: 'dmk-component', deviceId: 'EVSM-X', number: 1, total: 2 } as RoleRecord, opens: 0 });
    inserts.emit('insert');
    await expect.poll(() => { const s = station.state().prompts[0]?.seen?.[0]; return s ? `${s.serial} ${s.status}` : ''; }, { timeout: 10_000 }).toBe('SN998 wrong');
    expect(await got).toBeInstanceOf(Error);
    await source.close();
  });
});

test('station token source: a UKEY inserted while the first look over a full slot folder is under way cuts that look short; the new UKEY is found before the others are all opened', async () => {
  await withStation(async (station, client) => {
    const slots = fullFolder();
    const inserts = new EventEmitter();
    // Each open takes 10 ms, as a UKEY file read under load: the first look takes 0.7 s.
    const locator: TokenLocator = { where: 'a fake slot folder', inserts, present: listing(slots, 10) };
    const source = stationTokenSource({ station: client, locator, pins: async () => '0000', pollMs: 5000, timeoutMs: 20_000, device: 'A' });
    const got = source.acquire({ instruction: 'insert a blank UKEY', blank: true });
    await expect.poll(() => slots.filter((s) => s.opens > 0).length, { timeout: 10_000, intervals: [5] }).toBeGreaterThanOrEqual(5);
    slots.push({ serial: 'SN999', role: null, opens: 0 });
    inserts.emit('insert');
    const token = await got;
    expect(token.identity.serial).toBe('SN999');
    const looked = slots.slice(0, 70).filter((s) => s.opens > 0).length;
    expect(looked, 'UKEYs opened before the inserted one was found').toBeLessThan(60);
    await source.release(token);
    await source.close();
  });
});
