/**
 * Loading a PKCS#11 module (any path: a vendor's library on the bench, SoftHSM2 in CI) once per
 * process, listing its slots, and C_Finalize: when the last user closes it, and in any case on
 * process exit. A module is a process-wide singleton in PKCS#11 (C_Initialize twice fails), so
 * loads of one path share one handle with a reference count.
 */
import pkcs11js from 'pkcs11js';
import { TokenError } from './token.ts';

export interface SlotSummary {
  /** CK_SLOT_ID as a number (what pkcs11-tool prints, in decimal). */
  slotId: number;
  description: string;
  tokenPresent: boolean;
  /** Token label, serial and manufacturer when a token is present and initialized. */
  label?: string;
  serial?: string;
  manufacturer?: string;
  initialized?: boolean;
}

/** PKCS#11 text fields are blank-padded. */
export function trimField(s: string): string {
  return s.replace(/[\s\0]+$/, '');
}

export function slotIdOf(handle: Buffer): number {
  return Number(handle.length >= 8 ? handle.readBigUInt64LE(0) : BigInt(handle.readUInt32LE(0)));
}

export function slotHandle(slotId: number, like: Buffer): Buffer {
  const b = Buffer.alloc(like.length);
  if (like.length >= 8) b.writeBigUInt64LE(BigInt(slotId));
  else b.writeUInt32LE(slotId);
  return b;
}

/** A PKCS#11 error's CKR name (pkcs11js puts it first in the message), for one-line messages. */
export function ckrName(e: unknown): string {
  const m = e instanceof Error ? /CKR_[A-Z_]+/.exec(e.message) : null;
  return m ? m[0] : e instanceof Error ? e.message.split('\n')[0] : String(e);
}

export function isCkr(e: unknown, code: number): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** A Token backend that is logged in; told when a forced C_Logout logged it out. */
export interface LoginHolder {
  loggedOut(): void;
}

/** CKF_TOKEN_PRESENT (CK_SLOT_INFO flags); pkcs11js's typings lack it. */
const CKF_TOKEN_PRESENT = 0x1;

const loaded = new Map<string, Pkcs11Module>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; C_Finalize is. Modules left open by a crashed test
  // are still finalized, so vendor libraries release the reader.
  process.once('exit', () => {
    for (const m of loaded.values()) m.finalizeNow();
  });
}

export class Pkcs11Module {
  private refs = 1;
  private finalized = false;
  /** Logged-in Token objects per slot: PKCS#11 login state is per process and token, not per session. */
  private readonly logins = new Map<number, Set<LoginHolder>>();

  private constructor(
    readonly path: string,
    readonly lib: pkcs11js.PKCS11,
  ) {}

  /** Loads and initializes the module at `path`, or shares the already loaded one. */
  static load(path: string): Pkcs11Module {
    const existing = loaded.get(path);
    if (existing) {
      existing.refs++;
      return existing;
    }
    const lib = new pkcs11js.PKCS11();
    try {
      lib.load(path);
    } catch (e) {
      throw new TokenError('device', `cannot load PKCS#11 module ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    try {
      lib.C_Initialize();
    } catch (e) {
      if (!isCkr(e, pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
        lib.close();
        throw new TokenError('device', `PKCS#11 module ${path}: C_Initialize failed (${ckrName(e)})`);
      }
    }
    const m = new Pkcs11Module(path, lib);
    loaded.set(path, m);
    installExitHook();
    return m;
  }

  /** Whether a module at `path` is loaded in this process. */
  static isLoaded(path: string): boolean {
    return loaded.has(path);
  }

  private slotHandles(tokenPresent: boolean): Buffer[] {
    return this.lib.C_GetSlotList(tokenPresent);
  }

  /** Slots (with a token present only, by default) and what their tokens say. */
  slots(tokenPresent = true): SlotSummary[] {
    this.check();
    return this.slotHandles(tokenPresent).map((h) => {
      const info = this.lib.C_GetSlotInfo(h);
      const present = (info.flags & CKF_TOKEN_PRESENT) !== 0;
      const s: SlotSummary = { slotId: slotIdOf(h), description: trimField(info.slotDescription), tokenPresent: present };
      if (present) {
        const t = this.lib.C_GetTokenInfo(h);
        s.initialized = (t.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0;
        s.label = trimField(t.label);
        s.serial = trimField(t.serialNumber);
        s.manufacturer = trimField(t.manufacturerID);
      }
      return s;
    });
  }

  /** The handle for a slot id, or a clear error naming the slots there are. */
  handleOf(slotId: number): Buffer {
    this.check();
    const all = this.slotHandles(false);
    const h = all.find((x) => slotIdOf(x) === slotId);
    if (!h) throw new TokenError('device', `PKCS#11 module ${this.path} has no slot ${slotId} (slots: ${all.map(slotIdOf).join(', ') || 'none'})`);
    return h;
  }

  private check(): void {
    if (this.finalized) throw new TokenError('closed', `PKCS#11 module ${this.path} was finalized`);
  }

  loginsOn(slotId: number): number {
    return this.logins.get(slotId)?.size ?? 0;
  }

  addLogin(slotId: number, holder: LoginHolder): void {
    const set = this.logins.get(slotId) ?? new Set<LoginHolder>();
    set.add(holder);
    this.logins.set(slotId, set);
  }

  /** Returns how many Token objects on the slot are still logged in. */
  dropLogin(slotId: number, holder: LoginHolder): number {
    const set = this.logins.get(slotId);
    set?.delete(holder);
    return set?.size ?? 0;
  }

  /** After a C_Logout forced on the slot (a re-check of a PIN, an SO login): tells every holder. */
  clearLogins(slotId: number): void {
    const set = this.logins.get(slotId);
    this.logins.delete(slotId);
    for (const h of set ?? []) h.loggedOut();
  }

  /** Takes another reference (each Token holds one). */
  retain(): this {
    this.check();
    this.refs++;
    return this;
  }

  /** Drops a reference; the last one calls C_Finalize and unloads. */
  release(): void {
    if (this.finalized) return;
    this.refs--;
    if (this.refs <= 0) this.finalizeNow();
  }

  finalizeNow(): void {
    if (this.finalized) return;
    this.finalized = true;
    loaded.delete(this.path);
    try {
      this.lib.C_Finalize();
    } catch {
      /* already finalized or the module is gone: nothing left to release */
    }
    try {
      this.lib.close();
    } catch {
      /* as above */
    }
  }
}
