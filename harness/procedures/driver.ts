/**
 * One interface for performing the seed procedures on one device, with two implementations:
 *  - `ManagementDriver` (management-driver.ts): the harness plays VsmManager over the device's
 *    management protocol (emulators, a rehearsal, a bench device whose lab entry gives `managementPort`);
 *  - `OperatorDriver` (operator-driver.ts): a person does each step in VsmManager, prompted with the
 *    step's instruction and parameters, and the harness verifies over the host protocol.
 * Both walk the same step data (harness/procedures/<procedure>.ts, through `walk` in runner.ts), so a
 * procedure's sequence is written once. The bench picks the driver once per device
 * (harness/targets/*: `Bench.procedureDriver`). What the procedures take and give back lives here.
 */
import type { Token } from '../../drivers/ukey/index.ts';
import type { ManagerClient, ProgressEvent as Progress, RestoreImportResult } from '../../drivers/evsm/manager/index.ts';
import type { Evidence } from '../evidence/evidence.ts';
import type { KeyInfo } from '../devices/types.ts';
import type { LoginTokenSource } from '../tokens/pool-source.ts';
import type { StepRunner } from './runner.ts';

export type { LoginTokenSource };

/** A device as the procedures see it: a name, its management connection, and host-protocol reads. */
export interface ManagedDevice {
  readonly name: string;
  readonly management: ManagerClient | undefined;
  /** The DMK check value over the host protocol where the target has it (X8 on emulators); undefined where not. */
  dmkKcv?(): Promise<string | undefined>;
  /** The internal keys over the host protocol (the operator driver verifies with it); present on a connected device. */
  listKeys?(): Promise<KeyInfo[]>;
}

/** An m-of-n authorization policy, as the device reports it. */
export interface AuthPolicy {
  m: number;
  n: number;
}

/** The auth tokens of a policy: any `m` of them authorize. */
export interface AuthSet {
  m: number;
  n: number;
  tokens: Token[];
}

export interface OriginalInitOptions {
  components: number;
  threshold: number;
  authTokens: number;
}

export interface RecoveryInitOptions {
  /** Imported in this order (`[c1, c1]` tries one twice). */
  components: Token[];
  /** Sync the authorization from a valid auth token of the first device, or make a new 1-of-1. */
  auth: { sync: Token } | 'new';
  /** The component count entered (default: `components.length`). */
  count?: number;
  /** Needed when the device already has a policy. */
  authorizeWith?: Token[];
  /** Lets a scenario probe the awaiting-auth state (e.g. offer a foreign auth token first). */
  beforeAuth?: () => Promise<void>;
  onImportError?: (e: Error, token: Token) => Promise<'continue' | 'throw'>;
}

export interface BackupExportOptions {
  indices: number[] | 'all';
  auth: Token[];
  to: 'file' | 'token';
  fileName?: string;
}

export interface RestoreImportOptions {
  /** Any 2 of the 3 KBK tokens rebuild the KBK. */
  kbk: Token[];
  backup: { file?: string; token?: Token } | Buffer;
  auth: Token[];
}

export interface ExportComponentsOptions {
  components: number;
  auth: Token[];
}

export interface InitResult {
  deviceId: string;
  dmkKcv: string;
  components: Token[];
  auth: AuthSet;
}

export interface BackupResult {
  /** Backup id written into the KBK tokens' role records. */
  id: string;
  kbk: Token[];
  /** Where the backup is: a file path, or a token. */
  file?: string;
  token?: Token;
  keyCount: number;
  indices: number[];
  kbkKcv: string;
  progress: Progress[];
}

export interface RecoveryResult {
  wipedKeys: number;
  dmkKcv: string;
  /** Present with `auth: 'new'`: B's own 1-of-1 auth token. */
  auth?: AuthSet;
}

export type RestoreResult = RestoreImportResult & { progress: Progress[] };

export interface ExportComponentsResult {
  dmkKcv: string;
  components: Token[];
}

/** The seed procedures on one device. Chosen once per device by the bench. */
export interface ProcedureDriver {
  /** Who performs the device's VsmManager steps: the harness over the management protocol, or a person. */
  readonly how: 'management' | 'operator';
  /** 原始初始化 */
  originalInit(opts: OriginalInitOptions): Promise<InitResult>;
  /** 恢复初始化 */
  recoveryInit(opts: RecoveryInitOptions): Promise<RecoveryResult>;
  /** 导出备份密钥 */
  backupExport(opts: BackupExportOptions): Promise<BackupResult>;
  /** 导入备份密钥 */
  restoreImport(opts: RestoreImportOptions): Promise<RestoreResult>;
  /** 导出 DMK 成份 */
  exportComponents(opts: ExportComponentsOptions): Promise<ExportComponentsResult>;
  /** 获取 DMK 校验值 (the `dmk-kcv.read` step, for this device). */
  dmkKcv(): Promise<string>;
  /** The authorization policy the device holds (设备信息 / device info): any `m` of `n` auth UKEYs authorize. */
  authPolicy(): Promise<AuthPolicy>;
}

/** What a driver needs from the test it runs in. */
export interface ProcedureDeps {
  evidence: Evidence;
  tokens: LoginTokenSource;
  runner: Pick<StepRunner, 'step'>;
  /** Where a test may write files (Playwright's outputPath). */
  outputPath: (name: string) => string;
}

/** A procedure by id with its options: what VsmManager is asked to carry out on an operator's action step. */
export type ProcedureCall =
  | { procedure: 'original-init'; options: OriginalInitOptions }
  | { procedure: 'recovery-init'; options: RecoveryInitOptions }
  | { procedure: 'backup-export'; options: BackupExportOptions }
  | { procedure: 'restore-import'; options: RestoreImportOptions }
  | { procedure: 'export-components'; options: ExportComponentsOptions };

/** The driver method of each procedure id. */
const METHOD = {
  'original-init': 'originalInit',
  'recovery-init': 'recoveryInit',
  'backup-export': 'backupExport',
  'restore-import': 'restoreImport',
  'export-components': 'exportComponents',
} as const satisfies Record<ProcedureCall['procedure'], keyof ProcedureDriver>;

/** Carries `call` out with `driver` (the one place a procedure id maps to a driver method). */
export async function invoke(driver: ProcedureDriver, call: ProcedureCall): Promise<void> {
  const method = driver[METHOD[call.procedure]] as (this: ProcedureDriver, options: ProcedureCall['options']) => Promise<unknown>;
  await method.call(driver, call.options);
}
