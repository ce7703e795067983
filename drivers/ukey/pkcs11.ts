/**
 * Tokens over any PKCS#11 module (pkcs11js): the objects of docs/ukey-layout.md as standard
 * PKCS#11 objects, so pkcs11-tool lists them and tokens prepared with pkcs11-tool are readable.
 *
 * SM2: standard PKCS#11 has no SM2 signing mechanism and SoftHSM2 has none, so the auth private key
 * is an EC private key object on the SM2 curve (CKA_EC_PARAMS = OID 1.2.156.10197.1.301), private
 * but NOT sensitive, and the driver signs with the crypto core inside `authSign`, wiping the key
 * straight after. The key is never returned to callers. docs/ukey-layout.md describes the difference.
 *
 * One R/W session per Token, opened at open time and closed (with C_Logout) by close().
 */
import pkcs11js from 'pkcs11js';
import type { Attribute, PKCS11, Template } from 'pkcs11js';
import { sm2Sign, wipe } from '../../crypto/index.ts';
import { sm2PairToStore, toPrivateKey32 } from '../../crypto/index.ts';
import { LayoutToken, type TokenBackend } from './layout-token.ts';
import { APPLICATION, AUTH_KEY_ID, LAYOUT } from './layout.ts';
import { PinCounter, type PinCounterStore } from './pin-counter.ts';
import { Pkcs11Module, ckrName, isCkr, trimField, type LoginHolder } from './pkcs11-module.ts';
import { TokenError, type PinStatus, type Token, type TokenIdentity, type TokenObjectKind } from './token.ts';

/** DER of the SM2 curve OID 1.2.156.10197.1.301 (CKA_EC_PARAMS). */
export const SM2_EC_PARAMS = Buffer.from('06082a811ccf5501822d', 'hex');

export interface Pkcs11TokenOptions {
  /**
   * Who counts wrong PINs: 'token' (the module locks, as vendor tokens do), 'driver' (the
   * driver keeps the counter in `evsm.pin-state`), or 'auto' (default): 'driver' for SoftHSM2,
   * whose PINs never lock, 'token' for everything else.
   */
  pinPolicy?: 'auto' | 'token' | 'driver';
  /** Counter start value under the driver policy (default 6). */
  maxRetries?: number;
}

const CLASS: Record<'data' | 'private-key' | 'public-key', number> = {
  data: pkcs11js.CKO_DATA,
  'private-key': pkcs11js.CKO_PRIVATE_KEY,
  'public-key': pkcs11js.CKO_PUBLIC_KEY,
};

/** EC point as PKCS#11 stores it: a DER OCTET STRING around 04||X||Y. */
function derOctetString(point: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x04, point.length]), point]);
}

/** Accepts the DER-wrapped form (standard) and the raw form (some modules) of CKA_EC_POINT. */
function unwrapEcPoint(v: Buffer): Buffer {
  if (v.length === 67 && v[0] === 0x04 && v[1] === 65) return v.subarray(2);
  return v;
}

/** Translates a PKCS#11 failure into a TokenError; CKR names carry no secrets. */
function failure(what: string, e: unknown): TokenError {
  if (e instanceof TokenError) return e;
  if (isCkr(e, pkcs11js.CKR_USER_NOT_LOGGED_IN)) return new TokenError('not-logged-in', `${what}: needs a user login`);
  if (isCkr(e, pkcs11js.CKR_PIN_LEN_RANGE) || isCkr(e, pkcs11js.CKR_PIN_INVALID)) return new TokenError('pin-invalid', `${what}: the new PIN is refused (${ckrName(e)})`);
  if (isCkr(e, pkcs11js.CKR_PIN_LOCKED)) return new TokenError('pin-locked', `${what}: the PIN is locked`, 0);
  if (isCkr(e, pkcs11js.CKR_DEVICE_MEMORY)) return new TokenError('device', `${what}: the token is full (CKR_DEVICE_MEMORY); a large backup belongs in a file`);
  if (isCkr(e, pkcs11js.CKR_TOKEN_NOT_PRESENT) || isCkr(e, pkcs11js.CKR_DEVICE_REMOVED)) return new TokenError('device', `${what}: the token was removed`);
  return new TokenError('device', `${what}: ${ckrName(e)}`);
}

