/**
 * The seed procedures over the device's management protocol: the harness plays VsmManager,
 * moving the device's sealed blobs to and from the UKEYs (docs/management-protocol.md §4), one
 * handler per step of the data in harness/procedures/<procedure>.ts. Clear components and shares
 * exist only briefly in this process, are wiped after use, and never reach evidence: the evidence
 * gets KCVs, counts, token serials and step records.
 *
 * Used by every emulator target, by a bench device whose lab entry gives `managementPort`, and by
 * the operator rehearsal's scripted operator (harness/operator/scripted-bench.ts) for what a
 * person would do in VsmManager.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { test } from '@playwright/test';
import { fromHex, hex, sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, wipe } from '../../crypto/index.ts';
import type { Token } from '../../drivers/ukey/index.ts';
import type { Authorization, BackupExportResult, ManagerClient, OriginalInitResult, ProgressEvent as Progress, RecoveryBeginResult, DeviceInfo, RestoreImportResult } from '../../drivers/evsm/manager/index.ts';
import type { AuthPolicy, AuthSet, BackupExportOptions, BackupResult, ExportComponentsOptions, ExportComponentsResult, InitResult, ManagedDevice, OriginalInitOptions, ProcedureDeps, ProcedureDriver, RecoveryInitOptions, RecoveryResult, RestoreImportOptions, RestoreResult } from './driver.ts';
import { backupExport, exportDmkComponents, originalInit, recoveryInit, restoreImport } from './index.ts';
import { walk } from './runner.ts';
import { blankTokens, ensureLogin, noteToken } from './token-steps.ts';

/**
 * The device's management connection, or a one-line skip: a bench device without one (no
 * `managementPort` in the lab file) cannot do what only the management protocol shows.
 */
export function needsManagement(device: ManagedDevice, what = 'this management operation'): ManagerClient {
  if (!device.management) {
    test.skip(true, `hardware: device ${device.name} has no managementPort in the lab file; needed for ${what} (not on the operator path; see docs/lab-file.md)`);
  }
  return device.management!;
}

/** m signatures from the auth tokens over a fresh challenge for `op` on `device`. */
export async function authorize(deps: Pick<ProcedureDeps, 'tokens'>, device: ManagedDevice, op: string, auth: Token[]): Promise<Authorization> {
  const signers = [];
  for (const t of auth) {
    await ensureLogin(t, deps.tokens);
    signers.push({ publicKey: hex(await t.readAuthPublicKey()), sign: (m: Buffer) => t.authSign(m) });
  }
  return needsManagement(device).authorize(op, signers);
}

export class ManagementDriver implements ProcedureDriver {
  readonly how = 'management';

  constructor(
    private readonly device: ManagedDevice,
    private readonly deps: ProcedureDeps,
  ) {}

  private get management(): ManagerClient {
    return needsManagement(this.device);
  }

  private blank(n: number, instruction: string, as: (i: number) => string, step: string): Promise<Token[]> {
    return blankTokens(this.deps, n, instruction, as, step);
  }

  private authorize(op: string, auth: Token[]): Promise<Authorization> {
    return authorize(this.deps, this.device, op, auth);
  }

