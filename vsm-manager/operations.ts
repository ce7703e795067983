/**
 * The VsmManager operations the console offers (DESIGN §1 procedures 1-6), done the way the
 * vendor's VsmManager does them: encrypted blobs move between the device's management protocol
 * (drivers/evsm/manager) and the UKEYs; clear components and KBK shares exist only briefly in this
 * process and are wiped after use. A PIN is used for one login and is never kept or reported.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fromHex, hex, sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, wipe } from '../crypto/index.ts';
import { ManagementError, ManagerClient, type ProgressEvent, type Signer } from '../drivers/evsm/manager/index.ts';
import { openVirtualTokens, TokenError, type RoleRecord, type Token } from '../drivers/ukey/index.ts';

/** One UKEY the person chose, with the PIN typed for it. */
export interface ChosenToken {
  serial: string;
  pin: string;
}

export interface Device {
  name: string;
  host: string;
  port: number;
}

/** What VsmManager shows at the end: completed with values, or refused with a code and message. */
export type Outcome = { status: 'completed'; values: Record<string, string | number> } | { status: 'refused'; code: string; message: string };

/** A wrong request (missing field, unknown UKEY): refused before anything reaches a device or token. */
export class ConsoleInputError extends Error {}

export interface OperationContext {
  device: Device;
  tokensDir: string;
  backupDir: string;
  onProgress(e: ProgressEvent): void;
}

/** Opens the tokens of the directory; `use` returns the chosen ones logged in with their PINs. */
class TokenSession {
  private constructor(readonly all: Token[]) {}
  static async open(dir: string): Promise<TokenSession> {
    return new TokenSession(await openVirtualTokens(dir));
  }
  find(serial: string): Token {
    const t = this.all.find((x) => x.identity.serial === serial);
    if (!t) throw new ConsoleInputError(`no UKEY with serial ${serial} is present`);
    return t;
  }
  async use(chosen: ChosenToken): Promise<Token> {
    const t = this.find(chosen.serial);
    await t.login(chosen.pin);
    return t;
  }
  async close(): Promise<void> {
    for (const t of this.all) await t.close();
  }
}

/** The role record of each token of a directory, for the UKEY lists (no login needed). */
export async function listTokens(dir: string): Promise<Array<{ serial: string; label: string; role: RoleRecord | null }>> {
  const s = await TokenSession.open(dir);
  try {
    return Promise.all(s.all.map(async (t) => ({ serial: t.identity.serial, label: t.identity.label, role: (await t.readRole()) ?? null })));
  } finally {
    await s.close();
  }
}

function list(body: Record<string, unknown>, name: string, min: number): ChosenToken[] {
  const v = body[name];
  if (!Array.isArray(v) || v.length < min) throw new ConsoleInputError(`choose at least ${min} UKEY(s) for ${name}`);
  return v.map((x) => {
    const o = x as Partial<ChosenToken>;
    if (typeof o?.serial !== 'string' || typeof o.pin !== 'string' || o.pin === '') throw new ConsoleInputError(`each UKEY chosen for ${name} needs a serial and a PIN`);
    return { serial: o.serial, pin: o.pin };
  });
}

/** Every UKEY of one operation is distinct, except where the device itself must judge (recovery). */
function distinct(...groups: ChosenToken[][]): void {
  const seen = new Set<string>();
  for (const t of groups.flat()) {
    if (seen.has(t.serial)) throw new ConsoleInputError(`UKEY ${t.serial} is chosen twice`);
    seen.add(t.serial);
  }
}

async function blank(t: Token): Promise<Token> {
  if (await t.readRole()) throw new ConsoleInputError(`UKEY ${t.identity.serial} is not blank`);
  return t;
}

async function signers(s: TokenSession, chosen: ChosenToken[]): Promise<Signer[]> {
  const out: Signer[] = [];
  for (const c of chosen) {
    const t = await s.use(c);
    await t.expectRole({ role: 'auth' });
    out.push({ publicKey: hex(await t.readAuthPublicKey()), sign: (m: Buffer) => t.authSign(m) });
  }
  return out;
}