class Pkcs11Backend implements TokenBackend, LoginHolder {
  readonly identity: TokenIdentity;
  private readonly lib: PKCS11;
  private session: Buffer | undefined;
  private user = false;
  private readonly counter: PinCounter | undefined;

  constructor(
    private readonly module: Pkcs11Module,
    private readonly slot: Buffer,
    private readonly slotId: number,
    opts: Pkcs11TokenOptions,
  ) {
    this.lib = module.lib;
    const info = this.lib.C_GetTokenInfo(slot);
    this.identity = {
      kind: 'pkcs11',
      label: trimField(info.label),
      serial: trimField(info.serialNumber),
      manufacturer: trimField(info.manufacturerID),
      model: trimField(info.model),
      location: `${module.path}#slot ${slotId}`,
    };
    const policy = opts.pinPolicy ?? 'auto';
    const driver = policy === 'driver' || (policy === 'auto' && this.identity.manufacturer.startsWith('SoftHSM'));
    this.session = this.lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    if (driver) this.counter = new PinCounter(this.counterStore(), opts.maxRetries ?? 6);
  }

  private get s(): Buffer {
    if (!this.session) throw new TokenError('closed', 'the PKCS#11 session was closed');
    return this.session;
  }

  private counterStore(): PinCounterStore {
    return {
      load: async () => this.handles('pin-state').map((h) => this.value(h, pkcs11js.CKA_VALUE)),
      save: async (value) => {
        // SoftHSM2 refuses to modify CKA_VALUE of a data object (CKR_ATTRIBUTE_READ_ONLY), so the
        // new copy is written first and the old ones destroyed after: never a moment with none.
        const old = this.handles('pin-state');
        await this.write('pin-state', value);
        for (const h of old) this.lib.C_DestroyObject(this.s, h);
      },
    };
  }

  get loggedIn(): boolean {
    return this.user;
  }

  private tokenFlags(): number {
    return this.lib.C_GetTokenInfo(this.slot).flags;
  }

  async pinStatus(): Promise<PinStatus> {
    if (this.counter) {
      const s = await this.counter.state();
      return {
        retriesLeft: s.retriesLeft,
        maxRetries: s.maxRetries,
        countLow: s.retriesLeft < s.maxRetries,
        finalTry: s.retriesLeft === 1,
        locked: s.retriesLeft === 0,
        enforcedBy: 'driver',
      };
    }
    const f = this.tokenFlags();
    const locked = (f & pkcs11js.CKF_USER_PIN_LOCKED) !== 0;
    const finalTry = (f & pkcs11js.CKF_USER_PIN_FINAL_TRY) !== 0;
    return {
      // PKCS#11 reports flags, not counts: 0 and 1 are the only counts it implies.
      retriesLeft: locked ? 0 : finalTry ? 1 : undefined,
      maxRetries: undefined,
      countLow: (f & pkcs11js.CKF_USER_PIN_COUNT_LOW) !== 0,
      finalTry,
      locked,
      enforcedBy: 'token',
    };
  }

  /** A wrong PIN (login or change): driver counter, or what the token's flags say. */
  private async wrongPin(what: string): Promise<TokenError> {
    if (this.counter) return this.counter.wrongPin(what);
    const st = await this.pinStatus();
    if (st.locked) return new TokenError('pin-locked', `${what}: user PIN incorrect; the user PIN is now locked`, 0);
    return new TokenError('pin-incorrect', `${what}: user PIN incorrect${st.finalTry ? '; one try left' : ''}`, st.retriesLeft);
  }

  loggedOut(): void {
    this.user = false;
  }

  /** C_Logout on the slot: logs out every Token object of this process (login state is shared). */
  private rawLogout(): void {
    try {
      this.lib.C_Logout(this.s);
    } catch (e) {
      if (!isCkr(e, pkcs11js.CKR_USER_NOT_LOGGED_IN)) throw e;
    }
  }

  async login(pin: string): Promise<void> {
    const what = `login to "${this.identity.label}"`;
    if (this.user) return;
    await this.counter?.refuseIfLocked(what);
    // Another Token object on this slot is logged in, so C_Login would answer
    // CKR_USER_ALREADY_LOGGED_IN without looking at this PIN: log out first so it is checked.
    // A good PIN logs the others back in with it; a wrong one leaves them logged out.
    const others = this.module.loginsOn(this.slotId) > 0;
    try {
      if (others) this.rawLogout();
      this.lib.C_Login(this.s, pkcs11js.CKU_USER, pin);
    } catch (e) {
      if (others) this.module.clearLogins(this.slotId);
      if (isCkr(e, pkcs11js.CKR_PIN_INCORRECT)) throw await this.wrongPin(what);
      throw failure(what, e);
    }
    this.user = true;
    this.module.addLogin(this.slotId, this);
    await this.counter?.reset();
  }

