/**
 * The one UKEY token interface the harness uses for every kind of token: virtual tokens
 * (virtual-ukey/ via drivers/ukey/virtual.ts), SoftHSM2 tokens and vendor tokens (both via
 * PKCS#11 in drivers/ukey/pkcs11.ts). Scenario and harness code sees only this file.
 *
 * Rules every implementation keeps:
 *  - PINs, DMK components, KBK shares and private keys never appear in errors or logs.
 *  - Reading role records needs no login (they are public objects, so the harness can refuse the
 *    wrong token before asking for a PIN); every other read/write needs a user login.
 *  - Wrong PINs count down a retry counter; at zero the token is locked and refuses every login
 *    until `unblockPin` with the SO PIN. Where a PKCS#11 module does not enforce this itself
 *    (SoftHSM2), the driver enforces it (see docs/ukey.md), so `pinStatus()` reads the same.
 *  - `close()` logs out and closes every session; it is idempotent and safe on every path.
 *
 * Object labels, classes and the role record format: docs/ukey-layout.md.
 */

/** What a token is for. One role per token. */
export type UkeyRole = 'dmk-component' | 'kbk-share' | 'auth' | 'backup';

export const UKEY_ROLES: readonly UkeyRole[] = ['dmk-component', 'kbk-share', 'auth', 'backup'];

/** Factory default user PIN of the domain's UKEYs (seeds: "UKEY PIN 12345678"). */
export const FACTORY_USER_PIN = '12345678';

/**
 * The role record a token carries (public object `evsm.role`). Written by the harness when it
 * writes a role's objects; read before login to check that the operator inserted the right token.
 */
export interface RoleRecord {
  role: UkeyRole;
  /** Device the token belongs to (the device id the EVSM reports). */
  deviceId: string;
  /** Component number (dmk-component), share number (kbk-share) or auth key number (auth), 1-based. */
  number?: number;
  /** How many components / shares / auth keys make the set. */
  total?: number;
  /** Backup id for kbk-share and backup tokens (shares of one backup carry the same id). */
  backupId?: string;
}

/** What the harness expects of a token; every field given must match the role record. */
export interface RoleExpectation {
  role: UkeyRole;
  deviceId?: string;
  number?: number;
  total?: number;
  backupId?: string;
}

/** Identity of a token as the token reports it (PKCS#11 CK_TOKEN_INFO, trimmed). */
export interface TokenIdentity {
  /** 'virtual' (virtual-ukey/) or 'pkcs11' (any module: SoftHSM2, a vendor's library). */
  kind: 'virtual' | 'pkcs11';
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  /** Where it sits: the virtual token's file, or "<module path>#slot <id>". */
  location: string;
}

/** PIN state, reported the same way by every implementation. */
export interface PinStatus {
  /** Wrong user PINs still allowed before lockout; undefined when the token only reports flags. */
  retriesLeft: number | undefined;
  /** Counter start value (after a good login or an unblock); undefined when unknown. */
  maxRetries: number | undefined;
  /** At least one wrong PIN since the last good login. */
  countLow: boolean;
  /** The next wrong PIN locks the token. */
  finalTry: boolean;
  /** User PIN locked: every login is refused until `unblockPin`. */
  locked: boolean;
  /** Who enforces the counter: the token itself, or the driver (for modules that never lock). */
  enforcedBy: 'token' | 'driver';
}

/** Error codes of `TokenError`; messages are one line and never contain secrets. */
export type TokenErrorCode =
  | 'pin-incorrect' // wrong PIN; `retriesLeft` says how many remain when known
  | 'pin-locked' // the user PIN is locked (or the SO PIN, for unblockPin)
  | 'pin-invalid' // new PIN too short/long or otherwise refused
  | 'not-logged-in' // an operation that needs a user login was called without one
  | 'wrong-token' // the role record does not match what was expected
  | 'no-role' // the token carries no role record (blank token)
  | 'missing-object' // the role's object is not on the token
  | 'exists' // writing an object that already exists (erase first)
  | 'closed' // the token was closed
  | 'unsupported' // the token cannot do it (e.g. no SM2 signing)
  | 'timeout' // a TokenSource waited for a token that did not appear
  | 'device'; // anything else the token or module reported

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
    /** For pin-incorrect: wrong PINs still allowed, when known. */
    readonly retriesLeft?: number,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * One UKEY. Obtain one from:
 *  - a virtual token directory: `openVirtualTokens(dir)` / `createVirtualToken(dir, …)` in drivers/ukey/virtual.ts
 *  - a PKCS#11 module: `openPkcs11Token(modulePath, slotId)` / `openPkcs11Tokens(modulePath)` in drivers/ukey/pkcs11.ts
 *  - the SoftHSM2 pool: `SoftHsmPool.create({ count })` in drivers/ukey/softhsm-pool.ts
 *  - a TokenSource (below): operator prompts on the bench, the pool in CI.
 */
