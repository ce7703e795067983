/**
 * The seed procedures, performed: each step of the data in harness/procedures/*.ts runs as a
 * `test.step` titled with its id, doing what VsmManager does — moving encrypted blobs between
 * the device's management protocol and the UKEYs (docs/management-protocol.md §4). Clear
 * components and shares exist only briefly in this process, are wiped after use, and never
 * reach evidence: the evidence gets KCVs, counts, token serials and step records.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { test } from '@playwright/test';
import { fromHex, hex, sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, wipe } from '../../crypto/index.ts';
import type { Token, TokenSource } from '../../drivers/ukey/token.ts';
import type { Evidence } from '../evidence/evidence.ts';
import type { Authorization, ManagerClient, ProgressEvent as Progress, RestoreImportResult } from '../../drivers/evsm/manager/index.ts';
import { OperatorPath } from './operator-path.ts';
import { backupExport, exportDmkComponents, getDmkKcv, originalInit, recoveryInit, restoreImport } from './index.ts';
import type { AuthSet, BackupResult, InitResult, ManagedDevice, ProcedureDeps, RecoveryResult } from './results.ts';

// Importers of these types predate results.ts (scenarios, fixtures): they keep working.
export type { AuthSet, BackupResult, InitResult, ManagedDevice, ProcedureDeps, RecoveryResult } from './results.ts';

/**
 * The device's management connection. A bench device without one (no `managementPort` in the
 * lab file) is driven by the operator in VsmManager for the operations the operator path covers
 * (harness/procedures/operator-path.ts); anything else needs the harness to read or drive the
 * management protocol itself, and the scenario skips with that reason rather than pretend.
 */
export function mgmt(device: ManagedDevice, what = 'this management operation'): ManagerClient {
  if (!device.management) {
    test.skip(true, `hardware: device ${device.name} has no managementPort in the lab file; needed for ${what} (not on the operator path; see docs/lab-file.md)`);
  }
  return device.management!;
}

/** "KBK 1/3", "component 2/3": how a token was used, for the evidence. */
async function noteToken(evidence: Evidence, token: Token, as: string, step: string): Promise<void> {
  const role = await token.readRole();
  evidence.token({ serial: token.identity.serial, label: token.identity.label, role: role?.role ?? 'blank', as, step });
}

/** A token source that can log a given token in (the pool can; a bench prompt re-asks for the PIN). */
interface CanLogin {
  loginToken(token: Token): Promise<void>;
}

async function ensureLogin(token: Token, tokens: TokenSource, instruction: string): Promise<void> {
  if (token.loggedIn) return;
  if ('loginToken' in tokens) {
    await (tokens as TokenSource & CanLogin).loginToken(token);
    return;
  }
  // A bench source: ask for the token by its role record; it logs in with the operator's PIN.
  const role = await token.readRole();
  await tokens.acquire({ instruction, expect: role ? { role: role.role, deviceId: role.deviceId, number: role.number, backupId: role.backupId } : undefined, blank: !role });
  if (!token.loggedIn) throw new Error(`token ${token.identity.serial} is not logged in after "${instruction}"`);
}

export class Procedures {
  private readonly operatorPath: OperatorPath;

  constructor(private readonly deps: ProcedureDeps) {
    this.operatorPath = new OperatorPath(deps, (n, instruction, as, step) => this.blank(n, instruction, as, step));
  }

  /** The operator path for `device`, when it has no management port and the bench has an operator. */
  private manual(device: ManagedDevice): OperatorPath | undefined {
    return device.management || !this.deps.vsmManager ? undefined : this.operatorPath;
  }

  private get ev(): Evidence {
    return this.deps.evidence;
  }

  private async blank(n: number, instruction: string, as: (i: number) => string, step: string): Promise<Token[]> {
    const out: Token[] = [];
    for (let i = 1; i <= n; i++) {
      const t = await this.deps.tokens.acquire({ instruction: `${instruction} (${i}/${n})`, blank: true });
      out.push(t);
      await noteToken(this.ev, t, as(i), step);
    }
    return out;
  }

