/**
 * Parameters and results of the management operations (docs/management-protocol.md 5).
 * Binary values are upper-case hex strings, as on the wire.
 */
export type Hex = string;

export type DeviceState = 'factory' | 'recovering' | 'awaiting-auth' | 'initialized';

export interface DeviceInfo {
  deviceId: string;
  name: string;
  model: string;
  firmware: string;
  state: DeviceState;
  devicePublicKey: Hex;
  dmkKcv: string | null;
  auth: { m: number; n: number } | null;
  keyCount: number;
  recovery: { imported: number; of: number } | null;
}

export interface Challenge {
  challenge: Hex;
  expiresInMs: number;
}

export interface Authorization {
  challenge: Hex;
  signatures: Array<{ publicKey: Hex; signature: Hex }>;
}

/** Where results are encrypted to: one key per item, or one key for all. */
export type Recipients = { recipientPublicKeys: Hex[] } | { recipientPublicKey: Hex };

export interface SealedComponent {
  number: number;
  /** the 16-byte component, SM2-encrypted to its recipient key */
  encrypted: Hex;
  /** KCV (16H) of the component */
  kcv: string;
}

export type OriginalInitParams = { components: number; threshold: number; authPublicKeys: Hex[] } & Recipients;
export interface OriginalInitResult {
  dmkKcv: string;
  components: SealedComponent[];
  authInfo: Hex;
  state: DeviceState;
}

export interface RecoveryBeginParams {
  components: number;
  confirmWipe: true;
  /** needed when the device currently has an authorization policy */
  authorization?: Authorization;
}
export interface RecoveryBeginResult {
  wipedKeys: number;
  devicePublicKey: Hex;
  state: 'recovering';
}

export interface ImportComponentResult {
  imported: number;
  of: number;
  kcv: string;
}

export interface CombineResult {
  dmkKcv: string;
  wipedKeys: number;
  state: DeviceState;
}

export interface SyncAuthResult {
  m: number;
  n: number;
  state: DeviceState;
}

export interface NewAuthResult {
  authInfo: Hex;
  m: 1;
  n: 1;
  state: DeviceState;
}

export type ExportDmkComponentsParams = { components: number; authorization: Authorization } & Recipients;
export interface ExportDmkComponentsResult {
  dmkKcv: string;
  components: SealedComponent[];
}

export type BackupExportParams = { indices?: number[]; authorization: Authorization } & Recipients;
export interface BackupExportResult {
  /** the backup file bytes */
  backup: Hex;
  /** 3 KBK share envelopes, each SM2-encrypted to its recipient; any 2 restore */
  shares: Array<{ number: number; encrypted: Hex }>;
  kbkKcv: string;
  keyCount: number;
  indices: number[];
}

export interface RestoreImportParams {
  /** share envelopes, each SM2-encrypted to the target device's public key */
  shares: Hex[];
  backup: Hex;
  authorization: Authorization;
}
export interface RestoreImportResult {
  imported: number;
  replaced: number[];
  keys: Array<{ index: number; type: string; scheme: string; kcv: string }>;
}

export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
}

/** The refusal codes of docs/management-protocol.md 7. */
export type ManagementErrorCode =
  | 'BAD_REQUEST'
  | 'UNKNOWN_OP'
  | 'ALREADY_INITIALIZED'
  | 'NOT_INITIALIZED'
  | 'WRONG_STATE'
  | 'CONFIRM_REQUIRED'
  | 'BAD_POLICY'
  | 'BAD_PUBLIC_KEY'
  | 'BAD_CIPHERTEXT'
  | 'BAD_COMPONENT'
  | 'DUPLICATE_COMPONENT'
  | 'COMPONENT_COUNT'
  | 'AUTH_REQUIRED'
  | 'AUTH_CHALLENGE'
  | 'AUTH_INSUFFICIENT'
  | 'AUTH_INFO_INVALID'
  | 'AUTH_INFO_MAC'
  | 'NO_KEYS'
  | 'NO_SUCH_KEY'
  | 'KBK_SHARES'
  | 'BACKUP_INVALID'
  | 'BACKUP_MAC'
  | 'INTERNAL';
