/**
 * The seed procedures as scenarios call them (`procedures.originalInit(evsmA, …)`): each call goes
 * to the device's procedure driver (driver.ts), which the bench picks once per device — the
 * management driver, or the operator driver on a bench device without a management port. Every
 * step of the data in harness/procedures/*.ts runs as a `test.step` titled with its id.
 */
import type { Token } from '../../drivers/ukey/index.ts';
import type { Authorization } from '../../drivers/evsm/manager/index.ts';
import type { AuthPolicy, BackupExportOptions, BackupResult, ExportComponentsOptions, ExportComponentsResult, InitResult, ManagedDevice, OriginalInitOptions, ProcedureDeps, ProcedureDriver, RecoveryInitOptions, RecoveryResult, RestoreImportOptions, RestoreResult } from './driver.ts';
import { getDmkKcv } from './index.ts';
import { authorize } from './management-driver.ts';
import { walk } from './runner.ts';

export type * from './driver.ts';

/** The bench's choice of driver for a device (harness/targets/bench.ts `Bench.procedureDriver`). */
export type DriverChoice = (device: ManagedDevice, deps: ProcedureDeps) => ProcedureDriver;

export class Procedures {
  private readonly drivers = new Map<string, ProcedureDriver>();

  constructor(
    private readonly deps: ProcedureDeps,
    private readonly choose: DriverChoice,
  ) {}

  /** The device's driver, chosen on first use and kept for the test. */
  driver(device: ManagedDevice): ProcedureDriver {
    let d = this.drivers.get(device.name);
    if (!d) this.drivers.set(device.name, (d = this.choose(device, this.deps)));
    return d;
  }

  /** m signatures from the auth set over a fresh challenge for `op` on `device` (management protocol only; skips without it). */
  authorize(device: ManagedDevice, op: string, auth: Token[]): Promise<Authorization> {
    return authorize(this.deps, device, op, auth);
  }

  /** 原始初始化: n component UKEYs, an m-of-N authorization set. */
  originalInit(device: ManagedDevice, opts: OriginalInitOptions): Promise<InitResult> {
    return this.driver(device).originalInit(opts);
  }

  /** 恢复初始化: wipe, import the components in the order given, combine, sync auth or make a new 1-of-1. */
  recoveryInit(device: ManagedDevice, opts: RecoveryInitOptions): Promise<RecoveryResult> {
    return this.driver(device).recoveryInit(opts);
  }

  /** 导出 DMK 成份 to n new component tokens. */
  exportComponents(device: ManagedDevice, opts: ExportComponentsOptions): Promise<ExportComponentsResult> {
    return this.driver(device).exportComponents(opts);
  }

  /** 导出备份密钥: 3 KBK tokens and a backup file (or token). */
  backupExport(device: ManagedDevice, opts: BackupExportOptions): Promise<BackupResult> {
    return this.driver(device).backupExport(opts);
  }

  /** 导入备份密钥 with two KBK tokens (any 2 of 3) and the backup. */
  restoreImport(device: ManagedDevice, opts: RestoreImportOptions): Promise<RestoreResult> {
    return this.driver(device).restoreImport(opts);
  }

  /** The authorization policy of `device` (设备信息 / device info), m-of-n; recorded as a fact. */
  async authPolicy(device: ManagedDevice): Promise<AuthPolicy> {
    const policy = await this.driver(device).authPolicy();
    this.deps.evidence.fact(`${device.name} authorization policy (read back)`, `${policy.m}-of-${policy.n}`);
    return policy;
  }

  /** 获取 DMK 校验值 on each device (each through its own driver), compared. */
  async dmkKcvs(devices: ManagedDevice[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const names = devices.map((d) => d.name).join(',');
    await walk(this.deps.runner, getDmkKcv, names, {
      read: async () => {
        for (const d of devices) out[d.name] = await this.driver(d).dmkKcv();
      },
      compare: async () => {
        for (const [name, kcv] of Object.entries(out)) this.deps.evidence.dmkKcvs.push({ device: name, kcv, when: 'get DMK check value' });
      },
    });
    return out;
  }
}