  /** m signatures from the auth set over a fresh challenge for `op` on `device`. */
  async authorize(device: ManagedDevice, op: string, auth: Token[]): Promise<Authorization> {
    const signers = [];
    for (const t of auth) {
      await ensureLogin(t, this.deps.tokens, `insert authorization UKEY ${t.identity.serial} and enter its PIN`);
      signers.push({ publicKey: hex(await t.readAuthPublicKey()), sign: (m: Buffer) => t.authSign(m) });
    }
    return mgmt(device).authorize(op, signers);
  }

  /** 原始初始化: n component UKEYs, an m-of-N authorization set. */
  async originalInit(device: ManagedDevice, opts: { components: number; threshold: number; authTokens: number }): Promise<InitResult> {
    const manual = this.manual(device);
    if (manual) return manual.originalInit(device, opts);
    const r = this.deps.runner;
    const p = originalInit;
    const info = await r.step(p, 'open', device.name, () => mgmt(device).getInfo());
    const componentTokens = await r.step(p, 'write-component-ukeys', device.name, () => this.blank(opts.components, 'insert a blank UKEY for a DMK component and enter its PIN', (i) => `component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`));
    await r.step(p, 'choose-auth-policy', device.name, async () => this.ev.fact(`${device.name} auth policy`, `${opts.threshold}-of-${opts.authTokens}`));
    const authTokens = await r.step(p, 'write-auth-ukeys', device.name, async () => {
      const ts = await this.blank(opts.authTokens, 'insert a blank UKEY for an authorization key and enter its PIN', (i) => `auth ${i}/${opts.authTokens}`, `${p.id}.write-auth-ukeys`);
      for (const t of ts) await t.generateAuthKey();
      return ts;
    });
    const result = await r.step(p, 'done', device.name, async () => {
      const recipient = sm2GenerateKeyPair();
      try {
        const res = await mgmt(device).originalInit({
          components: opts.components,
          threshold: opts.threshold,
          authPublicKeys: await Promise.all(authTokens.map(async (t) => hex(await t.readAuthPublicKey()))),
          recipientPublicKey: hex(recipient.publicKey),
        });
        for (const c of res.components) {
          const t = componentTokens[c.number - 1];
          const clear = sm2Decrypt(recipient.privateKey, fromHex(c.encrypted));
          try {
            await t.writeRole({ role: 'dmk-component', deviceId: info.deviceId, number: c.number, total: opts.components });
            await t.writeDmkComponent(clear);
          } finally {
            wipe(clear);
          }
        }
        for (const [i, t] of authTokens.entries()) {
          await t.writeRole({ role: 'auth', deviceId: info.deviceId, number: i + 1, total: opts.authTokens });
          await t.writeAuthInfo(fromHex(res.authInfo));
        }
        this.ev.dmkKcvs.push({ device: device.name, kcv: res.dmkKcv, when: 'original init' });
        return res;
      } finally {
        wipe(recipient.privateKey);
      }
    });
    return { deviceId: info.deviceId, dmkKcv: result.dmkKcv, components: componentTokens, auth: { m: opts.threshold, n: opts.authTokens, tokens: authTokens } };
  }

