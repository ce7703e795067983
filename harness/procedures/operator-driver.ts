/**
 * The seed procedures through a person in VsmManager, for a bench device without a management
 * port. It walks the same step data as the management driver (harness/procedures/<procedure>.ts):
 * every step is still a `test.step` titled with its id; inside it the step (id, zh/en instruction
 * and its concrete parameters: UKEY serials, key indices, the backup file, never a PIN) goes to the
 * VsmManager operator and the harness waits for the confirmation. On the step where VsmManager
 * carries the operation out, the operator also reports how it ended; then the harness verifies
 * what VsmManager did, automatically: role records on the UKEYs it named, the keys and their KCVs
 * over the host protocol, the DMK check value (X8 where the device has it, else as VsmManager shows
 * it). Options this path cannot honestly carry out skip with a one-line reason.
 */
import { test } from '@playwright/test';
import type { Token } from '../../drivers/ukey/index.ts';
import { ManagementError, type ManagementErrorCode, type ProgressEvent as Progress } from '../../drivers/evsm/manager/index.ts';
import type { KeyInfo } from '../devices/types.ts';
import type { AuthPolicy, AuthSet, BackupExportOptions, ExportComponentsOptions, BackupResult, ExportComponentsResult, InitResult, ManagedDevice, OriginalInitOptions, ProcedureCall, ProcedureDeps, ProcedureDriver, RecoveryInitOptions, RecoveryResult, RestoreImportOptions, RestoreResult } from './driver.ts';
import { backupExport, exportDmkComponents, originalInit, recoveryInit, restoreImport } from './index.ts';
import { walk } from './runner.ts';
import { blankTokens, serials } from './token-steps.ts';
import { stepOf, type Procedure, type ProcedureStep } from './types.ts';

/** What VsmManager carries out on the step that finishes a procedure: the procedure with its options, and the blank UKEYs the harness named, in the order it writes them. */
export type ManagerAction = ProcedureCall & { blanks: Token[]; file?: string };

export interface ManagerStepRequest {
  readonly step: ProcedureStep;
  readonly device: string;
  /** Concrete parameters shown with the instruction, e.g. `component UKEYs: SN1, SN2` (never a PIN). */
  readonly params: readonly string[];
  /** Present on the step where VsmManager performs the operation. */
  readonly action?: ManagerAction;
}

/** What the operator reports after a step: done, or refused with the error VsmManager showed. */
export interface ManagerOutcome {
  how: 'prompted' | 'answered';
  refused?: { code: string; message: string };
}

/**
 * Who does VsmManager's part for the operator driver (harness/operator/: a person prompted through
 * an `Operator`, or the operator rehearsal's scripted operator).
 */
export interface VsmManagerOperator {
  /** Shows the step and resolves once the operator confirms it is done (and, on an action step, how it ended). */
  perform(request: ManagerStepRequest): Promise<ManagerOutcome>;
  /**
   * The DMK check value as VsmManager shows it (获取 DMK 校验值). A real SJJ1310 has no host command
   * for it, so on a bench it is read off VsmManager's screen; 16 hex digits.
   */
  readDmkKcv(device: string): Promise<string>;
  /**
   * The authorization policy as VsmManager shows it (设备信息 / device info), typed as `m-of-n`
   * (e.g. `2-of-3`). A real SJJ1310 has no host command for it; the operator driver parses the
   * answer strictly (`parseAuthPolicy`).
   */
  readAuthPolicy(device: string): Promise<string>;
}

/**
 * An authorization policy typed by the operator: `2-of-3` (also `2 of 3`, `2/3`), 1 ≤ m ≤ n ≤ 99.
 * Anything else throws, so a typo is never taken as what the device holds.
 */
export function parseAuthPolicy(answer: string): AuthPolicy {
  const a = answer.trim();
  const match = /^(\d{1,2})\s*(?:-\s*of\s*-|\s+of\s+|\/)\s*(\d{1,2})$/i.exec(a);
  const m = match ? Number(match[1]) : NaN;
  const n = match ? Number(match[2]) : NaN;
  if (!match || m < 1 || m > n) throw new Error(`"${a.slice(0, 40)}" is not an authorization policy: m-of-n as VsmManager shows it, e.g. 2-of-3 (1 <= m <= n)`);
  return { m, n };
}

