/**
 * Turns either form of the configuration into numbered entries, and into normalised INI text for
 * the `ini` package. The scan exists because `ini` forgets line numbers and silently merges
 * duplicates, while our errors must name the line, and because the vendor's syntax differs from
 * `ini`'s in two places: no inline comments (`ini` would cut `a=b;c` at `;`) and dots in section
 * names are not nesting.
 */
import { CacipherConfigError } from '../errors.ts';

export type Entry =
  | { kind: 'section'; line: number; name: string; raw: string }
  | { kind: 'pair'; line: number; key: string; value: string; raw: string };

export interface ScannedText {
  source: string;
  entries: Entry[];
  /** Normalised INI: lower-case names, values escaped so `ini` keeps them verbatim. */
  iniText: string;
}

/** Splits the `{…}` string form into its items: `;` is the line break, `}` or `};` closes it. */
export function splitStringForm(text: string, source = '<string>'): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    throw new CacipherConfigError({ source }, 'the string form must start with "{"');
  }
  const close = /\}\s*;?\s*$/.exec(trimmed);
  if (!close) {
    throw new CacipherConfigError({ source }, 'the string form must end with "}" or "};"');
  }
  const body = trimmed.slice(1, close.index);
  if (body.includes('{') || body.includes('}')) {
    throw new CacipherConfigError({ source }, 'unexpected "{" or "}" inside the string form');
  }
  // Java concatenations put no newline in; a hand-written multi-line string may, so both break lines.
  const items = body.split(/;|\r?\n/);
  // A trailing ";" before "}" leaves one empty item: drop it so item numbers match what one counts.
  if (items.length > 0 && items[items.length - 1].trim() === '') items.pop();
  return items;
}

/** `ini` unescapes `\\`, `\;`, `\#`; escaping them keeps a value exactly as written. */
function escapeValue(value: string): string {
  return value.replace(/[\\;#]/g, (c) => `\\${c}`);
}

/** Scans lines (file form) or items (string form); comments and blank lines are skipped. */
export function scanLines(lines: readonly string[], source: string): ScannedText {
  const entries: Entry[] = [];
  const out: string[] = [];
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const text = rawLine.trim();
    if (text === '' || text.startsWith('#') || text.startsWith(';')) return;
    const section = /^\[([^\]]*)\]$/.exec(text);
    if (section) {
      const name = section[1].trim();
      if (name === '') throw new CacipherConfigError({ source, line }, 'empty section name "[]"');
      entries.push({ kind: 'section', line, name, raw: text });
      // Dots escaped: `[a.b]` is a plain name for the vendor, nesting for `ini`.
      out.push(`[${name.toLowerCase().replace(/\./g, '\\.')}]`);
      return;
    }
    const eq = text.indexOf('=');
    if (eq <= 0) {
      throw new CacipherConfigError({ source, line }, `expected "[SECTION]" or "key=value", found "${text}"`);
    }
    const key = text.slice(0, eq).trim();
    const value = text.slice(eq + 1).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new CacipherConfigError({ source, line }, `invalid key name "${key}"`);
    }
    entries.push({ kind: 'pair', line, key, value, raw: text });
    out.push(`${key.toLowerCase()}=${escapeValue(value)}`);
  });
  return { source, entries, iniText: out.join('\n') };
}