  async originalInit(opts: OriginalInitOptions): Promise<InitResult> {
    const ev = this.deps.evidence;
    const p = originalInit;
    let info!: DeviceInfo;
    let components: Token[] = [];
    let authTokens: Token[] = [];
    let result!: OriginalInitResult;
    await walk(this.deps.runner, p, this.device.name, {
      open: async () => {
        info = await this.management.getInfo();
      },
      'write-component-ukeys': async () => {
        components = await this.blank(opts.components, 'insert a blank UKEY for a DMK component and enter its PIN', (i) => `component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
      },
      'choose-auth-policy': async () => ev.fact(`${this.device.name} auth policy`, `${opts.threshold}-of-${opts.authTokens}`),
      'write-auth-ukeys': async () => {
        authTokens = await this.blank(opts.authTokens, 'insert a blank UKEY for an authorization key and enter its PIN', (i) => `auth ${i}/${opts.authTokens}`, `${p.id}.write-auth-ukeys`);
        for (const t of authTokens) await t.generateAuthKey();
      },
      done: async () => {
        const recipient = sm2GenerateKeyPair();
        try {
          result = await this.management.originalInit({
            components: opts.components,
            threshold: opts.threshold,
            authPublicKeys: await Promise.all(authTokens.map(async (t) => hex(await t.readAuthPublicKey()))),
            recipientPublicKey: hex(recipient.publicKey),
          });
          await writeComponents(recipient.privateKey, result.components, components, info.deviceId, opts.components);
          for (const [i, t] of authTokens.entries()) {
            await t.writeRole({ role: 'auth', deviceId: info.deviceId, number: i + 1, total: opts.authTokens });
            await t.writeAuthInfo(fromHex(result.authInfo));
          }
          ev.dmkKcvs.push({ device: this.device.name, kcv: result.dmkKcv, when: 'original init' });
        } finally {
          wipe(recipient.privateKey);
        }
      },
    });
    return { deviceId: info.deviceId, dmkKcv: result.dmkKcv, components, auth: { m: opts.threshold, n: opts.authTokens, tokens: authTokens } };
  }

  /**
   * Wipe, import the component tokens (in the order given; `[c1, c1]` tries one twice), combine,
   * then sync auth from an auth token or make a new 1-of-1.
   */
  async recoveryInit(opts: RecoveryInitOptions): Promise<RecoveryResult> {
    const ev = this.deps.evidence;
    const name = this.device.name;
    const p = recoveryInit;
    const n = opts.count ?? opts.components.length;
    let info!: DeviceInfo;
    let begun!: RecoveryBeginResult;
    let dmkKcv = '';
    let auth: AuthSet | undefined;
    await walk(
      this.deps.runner,
      p,
      name,
      {
        open: async () => {
          info = await this.management.getInfo();
        },
        // The device says how many keys it is about to wipe; the evidence keeps the number.
        'confirm-wipe': async () => ev.fact(`${name} keys before recovery init`, info.keyCount),
        'enter-component-count': async () => {
          const authorization = info.auth ? await this.authorize('recoveryBegin', opts.authorizeWith ?? []) : undefined;
          begun = await this.management.recoveryBegin({ components: n, confirmWipe: true, ...(authorization ? { authorization } : {}) });
          ev.fact(`${name} recovery init wiped`, { announced: info.keyCount, wipedKeys: begun.wipedKeys });
        },
        'import-component': async (i) => {
          const t = opts.components[i];
          await ensureLogin(t, this.deps.tokens);
          await t.expectRole({ role: 'dmk-component' });
          await noteToken(ev, t, `component import ${i + 1}`, `${p.id}.import-component`);
          const clear = await t.readDmkComponent();
          try {
            const res = await this.management.importComponent({ encrypted: hex(sm2Encrypt(fromHex(begun.devicePublicKey), clear)) });
            ev.fact(`${name} import ${i + 1}`, { imported: res.imported, of: res.of, componentKcv: res.kcv });
          } catch (e) {
            if ((await opts.onImportError?.(e as Error, t)) !== 'continue') throw e;
            ev.fact(`${name} import ${i + 1} refused`, (e as Error).message);
          } finally {
            wipe(clear);
          }
        },
        'combine-dmk': async () => {
          dmkKcv = (await this.management.combine()).dmkKcv;
          ev.dmkKcvs.push({ device: name, kcv: dmkKcv, when: 'recovery init combine' });
          // Lets a scenario probe the awaiting-auth state before the authorization step.
          await opts.beforeAuth?.();
        },
        'sync-auth': async () => {
          const from = (opts.auth as { sync: Token }).sync;
          await ensureLogin(from, this.deps.tokens);
          await noteToken(ev, from, 'auth sync source', `${p.id}.sync-auth`);
          await this.management.syncAuth({ authInfo: hex(await from.readAuthInfo()) });
        },
        'new-auth': async () => {
          const [t] = await this.blank(1, 'insert a blank UKEY for the new 1-of-1 authorization key and enter its PIN', () => 'auth 1/1', `${p.id}.new-auth`);
          const res = await this.management.newAuth({ publicKey: hex(await t.generateAuthKey()) });
          await t.writeRole({ role: 'auth', deviceId: info.deviceId, number: 1, total: 1 });
          await t.writeAuthInfo(fromHex(res.authInfo));
          auth = { m: 1, n: 1, tokens: [t] };
        },
      },
      { times: { 'import-component': opts.components.length }, omit: [opts.auth === 'new' ? 'sync-auth' : 'new-auth'] },
    );
    return { wipedKeys: begun.wipedKeys, dmkKcv, ...(auth ? { auth } : {}) };
  }

  async dmkKcv(): Promise<string> {
    return (await this.management.getDmkKcv()).dmkKcv;
  }

  async authPolicy(): Promise<AuthPolicy> {
    const info = await this.management.getInfo();
    if (!info.auth) throw new Error(`device ${this.device.name} holds no authorization policy (state ${info.state})`);
    return { m: info.auth.m, n: info.auth.n };
  }

  async exportComponents(opts: ExportComponentsOptions): Promise<ExportComponentsResult> {
    const p = exportDmkComponents;
    let info!: DeviceInfo;
    let out!: ExportComponentsResult;
    await walk(this.deps.runner, p, this.device.name, {
      open: async () => {
        info = await this.management.getInfo();
      },
      'write-component-ukeys': async () => {
        const ts = await this.blank(opts.components, 'insert a blank UKEY for an exported DMK component and enter its PIN', (i) => `exported component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
        const recipient = sm2GenerateKeyPair();
        try {
          const authorization = await this.authorize('exportDmkComponents', opts.auth);
          const res = await this.management.exportDmkComponents({ components: opts.components, recipientPublicKey: hex(recipient.publicKey), authorization });
          await writeComponents(recipient.privateKey, res.components, ts, info.deviceId, opts.components);
          this.deps.evidence.dmkKcvs.push({ device: this.device.name, kcv: res.dmkKcv, when: 'export DMK components' });
          out = { dmkKcv: res.dmkKcv, components: ts };
        } finally {
          wipe(recipient.privateKey);
        }
      },
    });
    return out;
  }

  async backupExport(opts: BackupExportOptions): Promise<BackupResult> {
    const ev = this.deps.evidence;
    const name = this.device.name;
    const p = backupExport;
    const progress: Progress[] = [];
    let info!: DeviceInfo;
    let id = '';
    let kbk: Token[] = [];
    let exported!: BackupExportResult;
    let where: { file?: string; token?: Token } = {};
    await walk(this.deps.runner, p, name, {
      open: async () => {
        info = await this.management.getInfo();
        id = `${info.deviceId}-${Date.now().toString(36)}`;
      },
      'choose-keys': async () => ev.fact(`${name} backup selection`, opts.indices === 'all' ? 'all keys' : opts.indices),
      'choose-blank-ukeys': async () => {
        kbk = await this.blank(3, 'insert a blank UKEY for a KBK share and enter its PIN', (i) => `KBK ${i}/3`, `${p.id}.choose-blank-ukeys`);
      },
      'enter-pin': async () => {
        for (const t of kbk) await ensureLogin(t, this.deps.tokens);
      },
      'write-kbk-ukeys': async () => {
        const recipient = sm2GenerateKeyPair();
        try {
          const authorization = await this.authorize('backupExport', opts.auth);
          const indices = opts.indices === 'all' ? {} : { indices: opts.indices };
          exported = await this.management.backupExport({ ...indices, recipientPublicKey: hex(recipient.publicKey), authorization }, (e) => progress.push(e));
          for (const s of exported.shares) {
            const share = sm2Decrypt(recipient.privateKey, fromHex(s.encrypted));
            try {
              await kbk[s.number - 1].writeRole({ role: 'kbk-share', deviceId: info.deviceId, number: s.number, total: 3, backupId: id });
              await kbk[s.number - 1].writeKbkShare(share);
            } finally {
              wipe(share);
            }
          }
        } finally {
          wipe(recipient.privateKey);
        }
      },
      'choose-file': async () => {
        if (opts.to === 'token') {
          const [t] = await this.blank(1, 'insert a blank UKEY to keep the backup and enter its PIN', () => 'backup', `${p.id}.choose-file`);
          where = { token: t };
        } else where = { file: this.deps.outputPath(opts.fileName ?? `backup-${name}.evbk`) };
      },
      export: async () => {
        const bytes = fromHex(exported.backup);
        if (where.token) {
          await where.token.writeRole({ role: 'backup', deviceId: info.deviceId, backupId: id });
          await where.token.writeBackup(bytes);
        } else writeFileSync(where.file!, bytes, { mode: 0o600 }); // a backup is key material under the KBK: owner only
        ev.fact(`${name} backup progress`, { events: progress.length, last: progress[progress.length - 1] ?? null });
      },
      result: async () => ev.fact(`${name} backup`, { id, keyCount: exported.keyCount, kbkKcv: exported.kbkKcv, bytes: exported.backup.length / 2, to: opts.to }),
    });
    return { id, kbk, ...where, keyCount: exported.keyCount, indices: exported.indices, kbkKcv: exported.kbkKcv, progress };
  }

  /** With two KBK tokens (any 2 of 3) and the backup. */
  async restoreImport(opts: RestoreImportOptions): Promise<RestoreResult> {
    const ev = this.deps.evidence;
    const name = this.device.name;
    const p = restoreImport;
    const progress: Progress[] = [];
    const encShares: string[] = [];
    let info!: DeviceInfo;
    let res!: RestoreImportResult;
    const readShare = async (t: Token, which: string) => {
      await ensureLogin(t, this.deps.tokens);
      await t.expectRole({ role: 'kbk-share' });
      await noteToken(ev, t, `${which} KBK for restore`, p.id);
      const share = await t.readKbkShare();
      try {
        encShares.push(hex(sm2Encrypt(fromHex(info.devicePublicKey), share)));
      } finally {
        wipe(share);
      }
    };
    const [first, ...rest] = opts.kbk;
    await walk(
      this.deps.runner,
      p,
      name,
      {
        open: async () => {
          info = await this.management.getInfo();
        },
        'ukey-window': async () => undefined,
        'choose-kbk-ukey': async () => {
          if (first) await first.expectRole({ role: 'kbk-share' });
        },
        'verify-pin': async () => {
          if (first) await readShare(first, 'the first');
        },
        'choose-second-kbk-ukey': (i) => readShare(rest[i], 'another'),
        'choose-backup-file': async () => {
          let bytes: Buffer;
          if (Buffer.isBuffer(opts.backup)) bytes = opts.backup;
          else if (opts.backup.token) {
            await ensureLogin(opts.backup.token, this.deps.tokens);
            bytes = await opts.backup.token.readBackup();
          } else bytes = readFileSync(opts.backup.file!);
          const authorization = await this.authorize('restoreImport', opts.auth);
          res = await this.management.restoreImport({ shares: encShares, backup: hex(bytes), authorization }, (e) => progress.push(e));
        },
      },
      { times: { 'choose-second-kbk-ukey': rest.length } },
    );
    ev.fact(`${name} restore`, { imported: res.imported, replaced: res.replaced, progressEvents: progress.length });
    return { ...res, progress };
  }
}

/** Decrypts each sealed component and writes it, with its role record, to the token of its number. */
async function writeComponents(recipientKey: Buffer, sealed: ReadonlyArray<{ number: number; encrypted: string }>, tokens: Token[], deviceId: string, total: number): Promise<void> {
  for (const c of sealed) {
    const t = tokens[c.number - 1];
    const clear = sm2Decrypt(recipientKey, fromHex(c.encrypted));
    try {
      await t.writeRole({ role: 'dmk-component', deviceId, number: c.number, total });
      await t.writeDmkComponent(clear);
    } finally {
      wipe(clear);
    }
  }
}
