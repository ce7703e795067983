/**
 * The Token interface implemented once over a small backend (find / read / write / destroy
 * objects by kind, PIN calls, SM2): the virtual and PKCS#11 adapters only provide the backend, so
 * both kinds of token check roles, logins, sizes and overwrites identically.
 */
import { DMK_COMPONENT_LENGTH, ERASABLE, LAYOUT, ROLE_OBJECTS } from './layout.ts';
import { checkRole, decodeRole, encodeRole } from './role.ts';
import {
  TokenError,
  type PinStatus,
  type RoleExpectation,
  type RoleRecord,
  type Token,
  type TokenIdentity,
  type TokenObjectKind,
  type TokenObjectSummary,
  type UkeyRole,
} from './token.ts';

/** What an adapter provides. Kinds follow LAYOUT; the backend maps them to its objects. */
export interface TokenBackend {
  readonly identity: TokenIdentity;
  readonly loggedIn: boolean;
  pinStatus(): Promise<PinStatus>;
  login(pin: string): Promise<void>;
  logout(): Promise<void>;
  changePin(oldPin: string, newPin: string): Promise<void>;
  unblockPin(soPin: string, newUserPin: string): Promise<void>;
  /** Whether an object of the kind is present and, when its value may be read, its size. */
  find(kind: TokenObjectKind): Promise<{ size: number | undefined } | undefined>;
  /** Value of a data object, or of the public key (65 bytes); undefined when absent. */
  read(kind: TokenObjectKind): Promise<Buffer | undefined>;
  /** Creates a data object with the kind's label and attributes. */
  write(kind: TokenObjectKind, value: Uint8Array): Promise<void>;
  /** Destroys every object of the kind (none present is fine). */
  destroy(kind: TokenObjectKind): Promise<void>;
  /** Generates (or imports) the SM2 auth key pair; returns the public key 04||X||Y. */
  storeSm2(importKey?: Uint8Array): Promise<Buffer>;
  sm2Sign(message: Uint8Array, userId?: string): Promise<Buffer>;
  close(): Promise<void>;
}

export class LayoutToken implements Token {
  private closed = false;

  constructor(private readonly backend: TokenBackend) {}

  get identity(): TokenIdentity {
    return this.backend.identity;
  }

  get loggedIn(): boolean {
    return !this.closed && this.backend.loggedIn;
  }

  /** How messages name the token: label and serial, never contents. */
  get name(): string {
    return `UKEY "${this.identity.label}" (serial ${this.identity.serial})`;
  }

  private open(): void {
    if (this.closed) throw new TokenError('closed', `${this.name} was closed`);
  }

  private needLogin(what: string): void {
    this.open();
    if (!this.backend.loggedIn) throw new TokenError('not-logged-in', `${what} on ${this.name} needs a user login`);
  }

  async pinStatus(): Promise<PinStatus> {
    this.open();
    return this.backend.pinStatus();
  }

  async login(pin: string): Promise<void> {
    this.open();
    return this.backend.login(pin);
  }

  async logout(): Promise<void> {
    if (!this.closed) await this.backend.logout();
  }

  async changePin(oldPin: string, newPin: string): Promise<void> {
    this.needLogin('changing the PIN');
    return this.backend.changePin(oldPin, newPin);
  }

  async unblockPin(soPin: string, newUserPin: string): Promise<void> {
    this.open();
    return this.backend.unblockPin(soPin, newUserPin);
  }

  async readRole(): Promise<RoleRecord | undefined> {
    this.open();
    const bytes = await this.backend.read('role');
    return bytes === undefined ? undefined : decodeRole(bytes);
  }

  async writeRole(record: RoleRecord): Promise<void> {
    this.needLogin('writing the role record');
    const bytes = encodeRole(record);
    // The role record is replaced, not refused: re-labelling a token is a normal step.
    await this.backend.destroy('role');
    await this.backend.write('role', bytes);
  }

  async expectRole(expected: RoleExpectation): Promise<RoleRecord> {
    return checkRole(await this.readRole(), expected, this.name);
  }

