/**
 * Where PINs come from: environment variables (CI, unattended bench runs) or the operator, never
 * files in the repository and never logs. A provider returns undefined when it has no PIN to offer,
 * so providers chain: environment first, then the operator.
 *
 * Environment variables (docs/ukey.md):
 *   EVSM_UKEY_PIN_<SERIAL>     user PIN of one token (serial upper-cased, other characters → _)
 *   EVSM_UKEY_PIN              user PIN of every other token
 *   EVSM_UKEY_SO_PIN_<SERIAL>, EVSM_UKEY_SO_PIN   the same for SO PINs
 */
import type { TokenIdentity } from './token.ts';

export type PinKind = 'user' | 'so';

/** attempt counts from 1; a provider should not offer the same fixed PIN twice (it would count down). */
export type PinProvider = (token: TokenIdentity, kind: PinKind, attempt: number) => Promise<string | undefined>;

export function pinEnvName(kind: PinKind, serial?: string): string {
  const base = kind === 'user' ? 'EVSM_UKEY_PIN' : 'EVSM_UKEY_SO_PIN';
  return serial === undefined ? base : `${base}_${serial.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function envPins(env: NodeJS.ProcessEnv = process.env): PinProvider {
  return async (token, kind, attempt) => {
    if (attempt > 1) return undefined;
    const v = env[pinEnvName(kind, token.serial)] ?? env[pinEnvName(kind)];
    return v === undefined || v === '' ? undefined : v;
  };
}

/** The same PIN for every token (the CI pool's). */
export function fixedPins(userPin: string, soPin?: string): PinProvider {
  return async (_token, kind, attempt) => (attempt > 1 ? undefined : kind === 'user' ? userPin : soPin);
}

/** First provider that offers a PIN wins. */
export function chainPins(...providers: PinProvider[]): PinProvider {
  return async (token, kind, attempt) => {
    for (const p of providers) {
      const pin = await p(token, kind, attempt);
      if (pin !== undefined) return pin;
    }
    return undefined;
  };
}
