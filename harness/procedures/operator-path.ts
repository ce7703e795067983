/**
 * The operator path: the seed procedures on a bench device without a management port. Every
 * step still runs as a `test.step` titled with its id; inside it the step (id, zh/en instruction
 * and its concrete parameters) goes to the VsmManager operator and the harness waits for the
 * confirmation. The harness then verifies, automatically, what VsmManager did: role records on
 * the UKEYs it named, the DMK check value over the host protocol (X8), the keys and their KCVs
 * (X4). Options this path cannot honestly carry out skip with a one-line reason.
 */
import { test } from '@playwright/test';
import type { Token } from '../../drivers/ukey/token.ts';
import { ManagementError, type ManagementErrorCode, type ProgressEvent as Progress, type RestoreImportResult } from '../../drivers/evsm/manager/index.ts';
import type { KeyInfo } from '../devices/types.ts';
import type { ManagerAction } from '../operator/vsm-manager.ts';
import { serials } from '../operator/vsm-manager.ts';
import type { BackupResult, InitResult, ManagedDevice, ProcedureDeps, RecoveryResult } from './results.ts';
import { backupExport, originalInit, recoveryInit, restoreImport } from './index.ts';
import { stepOf, type Procedure } from './types.ts';

type Blank = (n: number, instruction: string, as: (i: number) => string, step: string) => Promise<Token[]>;

/** One line: what the operator path cannot do for `device`, and why. */
function skipUnsupported(device: ManagedDevice, what: string): never {
  test.skip(true, `hardware: device ${device.name} has no managementPort; ${what} is not on the operator path (the harness cannot see it over the host protocol; see docs/lab-file.md)`);
  throw new Error('unreachable: test.skip throws');
}

export class OperatorPath {
  constructor(
    private readonly deps: ProcedureDeps,
    private readonly blank: Blank,
  ) {}

  /** Runs `proc.short` as a test.step that shows the step to the operator and waits. */
  private async prompt<T>(proc: Procedure, short: string, device: ManagedDevice, params: string[], action?: ManagerAction, verify?: () => Promise<T>): Promise<T | undefined> {
    const step = stepOf(proc, short);
    return this.deps.runner.step(proc, short, device.name, async () => {
      const outcome = await this.deps.vsmManager!.perform({ step, device: device.name, params, ...(action ? { action } : {}) });
      if (outcome.refused) {
        this.deps.evidence.fact(`${device.name} ${step.id} refused (reported by the operator)`, outcome.refused.code);
        // The operator's code is the one VsmManager shows (docs/management-protocol.md error codes).
        throw new ManagementError(outcome.refused.code as ManagementErrorCode, step.id, outcome.refused.message);
      }
      return verify?.();
    });
  }

  /**
   * The DMK check value after VsmManager's step: over the host protocol where the device has the
   * X8 extension (emulators), else as VsmManager shows it (a real SJJ1310 has no host command for it).
   */
  async hostDmkKcv(device: ManagedDevice): Promise<string> {
    const kcv = device.dmkKcv ? await device.dmkKcv() : undefined;
    if (kcv) return kcv;
    return this.deps.vsmManager!.readDmkKcv(device.name);
  }

  private async hostKeys(device: ManagedDevice): Promise<KeyInfo[]> {
    if (!device.listKeys) throw new Error(`operator path: device ${device.name} has no host connection to list keys`);
    return device.listKeys();
  }

  private async noteTokens(tokens: Token[], as: (i: number) => string, step: string): Promise<void> {
    for (const [i, t] of tokens.entries()) {
      const role = await t.readRole();
      this.deps.evidence.token({ serial: t.identity.serial, label: t.identity.label, role: role?.role ?? 'blank', as: as(i + 1), step });
    }
  }

