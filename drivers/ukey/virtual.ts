/**
 * Adapts a virtual UKEY device (virtual-ukey/, the token file format) to the Token interface, as pkcs11.ts adapts a
 * PKCS#11 module. The virtual device signs with SM2 itself, so its auth private key is
 * sensitive and non-extractable.
 */
import {
  DeviceError,
  VirtualUkeyDevice,
  createDevice,
  listDeviceFiles,
  type CreateOptions,
  type ObjectAttributes,
  MAX_PIN,
  MIN_PIN,
} from '../../virtual-ukey/index.ts';
import { LayoutToken, type TokenBackend } from './layout-token.ts';
import { APPLICATION, AUTH_KEY_ID, LAYOUT } from './layout.ts';
import { TokenError, type PinStatus, type Token, type TokenIdentity, type TokenObjectKind } from './token.ts';

/** Device errors to TokenErrors; the device's messages are already free of secrets. */
function mapError(e: unknown): never {
  if (e instanceof DeviceError) {
    switch (e.code) {
      case 'pin-incorrect':
        throw new TokenError('pin-incorrect', e.message, e.retriesLeft);
      case 'pin-locked':
        throw new TokenError('pin-locked', e.message, 0);
      case 'pin-len-range':
        throw new TokenError('pin-invalid', e.message);
      case 'user-not-logged-in':
        throw new TokenError('not-logged-in', e.message);
      default:
        throw new TokenError('device', e.message);
    }
  }
  throw e;
}

async function mapped<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    return mapError(e);
  }
}

function template(kind: TokenObjectKind): Partial<ObjectAttributes> {
  const spec = LAYOUT[kind];
  return { class: spec.class, label: spec.label };
}

class VirtualBackend implements TokenBackend {
  readonly identity: TokenIdentity;

  constructor(private readonly dev: VirtualUkeyDevice) {
    const info = dev.info();
    this.identity = { kind: 'virtual', label: info.label, serial: info.serial, manufacturer: info.manufacturer, model: info.model, location: dev.file };
  }

  get loggedIn(): boolean {
    return this.dev.loggedIn === 'user';
  }

  async pinStatus(): Promise<PinStatus> {
    const info = await this.dev.refreshInfo();
    const left = info.userRetriesLeft;
    return {
      retriesLeft: left,
      maxRetries: info.maxRetries,
      countLow: left < info.maxRetries,
      finalTry: left === 1,
      locked: left === 0,
      enforcedBy: 'token',
    };
  }

  login(pin: string): Promise<void> {
    // Logged in already: nothing to check, as on the PKCS#11 side.
    if (this.dev.loggedIn === 'user') return Promise.resolve();
    return mapped(() => this.dev.login('user', pin));
  }

  async logout(): Promise<void> {
    this.dev.logout();
  }

  changePin(oldPin: string, newPin: string): Promise<void> {
    return mapped(() => this.dev.setPin(oldPin, newPin));
  }

  unblockPin(soPin: string, newUserPin: string): Promise<void> {
    return mapped(async () => {
      this.dev.logout();
      await this.dev.login('so', soPin);
      try {
        await this.dev.initPin(newUserPin);
      } finally {
        this.dev.logout();
      }
    });
  }

  async find(kind: TokenObjectKind): Promise<{ size: number | undefined } | undefined> {
    // Another handle (or process) may have changed the token since this one last looked.
    await this.dev.refreshInfo();
    const o = this.dev.findObjects(template(kind))[0];
    if (!o) return undefined;
    return { size: o.attributes.sensitive ? undefined : o.size };
  }

  read(kind: TokenObjectKind): Promise<Buffer | undefined> {
    return mapped(async () => {
      await this.dev.refreshInfo();
      const o = this.dev.findObjects(template(kind))[0];
      return o === undefined ? undefined : this.dev.getValue(o.handle);
    });
  }

  write(kind: TokenObjectKind, value: Uint8Array): Promise<void> {
    const spec = LAYOUT[kind];
    const attrs: ObjectAttributes = { class: 'data', label: spec.label, application: APPLICATION, private: spec.private, sensitive: false, extractable: true };
    return mapped(async () => {
      await this.dev.createObject(attrs, value);
    });
  }

  destroy(kind: TokenObjectKind): Promise<void> {
    return mapped(async () => {
      for (const o of this.dev.findObjects(template(kind))) await this.dev.destroyObject(o.handle);
    });
  }

  storeSm2(importKey?: Uint8Array): Promise<Buffer> {
    return mapped(async () => (await this.dev.storeSm2KeyPair(LAYOUT['auth-private-key'].label, AUTH_KEY_ID, importKey)).publicKey);
  }

  sm2Sign(message: Uint8Array, userId?: string): Promise<Buffer> {
    return mapped(() => {
      const key = this.dev.findObjects(template('auth-private-key'))[0];
      if (!key) throw new TokenError('missing-object', 'no authorization key');
      return this.dev.sign(key.handle, message, userId);
    });
  }

  async close(): Promise<void> {
    this.dev.logout();
  }
}

/** Opens one virtual token file. */
export async function openVirtualToken(file: string): Promise<Token> {
  return new LayoutToken(new VirtualBackend(await mapped(() => VirtualUkeyDevice.open(file))));
}

/** Opens every virtual token in a directory, in serial order. */
export async function openVirtualTokens(dir: string): Promise<Token[]> {
  return Promise.all((await listDeviceFiles(dir)).map((f) => openVirtualToken(f)));
}

export type VirtualTokenOptions = CreateOptions;

/** The PIN lengths a virtual token accepts. */
export const VIRTUAL_PIN_LENGTH = { min: MIN_PIN, max: MAX_PIN } as const;

/** Creates a blank virtual token in `dir` (a file `<serial>.ukey.json`). */
export async function createVirtualToken(dir: string, opts: VirtualTokenOptions): Promise<Token> {
  return new LayoutToken(new VirtualBackend(await mapped(() => createDevice(dir, opts))));
}
