/**
 * A virtual UKEY device: one token with PKCS#11-like objects, a user PIN and an SO PIN with retry
 * counters and lockout, and an SM2 engine (the virtual token can sign, so its private keys are
 * sensitive and never leave it). State lives in one JSON file, replaced crash-safely on every
 * change, including each wrong PIN, so a lockout survives a restart as on a real token.
 *
 * Semantics follow PKCS#11 tokens: a wrong PIN decrements the counter, a good login resets it,
 * at zero the PIN is locked; only the SO (C_InitPIN after an SO login) unblocks the user PIN.
 * Login state is per open handle (like a session) and is not persisted.
 *
 * Pure TypeScript over the crypto core; knows nothing of drivers/, harness/ or emulators/.
 *
 * Why a module of its own (not under emulators/): a virtual UKEY is a file, and whoever opens the
 * file does what the token's firmware would (check the PIN, count down, sign inside). The UKEY
 * driver (drivers/ukey/virtual.ts) reads and writes that documented format (docs/ukey-layout.md,
 * "Virtual token files") through this module, as it reaches SoftHSM2 through its library; no
 * driver imports an emulator.
 */
import { readFile } from 'node:fs/promises';
import { constantTimeEqual, hmacSm3, randomBytes, sm2PairToStore, sm2Sign, wipe } from '../crypto/index.ts';
import { writeFileAtomic } from './persist.ts';

export type ObjectClass = 'data' | 'secret-key' | 'private-key' | 'public-key';
export type UserType = 'user' | 'so';

/** PKCS#11-like attributes of an object (value held separately). */
export interface ObjectAttributes {
  class: ObjectClass;
  label: string;
  /** CKA_APPLICATION of data objects. */
  application?: string;
  /** CKA_ID, hex. */
  id?: string;
  /** CKA_KEY_TYPE for keys, e.g. 'SM2', 'GENERIC_SECRET'. */
  keyType?: string;
  /** CKA_PRIVATE: readable only after a user login. */
  private: boolean;
  /** CKA_SENSITIVE: the value never leaves the device. */
  sensitive: boolean;
  /** CKA_EXTRACTABLE. */
  extractable: boolean;
}

export interface DeviceObject {
  handle: number;
  attributes: ObjectAttributes;
  size: number;
}

export type DeviceErrorCode =
  | 'pin-incorrect'
  | 'pin-locked'
  | 'pin-len-range'
  | 'user-not-logged-in'
  | 'user-already-logged-in'
  | 'attribute-sensitive'
  | 'object-handle-invalid'
  | 'key-type-inconsistent'
  | 'token-not-found';

/** Device errors in the spirit of CKR_* codes; messages never carry PINs or values. */
export class DeviceError extends Error {
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
    /** For PIN errors: wrong PINs still allowed. */
    readonly retriesLeft?: number,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

interface PinRecord {
  salt: string;
  mac: string;
  retriesLeft: number;
}

interface StoredObject {
  handle: number;
  attributes: ObjectAttributes;
  value: string; // base64
}

interface DeviceState {
  format: 'evsm-lab/virtual-ukey@1';
  label: string;
  serial: string;
  maxRetries: number;
  user: PinRecord;
  so: PinRecord;
  nextHandle: number;
  objects: StoredObject[];
}

export interface TokenInfo {
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  maxRetries: number;
  userRetriesLeft: number;
  userLocked: boolean;
  soRetriesLeft: number;
  soLocked: boolean;
}

export interface CreateOptions {
  label: string;
  serial?: string;
  userPin: string;
  soPin: string;
  /** Wrong PINs allowed before lockout (default 6). */
  maxRetries?: number;
}

export const MIN_PIN = 4;
export const MAX_PIN = 64;

function checkPinLength(pin: string): void {
  if (pin.length < MIN_PIN || pin.length > MAX_PIN) throw new DeviceError('pin-len-range', `PIN length must be ${MIN_PIN}..${MAX_PIN} characters`);
}

function pinRecord(pin: string, retries: number): PinRecord {
  checkPinLength(pin);
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), mac: pinMac(salt, pin).toString('hex'), retriesLeft: retries };
}

function pinMac(salt: Uint8Array, pin: string): Buffer {
  return hmacSm3(salt, Buffer.from(pin, 'utf8'));
}

export class VirtualUkeyDevice {
  private loggedInAs: UserType | undefined;

