/**
 * Crash safety under kill -9 at seeded random moments (issue 13 part 5, finding 9):
 *  - key generation with a store index: at least 50 kills while store requests are in flight;
 *    after each restart the state file parses, no temporary file is left, every answered write
 *    is there with its check value, and an unanswered one is either absent (old key kept) or there;
 *  - restore import: at least 50 kills during a 24-key restore, a third of them around the
 *    single commit (between commit and answer included); after each restart the key set is all
 *    old or all new, and new whenever the restore was answered.
 * The program runs bundled (a restart takes ~0.2 s). EVSM_CRASH_SEED changes the moments.
 */
import { test, expect } from '@playwright/test';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulators/evsm/emulator.ts';
import { HostClient, frameMessage } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient, type Signer } from '../drivers/evsm/manager/index.ts';
import { reseal, softOriginalInit, softRecovery, softToken } from './support/soft-token.ts';
import { bundledEmulator, hostOk, killAllEmulators, launchEmulator, parseListing, seeded, storeKeyRequest, type EmulatorChild } from './support/emulator-process.ts';

const SEED = Number(process.env.EVSM_CRASH_SEED ?? 7031);
const KILLS = 50;
const COMPONENTS = '# crash-test device\n0123456789ABCDEFFEDCBA9876543210\n00112233445566778899AABBCCDDEEFF\n';

let dir: string;

// A hang guard, not a speed check (speed is measured in bench/soak.ts): 50 kill -9 and restarts
// take about 15 s on a quiet 2-core machine and over 30 s at load 12, where a 30 s limit failed
// CI runs that were otherwise green.
test.describe.configure({ timeout: 120_000 });

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-crash-'));
  writeFileSync(join(dir, 'components.txt'), COMPONENTS, { mode: 0o600 });
});

test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

/** The key-generation device gets its DMK from components; the restore target has its own. */
async function start(data: string, env: NodeJS.ProcessEnv = {}, components = false): Promise<EmulatorChild> {
  const init = components ? ['--dmk-components-file', join(dir, 'components.txt')] : [];
  return launchEmulator(['--port', '0', '--data', data, ...init], { program: await bundledEmulator(), env });
}

async function kill9(e: EmulatorChild): Promise<void> {
  e.child.kill('SIGKILL');
  await e.exited;
}

/** The whole key list (X4, page by page): index → check value. */
async function listing(h: HostClient): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let from = 1;
  for (;;) {
    const page = parseListing(await hostOk(h, `X4${String(from).padStart(4, '0')}`));
    for (const e of page.entries) {
      if (out.has(e.index)) throw new Error(`index ${e.index} listed twice`);
      out.set(e.index, e.cv);
    }
    if (!page.more) return out;
    from = page.entries[page.entries.length - 1].index + 1;
  }
}

/** What a kill may leave behind is checked before the restart; what the restart must clean, after. */
function checkFiles(data: string, afterRestart: boolean): void {
  JSON.parse(readFileSync(join(data, 'state.json'), 'utf8'));
  if (afterRestart) {
    expect(readdirSync(data).filter((f) => f.endsWith('.tmp')), 'temporary files left after a restart').toEqual([]);
    expect(statSync(data).mode & 0o777).toBe(0o700);
  }
}