  /**
   * 恢复初始化: wipe, import the component tokens (in the order given; `duplicateOf` lets a
   * scenario try one twice), combine, then sync auth from an auth token or make a new 1-of-1.
   * `authorizeWith` is needed when the device already has a policy.
   */
  async recoveryInit(
    device: ManagedDevice,
    opts: { components: Token[]; auth: { sync: Token } | 'new'; count?: number; authorizeWith?: Token[]; beforeAuth?: () => Promise<void>; onImportError?: (e: Error, token: Token) => Promise<'continue' | 'throw'> },
  ): Promise<RecoveryResult> {
    const manual = this.manual(device);
    if (manual) return manual.recoveryInit(device, opts);
    const r = this.deps.runner;
    const p = recoveryInit;
    const n = opts.count ?? opts.components.length;
    const info = await r.step(p, 'open', device.name, () => mgmt(device).getInfo());
    const wiped = await r.step(p, 'confirm-wipe', device.name, async () => {
      // The device says how many keys it is about to wipe; the evidence keeps the number.
      this.ev.fact(`${device.name} keys before recovery init`, info.keyCount);
      return info.keyCount;
    });
    const begun = await r.step(p, 'enter-component-count', device.name, async () => {
      const authorization = info.auth ? await this.authorize(device, 'recoveryBegin', opts.authorizeWith ?? []) : undefined;
      return mgmt(device).recoveryBegin({ components: n, confirmWipe: true, ...(authorization ? { authorization } : {}) });
    });
    this.ev.fact(`${device.name} recovery init wiped`, { announced: wiped, wipedKeys: begun.wipedKeys });
    const devKey = fromHex(begun.devicePublicKey);
    for (const [i, t] of opts.components.entries()) {
      await r.step(p, 'import-component', device.name, async () => {
        await ensureLogin(t, this.deps.tokens, `insert DMK component UKEY (${i + 1} of ${n}) and enter its PIN`);
        await t.expectRole({ role: 'dmk-component' });
        await noteToken(this.ev, t, `component import ${i + 1}`, `${p.id}.import-component`);
        const clear = await t.readDmkComponent();
        try {
          const res = await mgmt(device).importComponent({ encrypted: hex(sm2Encrypt(devKey, clear)) });
          this.ev.fact(`${device.name} import ${i + 1}`, { imported: res.imported, of: res.of, componentKcv: res.kcv });
        } catch (e) {
          if ((await opts.onImportError?.(e as Error, t)) === 'continue') {
            this.ev.fact(`${device.name} import ${i + 1} refused`, (e as Error).message);
            return;
          }
          throw e;
        } finally {
          wipe(clear);
        }
      });
    }
    const combined = await r.step(p, 'combine-dmk', device.name, () => mgmt(device).combine());
    this.ev.dmkKcvs.push({ device: device.name, kcv: combined.dmkKcv, when: 'recovery init combine' });
    // Lets a scenario probe the awaiting-auth state (e.g. offer a foreign auth token first).
    await opts.beforeAuth?.();
    let auth: AuthSet | undefined;
    if (opts.auth === 'new') {
      auth = await r.step(p, 'new-auth', device.name, async () => {
        const [t] = await this.blank(1, 'insert a blank UKEY for the new 1-of-1 authorization key and enter its PIN', () => 'auth 1/1', `${p.id}.new-auth`);
        const res = await mgmt(device).newAuth({ publicKey: hex(await t.generateAuthKey()) });
        await t.writeRole({ role: 'auth', deviceId: info.deviceId, number: 1, total: 1 });
        await t.writeAuthInfo(fromHex(res.authInfo));
        return { m: 1, n: 1, tokens: [t] };
      });
    } else {
      const from = opts.auth.sync;
      await r.step(p, 'sync-auth', device.name, async () => {
        await ensureLogin(from, this.deps.tokens, 'insert a valid authorization UKEY of the first device and enter its PIN');
        await noteToken(this.ev, from, 'auth sync source', `${p.id}.sync-auth`);
        return mgmt(device).syncAuth({ authInfo: hex(await from.readAuthInfo()) });
      });
    }
    return { wipedKeys: begun.wipedKeys, dmkKcv: combined.dmkKcv, auth };
  }