/** One line: what the operator path cannot do for `device`, and why. */
function skipUnsupported(device: ManagedDevice, what: string): never {
  test.skip(true, `hardware: device ${device.name} has no managementPort; ${what} is not on the operator path (the harness cannot see it over the host protocol; see docs/lab-file.md)`);
  throw new Error('unreachable: test.skip throws');
}

export class OperatorDriver implements ProcedureDriver {
  readonly how = 'operator';

  constructor(
    private readonly device: ManagedDevice,
    private readonly deps: ProcedureDeps,
    private readonly vsmManager: VsmManagerOperator,
  ) {}

  /** Shows `proc.short` to the operator and waits; a refusal they report becomes a ManagementError with VsmManager's code. */
  private async ask<S extends string>(proc: Procedure<S>, short: S, params: string[], action?: ManagerAction): Promise<void> {
    const step = stepOf(proc, short);
    const outcome = await this.vsmManager.perform({ step, device: this.device.name, params, ...(action ? { action } : {}) });
    if (outcome.refused) {
      this.deps.evidence.fact(`${this.device.name} ${step.id} refused (reported by the operator)`, outcome.refused.code);
      // The operator's code is the one VsmManager shows (docs/management-protocol.md error codes).
      throw new ManagementError(outcome.refused.code as ManagementErrorCode, step.id, outcome.refused.message);
    }
  }

  private blank(n: number, instruction: string, as: (i: number) => string, step: string): Promise<Token[]> {
    return blankTokens(this.deps, n, instruction, as, step);
  }

  /** The DMK check value: over the host protocol where the device has the X8 extension (emulators), else as VsmManager shows it. */
  async dmkKcv(): Promise<string> {
    const kcv = this.device.dmkKcv ? await this.device.dmkKcv() : undefined;
    return kcv ?? this.vsmManager.readDmkKcv(this.device.name);
  }

  /** The policy VsmManager shows (the device has no host command for it), parsed strictly. */
  async authPolicy(): Promise<AuthPolicy> {
    return parseAuthPolicy(await this.vsmManager.readAuthPolicy(this.device.name));
  }

  private async hostKeys(): Promise<KeyInfo[]> {
    if (!this.device.listKeys) throw new Error(`operator path: device ${this.device.name} has no host connection to list keys`);
    return this.device.listKeys();
  }

  /** The `open` step of a procedure that changes the key table: shown to the operator, then the keys as the device lists them before the change. */
  private async openListingKeys<S extends string>(proc: Procedure<S>, open: S): Promise<KeyInfo[]> {
    await this.ask(proc, open, []);
    return this.hostKeys();
  }

  private async noteTokens(tokens: Token[], as: (i: number) => string, step: string): Promise<void> {
    for (const [i, t] of tokens.entries()) {
      const role = await t.readRole();
      this.deps.evidence.token({ serial: t.identity.serial, label: t.identity.label, role: role?.role ?? 'blank', as: as(i + 1), step });
    }
  }