test(`key generation with a store index: kill -9 at ${KILLS} random moments`, async () => {
  const rnd = seeded(SEED);
  const data = join(dir, 'keygen');
  /** index → check value of every write the device answered (or that a restart showed it made) */
  const known = new Map<number, string>();
  let inFlight = new Map<number, number>();
  let answeredTotal = 0;
  let landedUnanswered = 0;
  for (let cycle = 0; cycle <= KILLS; cycle++) {
    const e = await start(data, {}, true);
    if (cycle > 0) checkFiles(data, true);
    const h = await HostClient.connect(e.ready.port, 0);
    const now = await listing(h);
    // (Plain checks per key, one expect per cycle: an expect per key costs milliseconds each.)
    const problems: string[] = [];
    for (const [index, cv] of now) {
      if (known.get(index) === cv) continue;
      // Only a write that was in flight at the kill may have changed a key.
      if (!inFlight.has(index)) problems.push(`index ${index} changed (${known.get(index)} → ${cv}) without a write in flight`);
      known.set(index, cv);
      landedUnanswered++;
    }
    for (const [index, cv] of known) if (now.get(index) !== cv) problems.push(`answered write at ${index} lost`);
    expect(problems, `seed ${SEED} cycle ${cycle}`).toEqual([]);
    if (cycle === KILLS) {
      h.close();
      await kill9(e);
      break;
    }
    // Writes, 4 in flight at a time, to distinct random indices; killed at a random moment.
    inFlight = new Map();
    const killAfter = 5 + rnd.int(150);
    const killed = new Promise<void>((r) => setTimeout(() => void kill9(e).then(r), killAfter));
    let stop = false;
    void killed.then(() => (stop = true));
    const writer = async (): Promise<void> => {
      while (!stop) {
        let index = 1 + rnd.int(2000);
        while (inFlight.has(index)) index = 1 + rnd.int(2000);
        inFlight.set(index, Date.now());
        const [a] = await h.sendRaw(frameMessage(Buffer.from(storeKeyRequest(index), 'latin1'))).catch(() => [undefined]);
        if (!a || stop) return;
        if (a.error !== '00') throw new Error(`store at ${index} answered ${a.error}`);
        known.set(index, a.text.slice(-16));
        inFlight.delete(index);
        answeredTotal++;
      }
    };
    await Promise.race([Promise.all([writer(), writer(), writer(), writer()]), killed.then(() => new Promise((r) => setTimeout(r, 20)))]);
    await killed;
    h.socket.destroy();
    checkFiles(data, false);
  }
  test.info().annotations.push({ type: 'key generation kills', description: `seed ${SEED}: ${KILLS} kills, ${answeredTotal} answered writes all kept, ${landedUnanswered} unanswered writes found applied, ${known.size} keys at the end` });
});

