/**
 * Turns either form of the configuration into numbered entries, in one linear pass (no regular
 * expression that could backtrack on long runs of white space: finding 8 of issue 13).
 *
 * The vendor SDK's syntax (sjj1310-wire.md §3, checked against the SDK): `#` starts a comment
 * only at the start of a line, `[SECTION]` alone on its line, `key=value` with spaces or tabs
 * around `=`; the string form wraps everything in `{` `}` with `;` (or a newline) as the line
 * break. A line that is neither is ignored by the SDK: here it is ignored with a warning.
 */
import { CacipherConfigError } from '../errors.ts';
import type { ConfigWarning } from './types.ts';

/** Largest configuration accepted, in either form (a cacipher.ini is a few hundred bytes). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type Entry =
  | { kind: 'section'; line: number; name: string }
  | { kind: 'pair'; line: number; key: string; value: string };

export interface ScannedText {
  source: string;
  entries: Entry[];
  warnings: ConfigWarning[];
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';
}

/**
 * Splits the `{…}` string form into its items: `;` and newlines break lines, and the text ends
 * with `}` — or `};`, which the seeds show although the vendor SDK itself refuses it (see
 * docs/cacipher.md) — each followed by nothing but white space.
 */
export function splitStringForm(text: string, source = '<string>'): string[] {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new CacipherConfigError({ source }, `the string form is ${text.length} characters; at most ${MAX_CONFIG_BYTES} are accepted`);
  }
  let start = 0;
  while (start < text.length && isSpace(text[start])) start++;
  let end = text.length;
  while (end > start && isSpace(text[end - 1])) end--;
  if (text[start] !== '{') throw new CacipherConfigError({ source }, 'the string form must start with "{"');
  // Optional ";" after the closing brace, then optional white space before it.
  if (text[end - 1] === ';') {
    end--;
    while (end > start && isSpace(text[end - 1])) end--;
  }
  if (end - start < 2 || text[end - 1] !== '}') throw new CacipherConfigError({ source }, 'the string form must end with "}" or "};"');
  const body = text.slice(start + 1, end - 1);
  if (body.includes('{') || body.includes('}')) throw new CacipherConfigError({ source }, 'unexpected "{" or "}" inside the string form');
  const items: string[] = [];
  let from = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === ';' || body[i] === '\n') {
      items.push(body.slice(from, i));
      from = i + 1;
    }
  }
  // A trailing ";" before "}" leaves one empty item: drop it so item numbers match what one counts.
  if (items.length > 0 && items[items.length - 1].trim() === '') items.pop();
  return items;
}

/** The file form's lines (LF or CRLF). */
export function splitFileLines(text: string, source: string): string[] {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new CacipherConfigError({ source }, `the configuration is ${text.length} characters; at most ${MAX_CONFIG_BYTES} are accepted`);
  }
  if (text.charCodeAt(0) === 0xfeff) {
    // The vendor SDK cannot read such a file (its first section is not recognized).
    throw new CacipherConfigError({ source, line: 1 }, 'the file starts with a UTF-8 byte-order mark, which the vendor SDK does not read: save it without one');
  }
  return text.split('\n');
}

/** Scans lines (file form) or items (string form); comments and blank lines are skipped. */
export function scanLines(lines: readonly string[], source: string, form: 'file' | 'string'): ScannedText {
  const entries: Entry[] = [];
  const warnings: ConfigWarning[] = [];
  const unit = form === 'file' ? 'line' : 'item';
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const text = rawLine.trim();
    // `;` lines are the ini convention, read as comments in the file form (the SDK ignores them too).
    if (text === '' || text.startsWith('#') || (form === 'file' && text.startsWith(';'))) return;
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) {
        throw new CacipherConfigError({ source, line }, `"${text}" is not a section header: "[NAME]" must be alone on its ${unit} (comments take a whole ${unit})`);
      }
      const name = text.slice(1, -1).trim();
      if (name === '') throw new CacipherConfigError({ source, line }, 'empty section name "[]"');
      entries.push({ kind: 'section', line, name });
      return;
    }
    const eq = text.indexOf('=');
    const key = eq < 0 ? '' : text.slice(0, eq).trim();
    if (key === '') {
      warnings.push({ message: `"${text}" is neither "[SECTION]" nor "key=value": ignored`, line });
      return;
    }
    entries.push({ kind: 'pair', line, key, value: text.slice(eq + 1).trim() });
  });
  return { source, entries, warnings };
}