/** Decrypts each sealed item with the one-time recipient key and hands the clear bytes to `write`. */
async function unseal(privateKey: Uint8Array, sealed: Array<{ number: number; encrypted: string }>, write: (n: number, clear: Buffer) => Promise<void>): Promise<void> {
  for (const c of sealed) {
    const clear = sm2Decrypt(privateKey, fromHex(c.encrypted));
    try {
      await write(c.number, clear);
    } finally {
      wipe(clear);
    }
  }
}

/** A file name in the backup folder: a bare name, no path parts. */
function backupPath(dir: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || basename(name) !== name || name.startsWith('.')) throw new ConsoleInputError('the backup file name must be a plain file name');
  return join(dir, name);
}

type Op = (mgr: ManagerClient, s: TokenSession, body: Record<string, unknown>, ctx: OperationContext) => Promise<Record<string, string | number>>;

const OPS: Record<string, Op> = {
  /** 获取 DMK 校验值 */
  async dmkKcv(mgr) {
    return { dmkKcv: (await mgr.getDmkKcv()).dmkKcv };
  },

  /** 设备信息: the device's state and its authorization policy (m-of-n), as VsmManager's device view shows them. */
  async deviceInfo(mgr) {
    const i = await mgr.getInfo();
    return {
      state: i.state,
      authorization: i.auth ? `${i.auth.m}-of-${i.auth.n}` : 'none',
      keyCount: i.keyCount,
      ...(i.dmkKcv ? { dmkKcv: i.dmkKcv } : {}),
      ...(i.recovery ? { recovery: `${i.recovery.imported}/${i.recovery.of}` } : {}),
      deviceId: i.deviceId,
    };
  },

  /** 原始初始化: n component UKEYs, an m-of-k authorization set. */
  async originalInit(mgr, s, body) {
    const comps = list(body, 'components', 2);
    const auth = list(body, 'auth', 1);
    const threshold = Number(body.threshold);
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > auth.length) throw new ConsoleInputError(`the authorization threshold must be 1..${auth.length}`);
    distinct(comps, auth);
    const info = await mgr.getInfo();
    const ct: Token[] = [];
    for (const c of comps) ct.push(await blank(await s.use(c)));
    const at: Token[] = [];
    for (const c of auth) at.push(await blank(await s.use(c)));
    const recipient = sm2GenerateKeyPair();
    try {
      const authPublicKeys: string[] = [];
      for (const t of at) authPublicKeys.push(hex(await t.generateAuthKey()));
      const res = await mgr.originalInit({ components: ct.length, threshold, authPublicKeys, recipientPublicKey: hex(recipient.publicKey) });
      await unseal(recipient.privateKey, res.components, async (n, clear) => {
        await ct[n - 1].writeRole({ role: 'dmk-component', deviceId: info.deviceId, number: n, total: ct.length });
        await ct[n - 1].writeDmkComponent(clear);
      });
      for (const [i, t] of at.entries()) {
        await t.writeRole({ role: 'auth', deviceId: info.deviceId, number: i + 1, total: at.length });
        await t.writeAuthInfo(fromHex(res.authInfo));
      }
      return { dmkKcv: res.dmkKcv, components: ct.length, authorization: `${threshold}-of-${at.length}` };
    } finally {
      wipe(recipient.privateKey);
    }
  },

  /** 恢复初始化: wipe, import each component UKEY, combine, then sync or make new authorization. */
  async recoveryInit(mgr, s, body) {
    if (body.confirmWipe !== true) throw new ConsoleInputError('recovery init wipes every key: confirm the warning first');
    const comps = list(body, 'components', 2);
    const mode = body.authMode;
    if (mode !== 'sync' && mode !== 'new') throw new ConsoleInputError('choose how to set authorization: sync or new');
    const [authToken] = list(body, 'authToken', 1);
    // Every UKEY is checked before the device wipes anything: a wrong one is refused first.
    for (const c of comps) await (await s.use(c)).expectRole({ role: 'dmk-component' });
    const at = await s.use(authToken);
    if (mode === 'sync') await at.expectRole({ role: 'auth' });
    else await blank(at);
    const info = await mgr.getInfo();
    const authorization = info.auth ? await mgr.authorize('recoveryBegin', await signers(s, list(body, 'authorizeWith', 1))) : undefined;
    const begun = await mgr.recoveryBegin({ components: comps.length, confirmWipe: true, ...(authorization ? { authorization } : {}) });
    const devKey = fromHex(begun.devicePublicKey);
    for (const c of comps) {
      const clear = await s.find(c.serial).readDmkComponent();
      try {
        await mgr.importComponent({ encrypted: hex(sm2Encrypt(devKey, clear)) });
      } finally {
        wipe(clear);
      }
    }
    const combined = await mgr.combine();
    let auth: string;
    if (mode === 'sync') {
      const r = await mgr.syncAuth({ authInfo: hex(await at.readAuthInfo()) });
      auth = `synced ${r.m}-of-${r.n}`;
    } else {
      const r = await mgr.newAuth({ publicKey: hex(await at.generateAuthKey()) });
      await at.writeRole({ role: 'auth', deviceId: info.deviceId, number: 1, total: 1 });
      await at.writeAuthInfo(fromHex(r.authInfo));
      auth = 'new 1-of-1';
    }
    return { dmkKcv: combined.dmkKcv, wipedKeys: begun.wipedKeys, authorization: auth };
  },

  /** 导出 DMK 成份 into new blank UKEYs. */
  async exportComponents(mgr, s, body) {
    const comps = list(body, 'components', 2);
    const auth = list(body, 'auth', 1);
    distinct(comps, auth);
    const info = await mgr.getInfo();
    const ct: Token[] = [];
    for (const c of comps) ct.push(await blank(await s.use(c)));
    const authorization = await mgr.authorize('exportDmkComponents', await signers(s, auth));
    const recipient = sm2GenerateKeyPair();
    try {
      const res = await mgr.exportDmkComponents({ components: ct.length, recipientPublicKey: hex(recipient.publicKey), authorization });
      await unseal(recipient.privateKey, res.components, async (n, clear) => {
        await ct[n - 1].writeRole({ role: 'dmk-component', deviceId: info.deviceId, number: n, total: ct.length });
        await ct[n - 1].writeDmkComponent(clear);
      });
      return { dmkKcv: res.dmkKcv, components: ct.length };
    } finally {
      wipe(recipient.privateKey);
    }
  },

  /** 备份导出: 3 KBK UKEYs and a backup file, all keys or the given indices. */
  async backupExport(mgr, s, body, ctx): Promise<Record<string, string | number>> {
    const kbk = list(body, 'kbk', 3);
    if (kbk.length !== 3) throw new ConsoleInputError('a backup needs exactly 3 blank UKEYs for the KBK');
    const auth = list(body, 'auth', 1);
    // 保存到文件 or 保存到 UKEY 内 (the seed's variant: the backup kept inside a blank UKEY).
    const inUkey = body.saveTo === 'ukey';
    const holder = inUkey ? list(body, 'backupToken', 1)[0] : undefined;
    const file = inUkey ? undefined : backupPath(ctx.backupDir, body.fileName);
    if (file && existsSync(file)) throw new ConsoleInputError(`the backup file ${basename(file)} exists already: choose another name`);
    distinct(kbk, auth, holder ? [holder] : []);
    let indices: number[] | undefined;
    if (body.indices !== undefined && body.indices !== 'all') {
      if (!Array.isArray(body.indices) || !body.indices.every((i) => Number.isInteger(i))) throw new ConsoleInputError('key indices must be whole numbers');
      indices = body.indices as number[];
    }
    const info = await mgr.getInfo();
    const kt: Token[] = [];
    for (const c of kbk) kt.push(await blank(await s.use(c)));
    const holderToken = holder ? await blank(await s.use(holder)) : undefined;
    const authorization = await mgr.authorize('backupExport', await signers(s, auth));
    const recipient = sm2GenerateKeyPair();
    const backupId = `${info.deviceId}-${Date.now().toString(36)}`;
    try {
      const res = await mgr.backupExport({ ...(indices ? { indices } : {}), recipientPublicKey: hex(recipient.publicKey), authorization }, ctx.onProgress);
      await unseal(recipient.privateKey, res.shares, async (n, clear) => {
        await kt[n - 1].writeRole({ role: 'kbk-share', deviceId: info.deviceId, number: n, total: 3, backupId });
        await kt[n - 1].writeKbkShare(clear);
      });
      if (holderToken) {
        await holderToken.writeRole({ role: 'backup', deviceId: info.deviceId, backupId });
        await holderToken.writeBackup(fromHex(res.backup));
        return { keyCount: res.keyCount, backupUkey: holderToken.identity.serial, kbkKcv: res.kbkKcv };
      }
      writeFileSync(file!, fromHex(res.backup), { flag: 'wx' });
      return { keyCount: res.keyCount, file: basename(file!), kbkKcv: res.kbkKcv };
    } finally {
      wipe(recipient.privateKey);
    }
  },

  /**
   * 恢复导入: any 2 of the 3 KBK UKEYs and the backup file (or the UKEY that keeps it). As in
   * VsmManager, one KBK UKEY may be given: the device, not the console, refuses it (KBK_SHARES).
   */
  async restoreImport(mgr, s, body, ctx) {
    const kbk = list(body, 'kbk', 1);
    const auth = list(body, 'auth', 1);
    const inUkey = body.source === 'ukey';
    const holder = inUkey ? list(body, 'backupToken', 1)[0] : undefined;
    distinct(kbk, auth, holder ? [holder] : []);
    const file = inUkey ? undefined : backupPath(ctx.backupDir, body.fileName);
    if (file && !existsSync(file)) throw new ConsoleInputError(`there is no backup file ${basename(file)}`);
    let backup: Buffer;
    if (holder) {
      const t = await s.use(holder);
      await t.expectRole({ role: 'backup' });
      backup = await t.readBackup();
    } else backup = readFileSync(file!);
    const info = await mgr.getInfo();
    const devKey = fromHex(info.devicePublicKey);
    const shares: string[] = [];
    for (const c of kbk) {
      const t = await s.use(c);
      await t.expectRole({ role: 'kbk-share' });
      const share = await t.readKbkShare();
      try {
        shares.push(hex(sm2Encrypt(devKey, share)));
      } finally {
        wipe(share);
      }
    }
    const authorization = await mgr.authorize('restoreImport', await signers(s, auth));
    const res = await mgr.restoreImport({ shares, backup: hex(backup), authorization }, ctx.onProgress);
    return { imported: res.imported, replaced: res.replaced.length };
  },
};

export const OPERATIONS = Object.keys(OPS);

/** Runs one operation; device and token refusals become a refused outcome, input errors throw. */
export async function perform(op: string, body: Record<string, unknown>, ctx: OperationContext): Promise<Outcome> {
  const run = OPS[op];
  if (!run) throw new ConsoleInputError(`unknown operation ${op}`);
  const mgr = await ManagerClient.connect({ host: ctx.device.host, port: ctx.device.port });
  const s = await TokenSession.open(ctx.tokensDir);
  try {
    return { status: 'completed', values: await run(mgr, s, body, ctx) };
  } catch (e) {
    if (e instanceof ManagementError) return { status: 'refused', code: e.code, message: e.message.replace(`${e.op}: ${e.code}: `, '') };
    if (e instanceof TokenError) return { status: 'refused', code: `UKEY_${e.code.toUpperCase().replace(/-/g, '_')}`, message: e.message };
    throw e;
  } finally {
    await s.close();
    mgr.close();
  }
}