  async logout(): Promise<void> {
    if (!this.user) return;
    this.user = false;
    // The others on this slot stay logged in until the last one logs out.
    if (this.module.dropLogin(this.slotId, this) > 0) return;
    try {
      this.lib.C_Logout(this.s);
    } catch (e) {
      if (!isCkr(e, pkcs11js.CKR_USER_NOT_LOGGED_IN)) throw failure('logout', e);
    }
  }

  async changePin(oldPin: string, newPin: string): Promise<void> {
    const what = `changing the PIN of "${this.identity.label}"`;
    try {
      this.lib.C_SetPIN(this.s, oldPin, newPin);
    } catch (e) {
      if (isCkr(e, pkcs11js.CKR_PIN_INCORRECT)) {
        const err = await this.wrongPin(what);
        if (err.code === 'pin-locked') await this.logout();
        throw err;
      }
      throw failure(what, e);
    }
  }

  async unblockPin(soPin: string, newUserPin: string): Promise<void> {
    const what = `unblocking the PIN of "${this.identity.label}"`;
    await this.logout();
    try {
      // An SO login needs no user logged in anywhere in the process on this token.
      if (this.module.loginsOn(this.slotId) > 0) {
        this.rawLogout();
        this.module.clearLogins(this.slotId);
      }
      this.lib.C_Login(this.s, pkcs11js.CKU_SO, soPin);
    } catch (e) {
      if (isCkr(e, pkcs11js.CKR_PIN_INCORRECT)) throw new TokenError('pin-incorrect', `${what}: SO PIN incorrect`);
      throw failure(what, e);
    }
    try {
      this.lib.C_InitPIN(this.s, newUserPin);
    } catch (e) {
      throw failure(what, e);
    } finally {
      try {
        this.lib.C_Logout(this.s);
      } catch {
        /* the SO session ends either way */
      }
    }
    await this.counter?.reset();
  }

