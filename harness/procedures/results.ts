/**
 * What the performed procedures take and give back, shared by both ways of performing them:
 * over the management protocol (perform.ts) and through the operator (operator-path.ts). Kept
 * apart so that neither of those two files has to import the other for its types.
 */
import type { Token, TokenSource } from '../../drivers/ukey/token.ts';
import type { ManagerClient, ProgressEvent as Progress } from '../../drivers/evsm/manager/index.ts';
import type { Evidence } from '../evidence/evidence.ts';
import type { KeyInfo } from '../devices/types.ts';
import type { VsmManagerOperator } from '../operator/vsm-manager.ts';
import type { StepRunner } from './runner.ts';

/** A device as the procedures see it: a name and its management connection. */
export interface ManagedDevice {
  readonly name: string;
  readonly management: ManagerClient | undefined;
  /** Host protocol X8 (the operator path verifies with it); present on a connected device. */
  dmkKcv?(): Promise<string | undefined>;
  /** Host protocol X4 (the operator path verifies with it); present on a connected device. */
  listKeys?(): Promise<KeyInfo[]>;
}

/** The auth tokens of a policy: any `m` of them authorize. */
export interface AuthSet {
  m: number;
  n: number;
  tokens: Token[];
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

export interface ProcedureDeps {
  evidence: Evidence;
  tokens: TokenSource;
  runner: Pick<StepRunner, 'step'>;
  /** A bench device without a management port: VsmManager steps go to the operator. */
  vsmManager?: VsmManagerOperator;
  /** Where a test may write files (Playwright's outputPath). */
  outputPath: (name: string) => string;
}
