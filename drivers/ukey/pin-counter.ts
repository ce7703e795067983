/**
 * A driver-enforced user-PIN retry counter, for PKCS#11 modules that never lock a PIN (SoftHSM2
 * answers CKR_PIN_INCORRECT forever and never sets CKF_USER_PIN_* flags). The counter lives on the
 * token in a public data object `evsm.pin-state`, so every harness process sees the same count
 * and a lockout survives a restart. It binds only the harness: other PKCS#11 applications
 * (pkcs11-tool) can still log in. docs/ukey.md says so.
 */
import { TokenError } from './token.ts';

export const PIN_STATE_FORMAT = 'evsm-lab/pin-state@1';

export interface PinCounterState {
  retriesLeft: number;
  maxRetries: number;
}

/**
 * Where the counter is kept (a public object on the token). `load` returns every copy found:
 * a store that cannot update in place writes the new copy before destroying the old one, so a
 * crash in between leaves two, and the lower count wins (fail closed).
 */
export interface PinCounterStore {
  load(): Promise<Buffer[]>;
  save(value: Buffer): Promise<void>;
}

export function encodePinState(s: PinCounterState): Buffer {
  return Buffer.from(JSON.stringify({ format: PIN_STATE_FORMAT, retriesLeft: s.retriesLeft, maxRetries: s.maxRetries }));
}

export function decodePinState(bytes: Uint8Array | undefined, maxRetries: number): PinCounterState {
  if (bytes === undefined) return { retriesLeft: maxRetries, maxRetries };
  try {
    const raw = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    const left = raw.retriesLeft;
    const max = raw.maxRetries;
    if (raw.format === PIN_STATE_FORMAT && Number.isInteger(left) && Number.isInteger(max)) {
      return { retriesLeft: Math.max(0, Math.min(left as number, max as number)), maxRetries: max as number };
    }
  } catch {
    /* fall through: an unreadable counter is treated as locked (fail closed) */
  }
  return { retriesLeft: 0, maxRetries };
}

export class PinCounter {
  constructor(
    private readonly store: PinCounterStore,
    private readonly maxRetries: number,
  ) {}

  async state(): Promise<PinCounterState> {
    const copies = (await this.store.load()).map((b) => decodePinState(b, this.maxRetries));
    if (copies.length === 0) return decodePinState(undefined, this.maxRetries);
    return copies.reduce((a, b) => (b.retriesLeft < a.retriesLeft ? b : a));
  }

  /** Throws 'pin-locked' when the counter is at zero (before the module sees the PIN). */
  async refuseIfLocked(what: string): Promise<void> {
    if ((await this.state()).retriesLeft === 0) throw new TokenError('pin-locked', `${what}: the user PIN is locked; unblock it with the SO PIN`, 0);
  }

  /** Records a wrong PIN and returns the TokenError to throw. */
  async wrongPin(what: string): Promise<TokenError> {
    const s = await this.state();
    const left = Math.max(0, s.retriesLeft - 1);
    await this.store.save(encodePinState({ retriesLeft: left, maxRetries: s.maxRetries }));
    if (left === 0) return new TokenError('pin-locked', `${what}: user PIN incorrect; the user PIN is now locked`, 0);
    return new TokenError('pin-incorrect', `${what}: user PIN incorrect; ${left} tries left`, left);
  }

  /** After a good PIN or an unblock: back to the full count (no write when already full). */
  async reset(): Promise<void> {
    const s = await this.state();
    if (s.retriesLeft !== s.maxRetries || (await this.store.load()).length !== 1) {
      await this.store.save(encodePinState({ retriesLeft: s.maxRetries, maxRetries: s.maxRetries }));
    }
  }
}
