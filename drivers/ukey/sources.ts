/** Ready-made TokenSources for the three targets (token-source.ts explains the parts). */
import type { EventEmitter } from 'node:events';
import { pkcs11Locator, poolLocator, virtualLocator } from './locators.ts';
import { recordingOperator, terminalOperator, operatorPins, type TokenOperator } from './operator.ts';
import { chainPins, envPins, fixedPins, type PinProvider } from './pins.ts';
import type { Pkcs11TokenOptions } from './pkcs11.ts';
import type { SoftHsmPool } from './softhsm-pool.ts';
import { LocatingTokenSource } from './token-source.ts';
import { FACTORY_USER_PIN, type TokenSource } from './token.ts';

export interface BenchSourceOptions {
  /** The vendor's PKCS#11 library. */
  modulePath: string;
  pkcs11?: Pkcs11TokenOptions;
  operator?: TokenOperator;
  timeoutMs?: number;
  /** A started UsbWatcher, so an insert is noticed at once. */
  inserts?: EventEmitter;
  /** Asked first for PINs (the lab file's variables); then EVSM_UKEY_PIN…, then the operator. */
  pins?: PinProvider;
}

/** Bench: prompts the operator, waits for the token, PINs from the environment or the operator. */
export function benchTokenSource(opts: BenchSourceOptions): TokenSource {
  const operator = opts.operator ?? terminalOperator();
  return new LocatingTokenSource({
    locator: pkcs11Locator(opts.modulePath, opts.pkcs11),
    pins: chainPins(...(opts.pins ? [opts.pins] : []), envPins(), operatorPins(operator)),
    operator,
    timeoutMs: opts.timeoutMs,
    inserts: opts.inserts,
  });
}

/** CI over SoftHSM2: the pool answers the same prompts, with its PIN, without waiting. */
export function poolTokenSource(pool: SoftHsmPool, operator: TokenOperator = recordingOperator()): TokenSource {
  return new LocatingTokenSource({ locator: poolLocator(pool), pins: fixedPins(pool.credentials().userPin), operator, timeoutMs: 0 });
}

/** Embedded target: virtual tokens in a directory, answered like the pool. */
export function virtualTokenSource(dir: string, userPin = FACTORY_USER_PIN, operator: TokenOperator = recordingOperator()): TokenSource {
  return new LocatingTokenSource({ locator: virtualLocator(dir), pins: fixedPins(userPin), operator, timeoutMs: 0 });
}
