/**
 * JSON with positions: the same grammar as JSON.parse (RFC 8259), plus the line and column of
 * every member's key and value, so a lab file error can say `FILE:LINE:COLUMN`. Stricter than
 * JSON.parse where that protects the reader: a repeated key is an error (JSON.parse keeps the
 * last one silently), nesting is limited, and one pass over the text (linear time).
 */

export interface Pos {
  line: number;
  column: number;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly pos: Pos,
    message: string,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export interface Located {
  value: unknown;
  /** Where the value at `path` starts ('' is the whole document; `a.b`, `a.list[0]`). */
  valueAt(path: string): Pos;
  /** Where the key of the member at `path` starts (the value's position for array items and the root). */
  keyAt(path: string): Pos;
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The path of a member: `a.b` for object keys, `a[0]` for array items. */
export function childPath(parent: string, key: string | number): string {
  return typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
}

export function parseJsonLocated(text: string): Located {
  // Line starts, for offset → line:column (columns count UTF-16 units from 1, as editors mostly do).
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const posOf = (offset: number): Pos => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
  };
  const keys = new Map<string, number>();
  const values = new Map<string, number>();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not content

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(posOf(at), message);
  };
  const describe = (at: number): string => (at >= text.length ? 'the end of the file' : JSON.stringify(text[at]));
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };

  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string (no closing ")', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in a string (write it as an escape, e.g. \\n)');
      if (c === 92) {
        out += text.slice(run, i);
        const e = text[i + 1];
        if (e === 'u') {
          const h = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('\\u must be followed by 4 hex digits');
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
        } else if (e !== undefined && e in ESCAPES) {
          out += ESCAPES[e];
          i += 2;
        } else {
          fail(`unknown escape \\${e ?? ''} in a string`);
        }
        run = i;
        continue;
      }
      i++;
    }
  };

  /** After a member or item: true at the closing bracket (consumed), false after a comma. */
  const closes = (close: '}' | ']', what: string): boolean => {
    ws();
    if (text[i] === ',') {
      i++;
      ws();
      if (text[i] === close) fail(`trailing comma before "${close}" (JSON allows none)`);
      return false;
    }
    if (text[i] === close) {
      i++;
      return true;
    }
    return fail(`expected "," or "${close}" after ${what}, found ${describe(i)}`);
  };

  const value = (path: string, depth: number): unknown => {
    ws();
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    values.set(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a key in double quotes, found ${describe(i)}`);
        const keyStart = i;
        const key = str();
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`key "${key}" appears twice in this object`, keyStart);
        const p = childPath(path, key);
        keys.set(p, keyStart);
        ws();
        if (text[i] !== ':') fail(`expected ":" after the key "${key}", found ${describe(i)}`);
        i++;
        obj[key] = value(p, depth + 1);
        if (closes('}', 'a member')) return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(childPath(path, arr.length), depth + 1));
        if (closes(']', 'an item')) return arr;
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== '-') {
      i += m[0].length;
      return Number(m[0]);
    }
    return fail(`expected a value, found ${describe(i)}`);
  };

  const root = value('', 0);
  ws();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON value`);
  const at = (m: Map<string, number>, path: string): Pos => posOf(m.get(path) ?? values.get(path) ?? 0);
  return { value: root, valueAt: (p) => at(values, p), keyAt: (p) => at(keys, p) };
}