  private async writeNew(kind: TokenObjectKind, value: Uint8Array, what: string): Promise<void> {
    this.needLogin(`writing the ${what}`);
    if (await this.backend.find(kind)) {
      throw new TokenError('exists', `${this.name} already holds a ${what}: erase its role first`);
    }
    await this.backend.write(kind, value);
  }

  private async readExisting(kind: TokenObjectKind, what: string): Promise<Buffer> {
    if (LAYOUT[kind].private) this.needLogin(`reading the ${what}`);
    else this.open();
    const v = await this.backend.read(kind);
    if (v === undefined) throw new TokenError('missing-object', `${this.name} holds no ${what} (object ${LAYOUT[kind].label})`);
    return v;
  }

  async writeDmkComponent(component: Uint8Array): Promise<void> {
    if (component.length !== DMK_COMPONENT_LENGTH) {
      throw new TokenError('device', `a DMK component is ${DMK_COMPONENT_LENGTH} bytes, got ${component.length}`);
    }
    return this.writeNew('dmk-component', component, 'DMK component');
  }

  async readDmkComponent(): Promise<Buffer> {
    const v = await this.readExisting('dmk-component', 'DMK component');
    if (v.length !== DMK_COMPONENT_LENGTH) {
      const n = v.length;
      v.fill(0);
      throw new TokenError('device', `${this.name}: the DMK component object holds ${n} bytes, expected ${DMK_COMPONENT_LENGTH}`);
    }
    return v;
  }

  async writeKbkShare(envelope: Uint8Array): Promise<void> {
    return this.writeNew('kbk-share', envelope, 'KBK share');
  }

  async readKbkShare(): Promise<Buffer> {
    return this.readExisting('kbk-share', 'KBK share');
  }

  private async storeAuthKey(importKey?: Uint8Array): Promise<Buffer> {
    this.needLogin('writing the authorization key');
    if ((await this.backend.find('auth-private-key')) || (await this.backend.find('auth-public-key'))) {
      throw new TokenError('exists', `${this.name} already holds an authorization key: erase its role first`);
    }
    return this.backend.storeSm2(importKey);
  }

  async generateAuthKey(): Promise<Buffer> {
    return this.storeAuthKey();
  }

  async importAuthKey(privateKey: Uint8Array): Promise<Buffer> {
    if (privateKey.length !== 32) throw new TokenError('device', 'an SM2 private key is 32 bytes');
    return this.storeAuthKey(privateKey);
  }

  async readAuthPublicKey(): Promise<Buffer> {
    return this.readExisting('auth-public-key', 'authorization public key');
  }

  async authSign(message: Uint8Array, userId?: string): Promise<Buffer> {
    this.needLogin('signing with the authorization key');
    if (!(await this.backend.find('auth-private-key'))) {
      throw new TokenError('missing-object', `${this.name} holds no authorization key (object ${LAYOUT['auth-private-key'].label})`);
    }
    return this.backend.sm2Sign(message, userId);
  }

  async writeAuthInfo(blob: Uint8Array): Promise<void> {
    return this.writeNew('auth-info', blob, 'auth-info blob');
  }

  async readAuthInfo(): Promise<Buffer> {
    return this.readExisting('auth-info', 'auth-info blob');
  }

  async writeBackup(blob: Uint8Array): Promise<void> {
    return this.writeNew('backup', blob, 'backup blob');
  }

  async readBackup(): Promise<Buffer> {
    return this.readExisting('backup', 'backup blob');
  }

  async listObjects(): Promise<TokenObjectSummary[]> {
    this.open();
    const out: TokenObjectSummary[] = [];
    for (const kind of Object.keys(LAYOUT) as TokenObjectKind[]) {
      const found = await this.backend.find(kind);
      if (found) out.push({ kind, label: LAYOUT[kind].label, size: found.size });
    }
    return out;
  }

  async erase(role?: UkeyRole): Promise<void> {
    this.needLogin('erasing');
    if (role === undefined) {
      for (const kind of ERASABLE) await this.backend.destroy(kind);
      return;
    }
    for (const kind of ROLE_OBJECTS[role]) await this.backend.destroy(kind);
    const record = await this.readRole().catch(() => undefined);
    if (record?.role === role) await this.backend.destroy('role');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }
}