test.describe('restore import', () => {
  const KEYS = 24;
  let template: string;
  let restore: { shares: string[]; backup: string; signers: Signer[] };
  let oldKeys: Map<number, string>;
  let newKeys: Map<number, string>;

  test.beforeAll(async () => {
    test.setTimeout(60_000);
    // The source: original init, 24 keys, a backup to 3 KBK tokens (in-process: setup only).
    const source = await startEmulator({ port: 0, dataDir: join(dir, 'source'), name: 'S', host: '127.0.0.1', headerLength: 0, debug: false });
    const smgr = await ManagerClient.connect({ port: source.mgmtPort });
    const c = await softOriginalInit(smgr);
    const sh = await HostClient.connect(source.port, 0);
    for (let i = 1; i <= KEYS; i++) await hostOk(sh, storeKeyRequest(i, `k${i}`, i % 2 ? '00A' : '008', 'P'));
    newKeys = await listing(sh);
    const kbk = [softToken(), softToken(), softToken()];
    const backup = await smgr.backupExport({ recipientPublicKeys: kbk.map((k) => k.publicKey), authorization: await smgr.authorize('backupExport', [c.authTokens[0].signer, c.authTokens[1].signer]) });
    smgr.close();
    sh.close();
    await source.close();
    // The target: same DMK and policy, keys of its own at 1, 2 and 100; its state is the template.
    template = join(dir, 'template');
    const target = await startEmulator({ port: 0, dataDir: template, name: 'T', host: '127.0.0.1', headerLength: 0, debug: false });
    const tmgr = await ManagerClient.connect({ port: target.mgmtPort });
    await softRecovery(tmgr, c);
    await tmgr.syncAuth({ authInfo: c.init.authInfo });
    const pub = (await tmgr.getInfo()).devicePublicKey;
    tmgr.close();
    const th = await HostClient.connect(target.port, 0);
    for (const i of [1, 2, 100]) await hostOk(th, storeKeyRequest(i, 'own'));
    oldKeys = await listing(th);
    th.close();
    await target.close();
    newKeys.set(100, oldKeys.get(100) as string);
    // Every copy of the template has the same device key: the shares are resealed once.
    const shares = [reseal(kbk[0], backup.shares[0].encrypted, pub), reseal(kbk[2], backup.shares[2].encrypted, pub)];
    restore = { shares, backup: backup.backup, signers: [c.authTokens[1].signer, c.authTokens[2].signer] };
  });

  function resetTo(data: string): void {
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
    copyFileSync(join(template, 'state.json'), join(data, 'state.json'));
  }

  const same = (a: Map<number, string>, b: Map<number, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

  test(`kill -9 at ${KILLS} random moments: all old keys or all new, new once answered`, async () => {
    const rnd = seeded(SEED + 1);
    const data = join(dir, 'restore');
    resetTo(data);
    let e = await start(data, { EVSM_EMULATOR_STEP_DELAY_MS: '1' });
    let previous: { answered: boolean } | undefined;
    const outcomes = { old: 0, new: 0, answered: 0, nearCommit: 0 };
    for (let cycle = 0; cycle <= KILLS; cycle++) {
      const h = await HostClient.connect(e.ready.port, 0);
      const now = await listing(h);
      h.close();
      if (previous) {
        const isNew = same(now, newKeys);
        expect(isNew || same(now, oldKeys), `mixed key set after kill ${cycle}; seed ${SEED + 1}`).toBe(true);
        if (previous.answered) expect(isNew, `answered restore lost at kill ${cycle}; seed ${SEED + 1}`).toBe(true);
        outcomes[isNew ? 'new' : 'old']++;
        if (isNew) {
          // Back to the old keys for the next round.
          await kill9(e);
          resetTo(data);
          e = await start(data, { EVSM_EMULATOR_STEP_DELAY_MS: '1' });
        }
      }
      if (cycle === KILLS) break;
      const mgr = await ManagerClient.connect({ port: e.ready.mgmtPort });
      const authorization = await mgr.authorize('restoreImport', restore.signers);
      // Where the kill lands: around the commit (after the last key's progress event the single
      // write follows), at a random key of the import, or at a random time from the request on.
      const r = rnd.next();
      const nearCommit = r < 0.35;
      const atKey = r < 0.75 ? (nearCommit ? KEYS : 1 + rnd.int(KEYS - 1)) : undefined;
      const jitter = rnd.int(atKey === undefined ? 120 : 6);
      let answered = false;
      const victim = e;
      const kill = (): void => void victim.child.kill('SIGKILL');
      const done = mgr
        .restoreImport({ shares: restore.shares, backup: restore.backup, authorization }, (p) => {
          if (p.done === atKey) setTimeout(kill, jitter);
        })
        .then(() => (answered = true), () => undefined);
      // A restore that never reports that key still ends.
      setTimeout(kill, atKey === undefined ? jitter : 2000);
      await victim.exited;
      await done;
      mgr.close();
      checkFiles(data, false);
      if (nearCommit) outcomes.nearCommit++;
      if (answered) outcomes.answered++;
      previous = { answered };
      e = await start(data, { EVSM_EMULATOR_STEP_DELAY_MS: '1' });
      checkFiles(data, true);
    }
    await kill9(e);
    test.info().annotations.push({ type: 'restore kills', description: `seed ${SEED + 1}: ${KILLS} kills (${outcomes.nearCommit} around the commit): ${outcomes.old} left the old keys, ${outcomes.new} the new, ${outcomes.answered} answered before the kill` });
    expect(outcomes.old + outcomes.new).toBe(KILLS);
  });
});