  private template(kind: TokenObjectKind): Template {
    const spec = LAYOUT[kind];
    return [
      { type: pkcs11js.CKA_CLASS, value: CLASS[spec.class] },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: spec.label },
    ];
  }

  private handles(kind: TokenObjectKind): Buffer[] {
    const s = this.s;
    this.lib.C_FindObjectsInit(s, this.template(kind));
    try {
      return this.lib.C_FindObjects(s, 16);
    } finally {
      this.lib.C_FindObjectsFinal(s);
    }
  }

  private value(h: Buffer, type: number): Buffer {
    const v = this.lib.C_GetAttributeValue(this.s, h, [{ type }])[0].value;
    return Buffer.from(v);
  }

  async find(kind: TokenObjectKind): Promise<{ size: number | undefined } | undefined> {
    try {
      const h = this.handles(kind)[0];
      if (!h) return undefined;
      if (LAYOUT[kind].class === 'private-key') return { size: undefined };
      const v = (await this.read(kind)) ?? Buffer.alloc(0);
      const size = v.length;
      wipe(v);
      return { size };
    } catch (e) {
      throw failure(`looking for ${LAYOUT[kind].label}`, e);
    }
  }

  async read(kind: TokenObjectKind): Promise<Buffer | undefined> {
    try {
      const h = this.handles(kind)[0];
      if (!h) return undefined;
      if (kind === 'auth-public-key') return unwrapEcPoint(this.value(h, pkcs11js.CKA_EC_POINT));
      return this.value(h, pkcs11js.CKA_VALUE);
    } catch (e) {
      throw failure(`reading ${LAYOUT[kind].label}`, e);
    }
  }

  async write(kind: TokenObjectKind, value: Uint8Array): Promise<void> {
    const spec = LAYOUT[kind];
    const copy = Buffer.from(value);
    const t: Template = [
      ...this.template(kind),
      { type: pkcs11js.CKA_APPLICATION, value: APPLICATION },
      { type: pkcs11js.CKA_PRIVATE, value: spec.private },
      { type: pkcs11js.CKA_MODIFIABLE, value: true },
      { type: pkcs11js.CKA_VALUE, value: copy },
    ];
    try {
      this.lib.C_CreateObject(this.s, t);
    } catch (e) {
      throw failure(`writing ${spec.label}`, e);
    } finally {
      wipe(copy);
    }
  }

  async destroy(kind: TokenObjectKind): Promise<void> {
    try {
      for (const h of this.handles(kind)) this.lib.C_DestroyObject(this.s, h);
    } catch (e) {
      throw failure(`erasing ${LAYOUT[kind].label}`, e);
    }
  }

  async storeSm2(importKey?: Uint8Array): Promise<Buffer> {
    const pair = sm2PairToStore(importKey);
    const label = LAYOUT['auth-private-key'].label;
    const common: Attribute[] = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: Buffer.from(AUTH_KEY_ID, 'hex') },
      { type: pkcs11js.CKA_EC_PARAMS, value: SM2_EC_PARAMS },
    ];
    let priv: Buffer | undefined;
    try {
      priv = this.lib.C_CreateObject(this.s, [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        // Not sensitive: the module cannot sign SM2, the driver must read the key to sign.
        { type: pkcs11js.CKA_SENSITIVE, value: false },
        { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        // Sign only: modules default other usages on (SoftHSM2: decrypt, unwrap).
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
        { type: pkcs11js.CKA_VALUE, value: pair.privateKey },
      ]);
      this.lib.C_CreateObject(this.s, [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: false },
        { type: pkcs11js.CKA_WRAP, value: false },
        { type: pkcs11js.CKA_EC_POINT, value: derOctetString(pair.publicKey) },
      ]);
      return pair.publicKey;
    } catch (e) {
      if (priv) this.lib.C_DestroyObject(this.s, priv);
      throw failure('storing the SM2 authorization key (does the module accept EC keys on the SM2 curve?)', e);
    } finally {
      wipe(pair.privateKey);
    }
  }

  async sm2Sign(message: Uint8Array, userId?: string): Promise<Buffer> {
    const h = this.handles('auth-private-key')[0];
    if (!h) throw new TokenError('missing-object', 'no authorization key');
    let d: Buffer | undefined;
    try {
      // A module may return the scalar without leading zeros.
      const raw = this.value(h, pkcs11js.CKA_VALUE);
      d = toPrivateKey32(raw);
      wipe(raw);
      return sm2Sign(d, message, userId);
    } catch (e) {
      throw failure('signing with the authorization key', e);
    } finally {
      wipe(d);
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    if (!s) return;
    try {
      await this.logout().catch(() => undefined);
      this.lib.C_CloseSession(s);
    } catch {
      /* the token may have been pulled; the session is gone either way */
    } finally {
      this.session = undefined;
      this.module.release();
    }
  }
}

/**
 * Opens the token in `slotId` of the module at `modulePath` (the module is loaded once per
 * process and finalized when its last token closes, or at exit).
 */
export function openPkcs11Token(modulePath: string, slotId: number, opts: Pkcs11TokenOptions = {}): Token {
  const module = Pkcs11Module.load(modulePath);
  try {
    return new LayoutToken(new Pkcs11Backend(module, module.handleOf(slotId), slotId, opts));
  } catch (e) {
    module.release();
    throw failure(`opening slot ${slotId} of ${modulePath}`, e);
  }
}

/** Opens every initialized token of a module (in slot order). */
export function openPkcs11Tokens(modulePath: string, opts: Pkcs11TokenOptions = {}): Token[] {
  const module = Pkcs11Module.load(modulePath);
  try {
    return module
      .slots(true)
      .filter((s) => s.initialized)
      .map((s) => openPkcs11Token(modulePath, s.slotId, opts));
  } finally {
    module.release();
  }
}

/** Finds a token by serial (what USB matching and the pool use); undefined when absent. */
export function findPkcs11Token(modulePath: string, serial: string, opts: Pkcs11TokenOptions = {}): Token | undefined {
  const module = Pkcs11Module.load(modulePath);
  try {
    const slot = module.slots(true).find((s) => s.serial === serial);
    return slot ? openPkcs11Token(modulePath, slot.slotId, opts) : undefined;
  } finally {
    module.release();
  }
}