  private constructor(
    readonly file: string,
    private state: DeviceState,
  ) {}

  /** Makes a new token file; refuses to overwrite one. */
  static async create(file: string, opts: CreateOptions): Promise<VirtualUkeyDevice> {
    const maxRetries = opts.maxRetries ?? 6;
    const state: DeviceState = {
      format: 'evsm-lab/virtual-ukey@1',
      label: opts.label,
      serial: opts.serial ?? randomBytes(8).toString('hex').toUpperCase(),
      maxRetries,
      user: pinRecord(opts.userPin, maxRetries),
      so: pinRecord(opts.soPin, maxRetries),
      nextHandle: 1,
      objects: [],
    };
    const exists = await readFile(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new Error(`virtual UKEY ${file} already exists`);
    const dev = new VirtualUkeyDevice(file, state);
    await dev.save();
    return dev;
  }

  static async open(file: string): Promise<VirtualUkeyDevice> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new DeviceError('token-not-found', `virtual UKEY ${file} not found`);
    }
    const state = JSON.parse(text) as DeviceState;
    if (state.format !== 'evsm-lab/virtual-ukey@1') throw new Error(`${file} is not a virtual UKEY (format ${String(state.format)})`);
    return new VirtualUkeyDevice(file, state);
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.file, Buffer.from(JSON.stringify(this.state)));
  }

  /** Re-reads the file so counters changed by another handle (or process) are seen. */
  private async reload(): Promise<void> {
    const fresh = await VirtualUkeyDevice.open(this.file);
    this.state = fresh.state;
  }

  info(): TokenInfo {
    const s = this.state;
    return {
      label: s.label,
      serial: s.serial,
      manufacturer: 'evsm-lab',
      model: 'virtual UKEY',
      maxRetries: s.maxRetries,
      userRetriesLeft: s.user.retriesLeft,
      userLocked: s.user.retriesLeft === 0,
      soRetriesLeft: s.so.retriesLeft,
      soLocked: s.so.retriesLeft === 0,
    };
  }

  async refreshInfo(): Promise<TokenInfo> {
    await this.reload();
    return this.info();
  }

  get loggedIn(): UserType | undefined {
    return this.loggedInAs;
  }

  async login(who: UserType, pin: string): Promise<void> {
    if (this.loggedInAs !== undefined) throw new DeviceError('user-already-logged-in', `already logged in as ${this.loggedInAs}`);
    await this.reload();
    const rec = who === 'user' ? this.state.user : this.state.so;
    const name = who === 'user' ? 'user PIN' : 'SO PIN';
    if (rec.retriesLeft <= 0) throw new DeviceError('pin-locked', `${name} is locked`, 0);
    const ok = constantTimeEqual(pinMac(Buffer.from(rec.salt, 'hex'), pin), Buffer.from(rec.mac, 'hex'));
    if (!ok) {
      rec.retriesLeft -= 1;
      await this.save();
      if (rec.retriesLeft === 0) throw new DeviceError('pin-locked', `${name} incorrect; the ${name} is now locked`, 0);
      throw new DeviceError('pin-incorrect', `${name} incorrect; ${rec.retriesLeft} tries left`, rec.retriesLeft);
    }
    if (rec.retriesLeft !== this.state.maxRetries) {
      rec.retriesLeft = this.state.maxRetries;
      await this.save();
    }
    this.loggedInAs = who;
  }

  logout(): void {
    this.loggedInAs = undefined;
  }

  /** C_SetPIN for the logged-in user; a wrong old PIN counts down like a wrong login. */
  async setPin(oldPin: string, newPin: string): Promise<void> {
    if (this.loggedInAs !== 'user') throw new DeviceError('user-not-logged-in', 'changing the PIN needs a user login');
    checkPinLength(newPin);
    await this.reload();
    const rec = this.state.user;
    if (!constantTimeEqual(pinMac(Buffer.from(rec.salt, 'hex'), oldPin), Buffer.from(rec.mac, 'hex'))) {
      rec.retriesLeft -= 1;
      await this.save();
      if (rec.retriesLeft <= 0) {
        this.loggedInAs = undefined;
        throw new DeviceError('pin-locked', 'user PIN incorrect; the user PIN is now locked', 0);
      }
      throw new DeviceError('pin-incorrect', `user PIN incorrect; ${rec.retriesLeft} tries left`, rec.retriesLeft);
    }
    this.state.user = pinRecord(newPin, this.state.maxRetries);
    await this.save();
  }

  /** C_InitPIN: the SO sets a new user PIN and resets its counter (the unblock path). */
  async initPin(newPin: string): Promise<void> {
    if (this.loggedInAs !== 'so') throw new DeviceError('user-not-logged-in', 'setting the user PIN needs an SO login');
    await this.reload();
    this.state.user = pinRecord(newPin, this.state.maxRetries);
    await this.save();
  }

  private visible(o: StoredObject): boolean {
    return !o.attributes.private || this.loggedInAs === 'user';
  }

  /** C_FindObjects: objects whose attributes match every given field; private ones need a login. */
  findObjects(template: Partial<ObjectAttributes>): DeviceObject[] {
    const keys = Object.keys(template) as Array<keyof ObjectAttributes>;
    return this.state.objects
      .filter((o) => this.visible(o) && keys.every((k) => o.attributes[k] === template[k]))
      .map((o) => ({ handle: o.handle, attributes: { ...o.attributes }, size: Buffer.from(o.value, 'base64').length }));
  }

  private object(handle: number): StoredObject {
    const o = this.state.objects.find((x) => x.handle === handle);
    if (!o || !this.visible(o)) throw new DeviceError('object-handle-invalid', `no object with handle ${handle}`);
    return o;
  }

  private needWrite(priv: boolean): void {
    // As in a PKCS#11 R/W public session: public objects may be written without login.
    if (priv && this.loggedInAs !== 'user') throw new DeviceError('user-not-logged-in', 'private objects need a user login');
  }

  /** CKA_VALUE; refused for sensitive or non-extractable objects, as PKCS#11 requires. */
  getValue(handle: number): Buffer {
    const o = this.object(handle);
    if (o.attributes.sensitive || !o.attributes.extractable) throw new DeviceError('attribute-sensitive', `the value of ${o.attributes.label} cannot leave the token`);
    return Buffer.from(o.value, 'base64');
  }

  async createObject(attributes: ObjectAttributes, value: Uint8Array): Promise<number> {
    this.needWrite(attributes.private);
    await this.reload();
    const handle = this.state.nextHandle++;
    this.state.objects.push({ handle, attributes: { ...attributes }, value: Buffer.from(value).toString('base64') });
    await this.save();
    return handle;
  }

  async destroyObject(handle: number): Promise<void> {
    const o = this.object(handle);
    this.needWrite(o.attributes.private);
    await this.reload();
    this.state.objects = this.state.objects.filter((x) => x.handle !== handle);
    await this.save();
  }

  /**
   * C_GenerateKeyPair for SM2, or C_CreateObject of a given private key (`importKey`): the private
   * key object is sensitive and non-extractable; the public key object holds 04||X||Y.
   */
  async storeSm2KeyPair(label: string, id: string, importKey?: Uint8Array): Promise<{ privateHandle: number; publicKey: Buffer }> {
    this.needWrite(true);
    const pair = sm2PairToStore(importKey);
    const base = { label, id, keyType: 'SM2', extractable: false };
    const privateHandle = await this.createObject({ ...base, class: 'private-key', private: true, sensitive: true }, pair.privateKey);
    await this.createObject({ ...base, class: 'public-key', private: false, sensitive: false, extractable: true }, pair.publicKey);
    wipe(pair.privateKey);
    return { privateHandle, publicKey: pair.publicKey };
  }

  /** Public key (04||X||Y) of an SM2 key object. */
  publicKeyOf(handle: number): Buffer {
    const o = this.object(handle);
    if (o.attributes.class === 'public-key') return Buffer.from(o.value, 'base64');
    throw new DeviceError('key-type-inconsistent', `${o.attributes.label} is not a public key`);
  }

  /** C_Sign with an SM2 private key inside the device. */
  sign(handle: number, message: Uint8Array, userId?: string): Buffer {
    const o = this.object(handle);
    if (o.attributes.class !== 'private-key' || o.attributes.keyType !== 'SM2') throw new DeviceError('key-type-inconsistent', `${o.attributes.label} is not an SM2 private key`);
    if (this.loggedInAs !== 'user') throw new DeviceError('user-not-logged-in', 'signing needs a user login');
    const d = Buffer.from(o.value, 'base64');
    try {
      return sm2Sign(d, message, userId);
    } finally {
      wipe(d);
    }
  }
}