  /** 获取 DMK 校验值 on each device, compared. */
  async dmkKcvs(devices: ManagedDevice[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await this.deps.runner.step(getDmkKcv, 'read', devices.map((d) => d.name).join(','), async () => {
      for (const d of devices) out[d.name] = this.manual(d) ? await this.operatorPath.hostDmkKcv(d) : (await mgmt(d).getDmkKcv()).dmkKcv;
    });
    await this.deps.runner.step(getDmkKcv, 'compare', devices.map((d) => d.name).join(','), async () => {
      for (const [name, kcv] of Object.entries(out)) this.ev.dmkKcvs.push({ device: name, kcv, when: 'get DMK check value' });
    });
    return out;
  }

  /** 导出 DMK 成份 to n new component tokens. */
  async exportComponents(device: ManagedDevice, opts: { components: number; auth: Token[] }): Promise<{ dmkKcv: string; components: Token[] }> {
    const r = this.deps.runner;
    const p = exportDmkComponents;
    const info = await r.step(p, 'open', device.name, () => mgmt(device).getInfo());
    return r.step(p, 'write-component-ukeys', device.name, async () => {
      const ts = await this.blank(opts.components, 'insert a blank UKEY for an exported DMK component and enter its PIN', (i) => `exported component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
      const recipient = sm2GenerateKeyPair();
      try {
        const authorization = await this.authorize(device, 'exportDmkComponents', opts.auth);
        const res = await mgmt(device).exportDmkComponents({ components: opts.components, recipientPublicKey: hex(recipient.publicKey), authorization });
        for (const c of res.components) {
          const clear = sm2Decrypt(recipient.privateKey, fromHex(c.encrypted));
          try {
            await ts[c.number - 1].writeRole({ role: 'dmk-component', deviceId: info.deviceId, number: c.number, total: opts.components });
            await ts[c.number - 1].writeDmkComponent(clear);
          } finally {
            wipe(clear);
          }
        }
        this.ev.dmkKcvs.push({ device: device.name, kcv: res.dmkKcv, when: 'export DMK components' });
        return { dmkKcv: res.dmkKcv, components: ts };
      } finally {
        wipe(recipient.privateKey);
      }
    });
  }

  /** 导出备份密钥: 3 KBK tokens and a backup file (or token). */
  async backupExport(device: ManagedDevice, opts: { indices: number[] | 'all'; auth: Token[]; to: 'file' | 'token'; fileName?: string }): Promise<BackupResult> {
    const manual = this.manual(device);
    if (manual) return manual.backupExport(device, opts);
    const r = this.deps.runner;
    const p = backupExport;
    const info = await r.step(p, 'open', device.name, () => mgmt(device).getInfo());
    const indices = await r.step(p, 'choose-keys', device.name, async () => {
      this.ev.fact(`${device.name} backup selection`, opts.indices === 'all' ? 'all keys' : opts.indices);
      return opts.indices === 'all' ? undefined : opts.indices;
    });
    const kbk = await r.step(p, 'choose-blank-ukeys', device.name, () => this.blank(3, 'insert a blank UKEY for a KBK share and enter its PIN', (i) => `KBK ${i}/3`, `${p.id}.choose-blank-ukeys`));
    await r.step(p, 'enter-pin', device.name, async () => {
      for (const t of kbk) await ensureLogin(t, this.deps.tokens, 'enter the UKEY PIN');
    });
    const progress: Progress[] = [];
    const id = `${info.deviceId}-${Date.now().toString(36)}`;
    const exported = await r.step(p, 'write-kbk-ukeys', device.name, async () => {
      const recipient = sm2GenerateKeyPair();
      try {
        const authorization = await this.authorize(device, 'backupExport', opts.auth);
        const res = await mgmt(device).backupExport({ ...(indices ? { indices } : {}), recipientPublicKey: hex(recipient.publicKey), authorization }, (ev) => progress.push(ev));
        for (const s of res.shares) {
          const share = sm2Decrypt(recipient.privateKey, fromHex(s.encrypted));
          try {
            await kbk[s.number - 1].writeRole({ role: 'kbk-share', deviceId: info.deviceId, number: s.number, total: 3, backupId: id });
            await kbk[s.number - 1].writeKbkShare(share);
          } finally {
            wipe(share);
          }
        }
        return res;
      } finally {
        wipe(recipient.privateKey);
      }
    });
    const where = await r.step(p, 'choose-file', device.name, async () => {
      if (opts.to === 'token') {
        const [t] = await this.blank(1, 'insert a blank UKEY to keep the backup and enter its PIN', () => 'backup', `${p.id}.choose-file`);
        return { token: t };
      }
      return { file: this.deps.outputPath(opts.fileName ?? `backup-${device.name}.evbk`) };
    });
    await r.step(p, 'export', device.name, async () => {
      const bytes = fromHex(exported.backup);
      if (where.token) {
        await where.token.writeRole({ role: 'backup', deviceId: info.deviceId, backupId: id });
        await where.token.writeBackup(bytes);
      } else writeFileSync(where.file!, bytes, { mode: 0o600 }); // a backup is key material under the KBK: owner only
      this.ev.fact(`${device.name} backup progress`, { events: progress.length, last: progress[progress.length - 1] ?? null });
    });
    await r.step(p, 'result', device.name, async () => {
      this.ev.fact(`${device.name} backup`, { id, keyCount: exported.keyCount, kbkKcv: exported.kbkKcv, bytes: exported.backup.length / 2, to: opts.to });
    });
    return { id, kbk, ...where, keyCount: exported.keyCount, indices: exported.indices, kbkKcv: exported.kbkKcv, progress };
  }

  /** 导入备份密钥 with two KBK tokens (any 2 of 3) and the backup. */
  async restoreImport(
    device: ManagedDevice,
    opts: { kbk: Token[]; backup: { file?: string; token?: Token } | Buffer; auth: Token[] },
  ): Promise<RestoreImportResult & { progress: Progress[] }> {
    const manual = this.manual(device);
    if (manual) return manual.restoreImport(device, opts);
    const r = this.deps.runner;
    const p = restoreImport;
    const info = await r.step(p, 'open', device.name, () => mgmt(device).getInfo());
    await r.step(p, 'ukey-window', device.name, async () => undefined);
    const devKey = fromHex(info.devicePublicKey);
    const encShares: string[] = [];
    const readShare = async (t: Token, which: string) => {
      await ensureLogin(t, this.deps.tokens, `insert ${which} KBK UKEY and enter its PIN`);
      await t.expectRole({ role: 'kbk-share' });
      await noteToken(this.ev, t, `${which} KBK for restore`, `${p.id}`);
      const share = await t.readKbkShare();
      try {
        encShares.push(hex(sm2Encrypt(devKey, share)));
      } finally {
        wipe(share);
      }
    };
    const [first, ...rest] = opts.kbk;
    await r.step(p, 'choose-kbk-ukey', device.name, async () => {
      if (first) await first.expectRole({ role: 'kbk-share' });
    });
    await r.step(p, 'verify-pin', device.name, async () => {
      if (first) await readShare(first, 'the first');
    });
    for (const t of rest) await r.step(p, 'choose-second-kbk-ukey', device.name, () => readShare(t, 'another'));
    const progress: Progress[] = [];
    const res = await r.step(p, 'choose-backup-file', device.name, async () => {
      let bytes: Buffer;
      if (Buffer.isBuffer(opts.backup)) bytes = opts.backup;
      else if (opts.backup.token) {
        await ensureLogin(opts.backup.token, this.deps.tokens, 'insert the UKEY holding the backup and enter its PIN');
        bytes = await opts.backup.token.readBackup();
      } else bytes = readFileSync(opts.backup.file!);
      const authorization = await this.authorize(device, 'restoreImport', opts.auth);
      return mgmt(device).restoreImport({ shares: encShares, backup: hex(bytes), authorization }, (ev) => progress.push(ev));
    });
    this.ev.fact(`${device.name} restore`, { imported: res.imported, replaced: res.replaced, progressEvents: progress.length });
    return { ...res, progress };
  }
}