export interface Token {
  readonly identity: TokenIdentity;

  /** Current PIN counter and lock state (no login needed). */
  pinStatus(): Promise<PinStatus>;
  /** User login. Throws TokenError 'pin-incorrect' (with retriesLeft) or 'pin-locked'. */
  login(pin: string): Promise<void>;
  logout(): Promise<void>;
  readonly loggedIn: boolean;
  /** Changes the user PIN; a wrong old PIN counts down like a wrong login. */
  changePin(oldPin: string, newPin: string): Promise<void>;
  /** SO login, sets a new user PIN and resets the counter; the only way out of a lockout. */
  unblockPin(soPin: string, newUserPin: string): Promise<void>;

  /** The role record, or undefined on a blank token. No login needed. */
  readRole(): Promise<RoleRecord | undefined>;
  /** Writes (replaces) the role record. Needs login. */
  writeRole(record: RoleRecord): Promise<void>;
  /**
   * Reads the role record and throws TokenError 'wrong-token' / 'no-role' with a clear message
   * ("this is KBK share 2 of backup X, not a DMK component") when it does not match.
   */
  expectRole(expected: RoleExpectation): Promise<RoleRecord>;

  /** DMK component: 16-byte secret. Caller wipes what it reads. */
  writeDmkComponent(component: Uint8Array): Promise<void>;
  readDmkComponent(): Promise<Buffer>;

  /** KBK share: a share envelope (docs/crypto.md), opaque here. */
  writeKbkShare(envelope: Uint8Array): Promise<void>;
  readKbkShare(): Promise<Buffer>;

  /**
   * Authorization key pair (SM2). `generateAuthKey` makes it on the token and returns the
   * 65-byte public key; `importAuthKey` stores one made elsewhere (the caller wipes its copy).
   * There is no way to read the private key back: the token signs (or, on PKCS#11 modules without
   * SM2, the driver signs inside this call; docs/ukey-layout.md).
   */
  generateAuthKey(): Promise<Buffer>;
  importAuthKey(privateKey: Uint8Array): Promise<Buffer>;
  readAuthPublicKey(): Promise<Buffer>;
  /** SM2 signature r||s (64 bytes) over SM3(Z_A || message), user ID default 1234567812345678. */
  authSign(message: Uint8Array, userId?: string): Promise<Buffer>;

  /** Auth-info blob: opaque bytes the device produces. */
  writeAuthInfo(blob: Uint8Array): Promise<void>;
  readAuthInfo(): Promise<Buffer>;

  /** Backup blob: opaque bytes, may be large (a 1,000-key backup is ~100 KB). */
  writeBackup(blob: Uint8Array): Promise<void>;
  readBackup(): Promise<Buffer>;

  /** Which role objects are present (no values), e.g. for a listing. Needs login for private ones. */
  listObjects(): Promise<TokenObjectSummary[]>;
  /**
   * Removes the objects of a role (and the role record when it names that role); with no role,
   * removes every evsm object on the token. Needs login.
   */
  erase(role?: UkeyRole): Promise<void>;

  /** Logs out, closes sessions. Idempotent. */
  close(): Promise<void>;
}

/** Kinds of objects the harness writes (labels in docs/ukey-layout.md). */
export type TokenObjectKind =
  | 'role'
  | 'dmk-component'
  | 'kbk-share'
  | 'auth-private-key'
  | 'auth-public-key'
  | 'auth-info'
  | 'backup'
  | 'pin-state';

export interface TokenObjectSummary {
  kind: TokenObjectKind;
  label: string;
  /** Size of the value in bytes when readable without revealing it; undefined otherwise. */
  size: number | undefined;
}

/** A request to get a token into the operator's hands (bench) or from the pool (CI). */
export interface TokenRequest {
  /** The operator's instruction, e.g. "insert KBK UKEY 2 of 3 and enter its PIN". */
  instruction: string;
  /** The role record the token must carry; omit when a blank token is wanted (`blank: true`). */
  expect?: RoleExpectation;
  /** A token with no role record (to be written). */
  blank?: boolean;
  /** Log in with the user PIN before returning (default true). */
  login?: boolean;
  /** How long to wait for the token to appear (default 120 s on the bench). */
  timeoutMs?: number;
}

/**
 * Answers TokenRequests. The bench implementation prompts the operator and waits for the token
 * (drivers/ukey/prompt.ts); the CI implementation answers from the token pool. Scenario code
 * calls `acquire` the same way on every target. The PIN never passes through scenario code.
 */
export interface TokenSource {
  acquire(request: TokenRequest): Promise<Token>;
  /** Tells the operator the token may be removed (no-op in CI) and closes it. */
  release(token: Token): Promise<void>;
  /** Closes everything the source opened. */
  close(): Promise<void>;
}