  async originalInit(device: ManagedDevice, opts: { components: number; threshold: number; authTokens: number }): Promise<InitResult> {
    const p = originalInit;
    await this.prompt(p, 'open', device, []);
    const components = (await this.deps.runner.step(p, 'write-component-ukeys', device.name, async () => {
      const ts = await this.blank(opts.components, 'insert a blank UKEY for a DMK component and enter its PIN', (i) => `component ${i}/${opts.components}`, `${p.id}.write-component-ukeys`);
      await this.deps.vsmManager!.perform({ step: stepOf(p, 'write-component-ukeys'), device: device.name, params: [`components: ${opts.components}`, `component UKEYs: ${serials(ts)}`] });
      return ts;
    }))!;
    await this.prompt(p, 'choose-auth-policy', device, [`authorization policy: ${opts.threshold}-of-${opts.authTokens}`]);
    const auth = (await this.deps.runner.step(p, 'write-auth-ukeys', device.name, async () => {
      const ts = await this.blank(opts.authTokens, 'insert a blank UKEY for an authorization key and enter its PIN', (i) => `auth ${i}/${opts.authTokens}`, `${p.id}.write-auth-ukeys`);
      await this.deps.vsmManager!.perform({ step: stepOf(p, 'write-auth-ukeys'), device: device.name, params: [`authorization UKEYs: ${serials(ts)}`] });
      return ts;
    }))!;
    const action: ManagerAction = { kind: 'original-init', components, threshold: opts.threshold, authTokens: auth };
    return (await this.prompt(p, 'done', device, [`component UKEYs: ${serials(components)}`, `authorization UKEYs: ${serials(auth)}`], action, async () => {
      // What VsmManager did, read back: the role records it wrote, and X8 over the host protocol.
      const roles = await Promise.all(components.map((t) => t.readRole()));
      const deviceId = roles[0]?.deviceId;
      if (!deviceId || roles.some((r) => r?.role !== 'dmk-component' || r.deviceId !== deviceId)) {
        throw new Error(`operator path: the component UKEYs ${serials(components)} do not all hold a DMK component of one device after original init on ${device.name}`);
      }
      const dmkKcv = await this.hostDmkKcv(device);
      this.deps.evidence.dmkKcvs.push({ device: device.name, kcv: dmkKcv, when: 'original init (after VsmManager)' });
      return { deviceId, dmkKcv, components, auth: { m: opts.threshold, n: opts.authTokens, tokens: auth } };
    }))!;
  }

  async recoveryInit(device: ManagedDevice, opts: { components: Token[]; auth: { sync: Token } | 'new'; count?: number; authorizeWith?: Token[]; beforeAuth?: () => Promise<void>; onImportError?: unknown }): Promise<RecoveryResult> {
    const extra = (['count', 'authorizeWith', 'beforeAuth', 'onImportError'] as const).filter((k) => opts[k] !== undefined);
    if (opts.auth === 'new') skipUnsupported(device, 'recovery init with new 1-of-1 auth tokens (VsmManager keeps the new auth public key; the harness cannot check it)');
    if (extra.length) skipUnsupported(device, `recovery init with ${extra.join(', ')} (a per-import result or the awaiting-auth state)`);
    const sync = (opts.auth as { sync: Token }).sync;
    const p = recoveryInit;
    const n = opts.components.length;
    const before = await this.prompt(p, 'open', device, [], undefined, () => this.hostKeys(device));
    await this.prompt(p, 'confirm-wipe', device, [`internal keys to be wiped (X4): ${before!.length}`]);
    await this.prompt(p, 'enter-component-count', device, [`components: ${n}`]);
    for (const [i, t] of opts.components.entries()) {
      await this.prompt(p, 'import-component', device, [`component UKEY ${i + 1} of ${n}: ${t.identity.serial}`]);
      await this.noteTokens([t], () => `component import ${i + 1}`, `${p.id}.import-component`);
    }
    await this.prompt(p, 'combine-dmk', device, []);
    const action: ManagerAction = { kind: 'recovery-init', components: opts.components, syncAuthFrom: sync };
    return (await this.prompt(p, 'sync-auth', device, [`authorization UKEY of the first device: ${sync.identity.serial}`, `components imported in order: ${serials(opts.components)}`], action, async () => {
      await this.noteTokens([sync], () => 'auth sync source', `${p.id}.sync-auth`);
      const dmkKcv = await this.hostDmkKcv(device);
      const after = await this.hostKeys(device);
      this.deps.evidence.dmkKcvs.push({ device: device.name, kcv: dmkKcv, when: 'recovery init (after VsmManager)' });
      this.deps.evidence.fact(`${device.name} recovery init wiped (X4 before/after)`, { before: before!.length, after: after.length });
      return { wipedKeys: before!.length - after.length, dmkKcv };
    }))!;
  }

