/**
 * The redaction pass every report goes through. The harness already redacts its evidence;
 * this is the second line, so that a forgotten transcript or an error message that echoes a
 * key cannot put secrets (keys, PINs, shares, the lab's signing key) into a report.
 *
 * Rules (docs/reports.md, "Redaction"):
 *  1. PEM private-key blocks.
 *  2. `name=value` / `name: value` where the name is a secret's name (pin, password, secret,
 *     share, component, key, clear key, private key, …); for pin/password/passphrase/secret
 *     also `name value` when the value holds a digit.
 *  3. Runs of 32 or more hex digits: clear double-length keys and longer, shares, private keys.
 *     KCVs (16 or 6 hex digits) stay readable.
 *  4. Known literals: the factory UKEY PIN, secrets from the environment (variables named
 *     *PIN*, *PASSWORD*, *PASSPHRASE*, *SECRET*, *_KEY whose value has a digit or 16+
 *     characters), and any the caller adds.
 *  JSON values are walked: members with a secret's name are replaced whole, strings go
 *  through the text rules, serialized Buffers are dropped.
 */
import type { Json } from './canonical.ts';

export const REDACTED = '[REDACTED]';
export const FACTORY_PIN = '12345678';

/** Member names that always hold a secret. Compared lower-case with `_`/`-` removed. */
const ALWAYS_SECRET = new Set([
  'pin', 'puk', 'sopin', 'userpin', 'newpin', 'oldpin', 'password', 'passwd', 'passphrase', 'secret',
  'share', 'shares', 'clearkey', 'plainkey', 'plaintextkey', 'keyvalue', 'keymaterial', 'keybytes',
  'privatekey', 'secretkey', 'signkey', 'seed',
]);
/** Names that hold a secret only when the value looks like key material (they also label things). */
const SECRET_IF_MATERIAL = new Set(['key', 'component', 'components', 'dmk', 'lmk', 'kbk', 'zmk', 'zpk', 'zak', 'kek', 'value']);
const SECRET_SUFFIXES = ['pin', 'password', 'passphrase', 'privatekey', 'clearkey', 'secret'];

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function isAlwaysSecret(name: string): boolean {
  const n = normalizeName(name);
  return ALWAYS_SECRET.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

const LONG_HEX = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])/g;
const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g;
const NAMED_ASSIGN =
  /\b(pin|puk|so[-_]?pin|user[-_]?pin|password|passwd|passphrase|secret|shares?|components?|clear[-_]?key|plain[-_]?key|private[-_]?key|key)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}\]"']+)/gi;
// With only a space between, the value must hold a digit: "PIN 12345678" is a secret,
// "PIN translation" or "password policy" is prose.
const NAMED_SPACED = /\b(pin|puk|password|passwd|passphrase|secret)(\s+)(?=[^\s,;}\])]*\d)([^\s,;}\])]+)/gi;

/** Looks like key material: 32+ hex digits (a KCV has 16), 24+ base64 characters, or an array of such. */
function looksLikeMaterial(v: Json | undefined): boolean {
  if (typeof v === 'string') return /^(0x)?[0-9A-Fa-f]{32,}$/.test(v.replace(/\s/g, '')) || /^[A-Za-z0-9+/_-]{24,}={0,2}$/.test(v);
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === 'number' || looksLikeMaterial(x));
  return false;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Secret literals to remove everywhere: the factory PIN and secrets named in the environment. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = [FACTORY_PIN];
  for (const [name, value] of Object.entries(env)) {
    const v = value?.trim() ?? '';
    // A short or word-like value (`embedded`, `true`) would blank ordinary report text, not a secret.
    if (v.length < 6 || (!/\d/.test(v) && v.length < 16)) continue;
    if (/(^|_)(PIN|PUK|PASSWORD|PASSPHRASE|SECRET)(_|$)|_KEY$/i.test(name)) out.push(v);
  }
  return out;
}

export class Redactor {
  private readonly literals: RegExp[];

  constructor(secrets: string[] = secretsFromEnv()) {
    // Longest first so a literal that contains another is removed whole.
    this.literals = [...new Set(secrets.filter((s) => s.length >= 4))]
      .sort((a, b) => b.length - a.length)
      .map((s) => (/^\d+$/.test(s) ? new RegExp(`(?<!\\d)${s}(?!\\d)`, 'g') : new RegExp(escapeRegExp(s), 'gi')));
  }

  text(s: string): string {
    let out = s.replace(PEM_PRIVATE, `${REDACTED} private key`);
    for (const re of this.literals) out = out.replace(re, REDACTED);
    out = out.replace(NAMED_ASSIGN, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
    out = out.replace(NAMED_SPACED, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
    out = out.replace(LONG_HEX, (run) => `${REDACTED} ${run.length} hex`);
    return out;
  }

  value(v: Json | undefined, name?: string): Json | undefined {
    if (name !== undefined && v !== null && v !== undefined && isAlwaysSecret(name)) return REDACTED;
    if (name !== undefined && SECRET_IF_MATERIAL.has(normalizeName(name)) && looksLikeMaterial(v)) return REDACTED;
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x) ?? null);
    if (v && typeof v === 'object') {
      // A Buffer serialized by JSON.stringify: raw bytes, most likely key material.
      if (v.type === 'Buffer' && Array.isArray(v.data)) return REDACTED;
      const out: { [k: string]: Json | undefined } = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.value(x, k);
      return out;
    }
    return v;
  }

  /** Redacts a JSON document given as text; falls back to the text rules when it does not parse. */
  jsonText(s: string): string {
    let parsed: Json;
    try {
      parsed = JSON.parse(s) as Json;
    } catch {
      return this.text(s);
    }
    return JSON.stringify(this.value(parsed), null, 2);
  }

  /** True when a known secret literal survives in `s` (a last check before a report is written). */
  leaks(s: string): boolean {
    return this.literals.some((re) => {
      re.lastIndex = 0;
      const hit = re.test(s);
      re.lastIndex = 0;
      return hit;
    });
  }
}
