/**
 * What both procedure drivers do with UKEYs: take blank ones from the token source, log a held one
 * in again, and note each use in the evidence (serial, label, role, how used, step; never a PIN).
 */
import type { Token } from '../../drivers/ukey/index.ts';
import type { Evidence } from '../evidence/evidence.ts';
import type { LoginTokenSource } from '../tokens/pool-source.ts';

/** "KBK 1/3", "component 2/3": how a token was used, for the evidence. */
export async function noteToken(evidence: Evidence, token: Token, as: string, step: string): Promise<void> {
  const role = await token.readRole();
  evidence.token({ serial: token.identity.serial, label: token.identity.label, role: role?.role ?? 'blank', as, step });
}

/** Logs `token` in unless it already is (the pool enters its PIN; a bench source asks the person). */
export async function ensureLogin(token: Token, tokens: LoginTokenSource): Promise<void> {
  if (!token.loggedIn) await tokens.loginToken(token);
}

/** `n` blank tokens, each asked for with `instruction (i/n)` and noted as `as(i)` in `step`. */
export async function blankTokens(deps: { tokens: LoginTokenSource; evidence: Evidence }, n: number, instruction: string, as: (i: number) => string, step: string): Promise<Token[]> {
  const out: Token[] = [];
  for (let i = 1; i <= n; i++) {
    const t = await deps.tokens.acquire({ instruction: `${instruction} (${i}/${n})`, blank: true });
    out.push(t);
    await noteToken(deps.evidence, t, as(i), step);
  }
  return out;
}

/** The token serials of a list, for a prompt. */
export function serials(tokens: readonly Token[]): string {
  return tokens.map((t) => t.identity.serial).join(', ');
}