  async originalInit(opts: OriginalInitOptions): Promise<InitResult> {
    const p = originalInit;
    const name = this.device.name;
    let components: Token[] = [];
    let auth: Token[] = [];
    let result!: InitResult;
    await walk(this.deps.runner, p, name, {
      open: () => this.ask(p, 'open', []),
      'write-component-ukeys': async () => {
        components = await this.blank(opts.components, 'insert a blank UKEY for a DMK component and enter its PIN', (i) => `component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
        await this.ask(p, 'write-component-ukeys', [`components: ${opts.components}`, `component UKEYs: ${serials(components)}`]);
      },
      'choose-auth-policy': () => this.ask(p, 'choose-auth-policy', [`authorization policy: ${opts.threshold}-of-${opts.authTokens}`]),
      'write-auth-ukeys': async () => {
        auth = await this.blank(opts.authTokens, 'insert a blank UKEY for an authorization key and enter its PIN', (i) => `auth ${i}/${opts.authTokens}`, `${p.id}.write-auth-ukeys`);
        await this.ask(p, 'write-auth-ukeys', [`authorization UKEYs: ${serials(auth)}`]);
      },
      done: async () => {
        await this.ask(p, 'done', [`component UKEYs: ${serials(components)}`, `authorization UKEYs: ${serials(auth)}`], { procedure: 'original-init', options: opts, blanks: [...components, ...auth] });
        // What VsmManager did, read back: the role records it wrote, and the DMK check value.
        const roles = await Promise.all(components.map((t) => t.readRole()));
        const deviceId = roles[0]?.deviceId;
        if (!deviceId || roles.some((r) => r?.role !== 'dmk-component' || r.deviceId !== deviceId)) {
          throw new Error(`operator path: the component UKEYs ${serials(components)} do not all hold a DMK component of one device after original init on ${name}`);
        }
        const dmkKcv = await this.dmkKcv();
        this.deps.evidence.dmkKcvs.push({ device: name, kcv: dmkKcv, when: 'original init (after VsmManager)' });
        result = { deviceId, dmkKcv, components, auth: { m: opts.threshold, n: opts.authTokens, tokens: auth } };
      },
    });
    return result;
  }

  async recoveryInit(opts: RecoveryInitOptions): Promise<RecoveryResult> {
    // What a person cannot report from VsmManager's screen, per option.
    const unseen = { count: 'a component count other than the UKEYs imported', onImportError: 'the result of each single component import', beforeAuth: 'the device state between combining the DMK and its authorization' } as const;
    const extra = (Object.keys(unseen) as (keyof typeof unseen)[]).filter((k) => opts[k] !== undefined);
    if (extra.length) skipUnsupported(this.device, `recovery init with ${extra.map((k) => unseen[k]).join(' and ')}`);
    const p = recoveryInit;
    const name = this.device.name;
    const n = opts.components.length;
    const authorizeWith = opts.authorizeWith ? [`authorize with: ${serials(opts.authorizeWith)}`] : [];
    const options = (auth: RecoveryInitOptions['auth']): RecoveryInitOptions => ({ components: opts.components, auth, ...(opts.authorizeWith ? { authorizeWith: opts.authorizeWith } : {}) });
    let before: KeyInfo[] = [];
    let result!: RecoveryResult;
    // After VsmManager's Finish: the DMK check value, and the wipe as the key listing shows it.
    const finish = async (auth?: AuthSet): Promise<void> => {
      const dmkKcv = await this.dmkKcv();
      const after = await this.hostKeys();
      this.deps.evidence.dmkKcvs.push({ device: name, kcv: dmkKcv, when: 'recovery init (after VsmManager)' });
      this.deps.evidence.fact(`${name} recovery init wiped (keys listed before/after)`, { before: before.length, after: after.length });
      result = { wipedKeys: before.length - after.length, dmkKcv, ...(auth ? { auth } : {}) };
    };
    await walk(
      this.deps.runner,
      p,
      name,
      {
        open: async () => {
          before = await this.openListingKeys(p, 'open');
        },
        'confirm-wipe': async () => {
          if (opts.authorizeWith) await this.noteTokens(opts.authorizeWith, (i) => `authorizes the wipe ${i}`, `${p.id}.confirm-wipe`);
          await this.ask(p, 'confirm-wipe', [`internal keys to be wiped: ${before.length}`, ...authorizeWith]);
        },
        'enter-component-count': () => this.ask(p, 'enter-component-count', [`components: ${n}`]),
        'import-component': async (i) => {
          const t = opts.components[i];
          await this.ask(p, 'import-component', [`component UKEY ${i + 1} of ${n}: ${t.identity.serial}`]);
          await this.noteTokens([t], () => `component import ${i + 1}`, `${p.id}.import-component`);
        },
        'combine-dmk': () => this.ask(p, 'combine-dmk', []),
        'sync-auth': async () => {
          const sync = (opts.auth as { sync: Token }).sync;
          const action: ManagerAction = { procedure: 'recovery-init', options: options({ sync }), blanks: [] };
          await this.ask(p, 'sync-auth', [`authorization UKEY of the first device: ${sync.identity.serial}`, `components imported in order: ${serials(opts.components)}`, ...authorizeWith], action);
          await this.noteTokens([sync], () => 'auth sync source', `${p.id}.sync-auth`);
          await finish();
        },
        'new-auth': async () => {
          const [t] = await this.blank(1, 'insert a blank UKEY for the new 1-of-1 authorization key and enter its PIN', () => 'auth 1/1', `${p.id}.new-auth`);
          const action: ManagerAction = { procedure: 'recovery-init', options: options('new'), blanks: [t] };
          await this.ask(p, 'new-auth', [`new authorization UKEY: ${t.identity.serial}`, `components imported in order: ${serials(opts.components)}`, ...authorizeWith], action);
          // What VsmManager wrote on the blank: an auth role record of a 1-of-1 set, and an auth key.
          const role = await t.readRole();
          if (role?.role !== 'auth' || role.number !== 1 || role.total !== 1) throw new Error(`operator path: UKEY ${t.identity.serial} holds no 1-of-1 authorization role record after recovery init on ${name} (found ${role ? `${role.role} ${role.number ?? '?'}/${role.total ?? '?'}` : 'none'})`);
          await t.readAuthPublicKey();
          await this.noteTokens([t], () => 'new auth 1/1', `${p.id}.new-auth`);
          // n from the role record; with n = 1 the only policy is 1-of-1.
          await finish({ m: 1, n: role.total, tokens: [t] });
        },
      },
      { times: { 'import-component': n }, omit: [opts.auth === 'new' ? 'sync-auth' : 'new-auth'] },
    );
    return result;
  }

  async backupExport(opts: BackupExportOptions): Promise<BackupResult> {
    const p = backupExport;
    const name = this.device.name;
    const chosen = opts.indices === 'all' ? 'all keys' : opts.indices.join(', ');
    const file = opts.to === 'file' ? this.deps.outputPath(opts.fileName ?? `backup-${name}.evbk`) : undefined;
    let kbk: Token[] = [];
    let token: Token | undefined;
    const where = (): string => (token ? `backup UKEY: ${token.identity.serial}` : `backup file: ${file}`);
    let result!: BackupResult;
    await walk(this.deps.runner, p, name, {
      open: () => this.ask(p, 'open', []),
      'choose-keys': async () => {
        await this.ask(p, 'choose-keys', [`keys: ${chosen}`]);
        this.deps.evidence.fact(`${name} backup selection`, opts.indices === 'all' ? 'all keys' : opts.indices);
      },
      'choose-blank-ukeys': async () => {
        kbk = await this.blank(3, 'insert a blank UKEY for a KBK share and enter its PIN', (i) => `KBK ${i}/3`, `${p.id}.choose-blank-ukeys`);
        await this.ask(p, 'choose-blank-ukeys', [`KBK UKEYs: ${serials(kbk)}`]);
      },
      'enter-pin': () => this.ask(p, 'enter-pin', [`KBK UKEYs: ${serials(kbk)}`]),
      'write-kbk-ukeys': () => this.ask(p, 'write-kbk-ukeys', [`KBK UKEYs: ${serials(kbk)}`, `authorize with: ${serials(opts.auth)}`]),
      'choose-file': async () => {
        if (opts.to === 'token') [token] = await this.blank(1, 'insert a blank UKEY to keep the backup and enter its PIN', () => 'backup', `${p.id}.choose-file`);
        await this.ask(p, 'choose-file', [where()]);
      },
      export: () =>
        this.ask(p, 'export', [`keys: ${chosen}`, where()], { procedure: 'backup-export', options: { indices: opts.indices, auth: opts.auth, to: opts.to }, blanks: token ? [...kbk, token] : kbk, ...(file ? { file } : {}) }),
      result: async () => {
        await this.ask(p, 'result', []);
        const roles = await Promise.all(kbk.map((t) => t.readRole()));
        const id = roles[0]?.backupId;
        if (!id || roles.some((r) => r?.role !== 'kbk-share' || r.backupId !== id)) throw new Error(`operator path: the KBK UKEYs ${serials(kbk)} do not all hold a share of one backup after backup export on ${name}`);
        if (token) {
          const kept = await token.readRole();
          if (kept?.role !== 'backup' || kept.backupId !== id) throw new Error(`operator path: UKEY ${token.identity.serial} does not hold backup ${id} after backup export on ${name} (found ${kept ? `${kept.role} ${kept.backupId ?? ''}` : 'no role record'})`);
          await this.noteTokens([token], () => 'backup', `${p.id}.result`);
        }
        // The keys the backup covers, as the device lists them over the host protocol.
        const keys = (await this.hostKeys()).filter((k) => opts.indices === 'all' || opts.indices.includes(k.index));
        this.deps.evidence.fact(`${name} backup`, { id, keyCount: keys.length, to: opts.to, counted: 'keys listed on the source device' });
        result = { id, kbk, ...(token ? { token } : { file }), keyCount: keys.length, indices: keys.map((k) => k.index), kbkKcv: 'not read (VsmManager shows it to the operator)', progress: [] as Progress[] };
      },
    });
    return result;
  }

  async restoreImport(opts: RestoreImportOptions): Promise<RestoreResult> {
    if (Buffer.isBuffer(opts.backup)) skipUnsupported(this.device, 'a restore from a backup given as bytes (VsmManager restores from a file or a UKEY)');
    const from = opts.backup as { file?: string; token?: Token };
    if (!from.file && !from.token) throw new Error(`restore import on ${this.device.name}: the backup names neither a file nor a UKEY`);
    const where = from.token ? `backup UKEY: ${from.token.identity.serial}` : `backup file: ${from.file}`;
    const backup = from.token ? { token: from.token } : { file: from.file };
    const p = restoreImport;
    const name = this.device.name;
    const [first, ...rest] = opts.kbk;
    let before: KeyInfo[] = [];
    let result!: RestoreResult;
    await walk(
      this.deps.runner,
      p,
      name,
      {
        open: async () => {
          before = await this.openListingKeys(p, 'open');
        },
        'ukey-window': () => this.ask(p, 'ukey-window', []),
        'choose-kbk-ukey': () => this.ask(p, 'choose-kbk-ukey', [`KBK UKEY: ${first?.identity.serial ?? '(none)'}`]),
        'verify-pin': () => this.ask(p, 'verify-pin', [`KBK UKEY: ${first?.identity.serial ?? '(none)'}`]),
        'choose-second-kbk-ukey': (i) => this.ask(p, 'choose-second-kbk-ukey', [`KBK UKEY: ${rest[i].identity.serial}`]),
        'choose-backup-file': async () => {
          await this.noteTokens(opts.kbk, (i) => `KBK ${i} for restore`, p.id);
          if (from.token) await this.noteTokens([from.token], () => 'backup for restore', p.id);
          await this.ask(p, 'choose-backup-file', [where, `authorize with: ${serials(opts.auth)}`], { procedure: 'restore-import', options: { kbk: opts.kbk, backup, auth: opts.auth }, blanks: [] });
          // What the restore did, as the host protocol shows it: keys new or changed since 'open'.
          const was = new Map(before.map((k) => [k.index, k.kcv]));
          const after = await this.hostKeys();
          const written = after.filter((k) => was.get(k.index) !== k.kcv);
          const replaced = written.filter((k) => was.has(k.index)).map((k) => k.index);
          this.deps.evidence.fact(`${name} restore`, { imported: written.length, replaced, counted: 'keys listed before/after' });
          result = { imported: written.length, replaced, keys: written.map((k) => ({ index: k.index, type: k.type, scheme: k.algorithm, kcv: k.kcv })), progress: [] as Progress[] };
        },
      },
      { times: { 'choose-second-kbk-ukey': rest.length } },
    );
    return result;
  }

  async exportComponents(opts: ExportComponentsOptions): Promise<ExportComponentsResult> {
    const p = exportDmkComponents;
    const name = this.device.name;
    let out!: ExportComponentsResult;
    await walk(this.deps.runner, p, name, {
      open: () => this.ask(p, 'open', []),
      'write-component-ukeys': async () => {
        const blanks = await this.blank(opts.components, 'insert a blank UKEY for an exported DMK component and enter its PIN', (i) => `exported component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
        await this.ask(p, 'write-component-ukeys', [`components: ${opts.components}`, `component UKEYs: ${serials(blanks)}`, `authorize with: ${serials(opts.auth)}`], { procedure: 'export-components', options: opts, blanks });
        // What VsmManager wrote: components 1..n of one device, one on each UKEY named. The order is
        // VsmManager's, not the card's (the console numbers the UKEYs in its list's order, a person
        // may pick them in any order), so the result lists the UKEYs by component number.
        const roles = await Promise.all(blanks.map((t) => t.readRole()));
        const deviceId = roles[0]?.deviceId;
        const byNumber = blanks.map((t, i) => ({ t, r: roles[i] })).sort((x, y) => (x.r?.number ?? 0) - (y.r?.number ?? 0));
        if (!deviceId || byNumber.some(({ r }, i) => r?.role !== 'dmk-component' || r.deviceId !== deviceId || r.number !== i + 1 || r.total !== opts.components)) {
          throw new Error(`operator path: the UKEYs ${serials(blanks)} do not hold components 1..${opts.components} of one device after exporting DMK components on ${name}`);
        }
        const components = byNumber.map(({ t }) => t);
        await this.noteTokens(components, (i) => `exported component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
        const dmkKcv = await this.dmkKcv();
        this.deps.evidence.dmkKcvs.push({ device: name, kcv: dmkKcv, when: 'export DMK components (after VsmManager)' });
        out = { dmkKcv, components };
      },
    });
    return out;
  }
}