  async backupExport(device: ManagedDevice, opts: { indices: number[] | 'all'; auth: Token[]; to: 'file' | 'token'; fileName?: string }): Promise<BackupResult> {
    if (opts.to === 'token') skipUnsupported(device, 'a backup kept inside a token');
    const p = backupExport;
    const chosen = opts.indices === 'all' ? 'all keys' : opts.indices.join(', ');
    await this.prompt(p, 'open', device, []);
    await this.prompt(p, 'choose-keys', device, [`keys: ${chosen}`], undefined, async () => this.deps.evidence.fact(`${device.name} backup selection`, opts.indices === 'all' ? 'all keys' : opts.indices));
    const kbk = (await this.deps.runner.step(p, 'choose-blank-ukeys', device.name, async () => {
      const ts = await this.blank(3, 'insert a blank UKEY for a KBK share and enter its PIN', (i) => `KBK ${i}/3`, `${p.id}.choose-blank-ukeys`);
      await this.deps.vsmManager!.perform({ step: stepOf(p, 'choose-blank-ukeys'), device: device.name, params: [`KBK UKEYs: ${serials(ts)}`] });
      return ts;
    }))!;
    await this.prompt(p, 'enter-pin', device, [`KBK UKEYs: ${serials(kbk)}`]);
    await this.prompt(p, 'write-kbk-ukeys', device, [`KBK UKEYs: ${serials(kbk)}`, `authorize with: ${serials(opts.auth)}`]);
    const file = this.deps.outputPath(opts.fileName ?? `backup-${device.name}.evbk`);
    await this.prompt(p, 'choose-file', device, [`backup file: ${file}`]);
    const action: ManagerAction = { kind: 'backup-export', indices: opts.indices, kbk, auth: opts.auth, file };
    await this.prompt(p, 'export', device, [`keys: ${chosen}`, `backup file: ${file}`], action);
    return (await this.prompt(p, 'result', device, [], undefined, async () => {
      const roles = await Promise.all(kbk.map((t) => t.readRole()));
      const id = roles[0]?.backupId;
      if (!id || roles.some((r) => r?.role !== 'kbk-share' || r.backupId !== id)) throw new Error(`operator path: the KBK UKEYs ${serials(kbk)} do not all hold a share of one backup after backup export on ${device.name}`);
      // The keys the backup covers, as the device lists them over the host protocol (X4).
      const keys = (await this.hostKeys(device)).filter((k) => opts.indices === 'all' || opts.indices.includes(k.index));
      const indices = keys.map((k) => k.index);
      this.deps.evidence.fact(`${device.name} backup`, { id, keyCount: keys.length, to: 'file', counted: 'X4 on the source device' });
      return { id, kbk, file, keyCount: keys.length, indices, kbkKcv: 'not read (VsmManager shows it to the operator)', progress: [] as Progress[] };
    }))!;
  }

  async restoreImport(device: ManagedDevice, opts: { kbk: Token[]; backup: { file?: string; token?: Token } | Buffer; auth: Token[] }): Promise<RestoreImportResult & { progress: Progress[] }> {
    if (Buffer.isBuffer(opts.backup) || !opts.backup.file) skipUnsupported(device, 'a restore from a backup given as bytes or kept inside a token');
    const file = (opts.backup as { file: string }).file;
    const p = restoreImport;
    const before = await this.prompt(p, 'open', device, [], undefined, () => this.hostKeys(device));
    await this.prompt(p, 'ukey-window', device, []);
    const [first, ...rest] = opts.kbk;
    await this.prompt(p, 'choose-kbk-ukey', device, [`KBK UKEY: ${first?.identity.serial ?? '(none)'}`]);
    await this.prompt(p, 'verify-pin', device, [`KBK UKEY: ${first?.identity.serial ?? '(none)'}`]);
    for (const t of rest) await this.prompt(p, 'choose-second-kbk-ukey', device, [`KBK UKEY: ${t.identity.serial}`]);
    await this.noteTokens(opts.kbk, (i) => `KBK ${i} for restore`, p.id);
    const action: ManagerAction = { kind: 'restore-import', kbk: opts.kbk, file, auth: opts.auth };
    return (await this.prompt(p, 'choose-backup-file', device, [`backup file: ${file}`, `authorize with: ${serials(opts.auth)}`], action, async () => {
      // What the restore did, as the host protocol shows it: keys new or changed since 'open'.
      const was = new Map(before!.map((k) => [k.index, k.kcv]));
      const after = await this.hostKeys(device);
      const written = after.filter((k) => was.get(k.index) !== k.kcv);
      const replaced = written.filter((k) => was.has(k.index)).map((k) => k.index);
      this.deps.evidence.fact(`${device.name} restore`, { imported: written.length, replaced, counted: 'X4 before/after' });
      return { imported: written.length, replaced, keys: written.map((k) => ({ index: k.index, type: k.type, scheme: k.algorithm, kcv: k.kcv })), progress: [] as Progress[] };
    }))!;
  }
}
