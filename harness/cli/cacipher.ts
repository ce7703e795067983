/**
 * `evsm-lab cacipher check FILE|STRING`: how the EVSM client reads a cacipher configuration
 * (each host, its connections, timeouts in ms, TLS, header; the logger) and every problem in it.
 *
 * The parser (drivers/evsm) stops at the first error, as the client must. To report every error
 * in one run, `check` repairs the text after each error and reads it again, until it parses or an
 * error names no line. Repairs keep every other line's number: a bad line is read as a comment; a
 * bad or missing required key (hsmModel, host, port: the vendor's list) gets a placeholder value
 * instead, so that it does not turn into a second "missing" error; a section whose error is the
 * section itself is set aside whole. An error that may only follow from a repair says so.
 */
import { resolve } from 'node:path';
import {
  CacipherConfigError,
  formatWarning,
  HSM_MODELS,
  loadCacipher,
  parseCacipherString,
  parseCacipherText,
  readConfigFile,
  type CacipherConfig,
  type ConfigLocation,
  type HostConfig,
  type ParsedCacipher,
  type ParseOptions,
} from '../../drivers/evsm/index.ts';
import { parseOptions, single, UsageError, type Verb } from './usage.ts';

const SYNOPSIS = 'usage: evsm-lab cacipher check FILE|STRING [--base-dir DIR]';

const HELP = `${SYNOPSIS}

Reads a cacipher configuration the way the EVSM client does (drivers/evsm, docs/cacipher.md)
and prints it: each [HOSTn] (model, address, what linkNum means for its connections, timeouts
in ms, TLS, message header length) and the [LOGGER] settings. Every error and warning is listed
with its place (FILE line N [SECTION] key), all in one run. Nothing is connected to.

  FILE|STRING    a cacipher.ini file, or the string form (starts with "{"; quote it in the shell)
  --base-dir DIR the directory a relative logPath is taken from (default: the current directory,
                 as the client)

Exit status: 0 when the client would start with it (warnings allowed), 1 when it would refuse
it, 2 for a usage error.

Examples:
  npx evsm-lab cacipher check ./cacipher.ini
  npx evsm-lab cacipher check '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;timeout=5}'`;

/** Keys every [HOSTn] needs (docs/cacipher.md), lower-case. */
const REQUIRED_HOST_KEYS = ['hsmmodel', 'host', 'port'];

export interface Problem {
  /** The parser's message, place first: `lab.ini line 5 [HOST1] timeout: "five" is not …`. */
  message: string;
  location: ConfigLocation;
  /** Sections (by their header's line or item) set aside before this error showed; it may follow from that. */
  after: number[];
}

export interface CacipherCheck {
  /** The file path, or `<string>`. */
  source: string;
  /** The configuration, when the client would start with it. */
  config?: CacipherConfig;
  errors: Problem[];
  warnings: string[];
  /** False when reading stopped at an error that names no line: warnings and later errors may be missing. */
  complete: boolean;
}

/** One line (file form) or item (string form) of the text being repaired; `orig` is its number in the input. */
interface Unit {
  orig?: number;
  text: string;
}

function isStringForm(input: string): boolean {
  return input.trim().startsWith('{');
}

/** The text cut into the units the parser numbers: file lines; string items between `{` and `}`, split at `;` and newlines. */
function cutUnits(text: string, stringForm: boolean): Unit[] | undefined {
  let body = text;
  if (stringForm) {
    const t = text.trim();
    const close = t.lastIndexOf('}');
    if (!t.startsWith('{') || close < 0) return undefined;
    body = t.slice(1, close);
  }
  return body.split(stringForm ? /;|\n/ : '\n').map((text, i) => ({ orig: i + 1, text }));
}

function joinUnits(units: Unit[], stringForm: boolean): string {
  const texts = units.map((u) => u.text);
  return stringForm ? `{${texts.join(';')}}` : texts.join('\n');
}

const isHeader = (u: Unit): boolean => u.text.trim().startsWith('[');
const keyOf = (u: Unit): string => u.text.slice(0, Math.max(0, u.text.indexOf('='))).trim().toLowerCase();
const valueOf = (u: Unit): string => u.text.slice(u.text.indexOf('=') + 1).trim();

function placeholder(key: string, n: number): string {
  if (key === 'hsmmodel') return `hsmModel=${HSM_MODELS[0]}`;
  if (key === 'host') return `host=evsm-check-placeholder-${n}`;
  return 'port=8018';
}

/** Repairs the unit at `at` (an index into `units`) after `loc`'s error, so the next read gets past it. */
function repair(units: Unit[], at: number, loc: ConfigLocation, serial: number): 'line' | 'placeholder' | 'section' {
  const unit = units[at];
  const key = loc.key?.toLowerCase();
  if (key !== undefined && !isHeader(unit)) {
    if (REQUIRED_HOST_KEYS.includes(key) && /^host/i.test(loc.section ?? '')) {
      unit.text = placeholder(key, serial);
      return 'placeholder';
    }
    unit.text = '#';
    return 'line';
  }
  if (!isHeader(unit)) {
    unit.text = '#';
    return 'line';
  }
  // The section itself is the problem: a host missing a required key gets a placeholder for it
  // (inserted after its header; units carry their input number, so nothing is misnumbered).
  let end = at + 1;
  while (end < units.length && !isHeader(units[end])) end++;
  if (/^host/i.test(loc.section ?? '')) {
    const body = units.slice(at + 1, end);
    const missing = REQUIRED_HOST_KEYS.filter((k) => !body.some((u) => keyOf(u) === k && valueOf(u) !== ''));
    // One at a time, in the parser's order, so that each missing key gets its own error.
    if (missing.length) {
      for (const u of body) if (keyOf(u) === missing[0]) u.text = '#';
      units.splice(at + 1, 0, { text: placeholder(missing[0], serial) });
      return 'placeholder';
    }
  }
  for (let i = at; i < end; i++) units[i].text = '#';
  return 'section';
}

/** The error's message and location with the repaired text's line number put back to the input's. */
function inInput(e: CacipherConfigError, source: string, orig: number | undefined): { message: string; location: ConfigLocation } {
  const loc = e.location;
  if (loc.line === undefined || orig === loc.line) return { message: e.message, location: loc };
  const prefix = formatWarning(source, { message: '', line: loc.line, section: loc.section, key: loc.key });
  const location = { ...loc, line: orig };
  if (!e.message.startsWith(prefix)) return { message: e.message, location };
  return { message: formatWarning(source, { message: e.message.slice(prefix.length), line: orig, section: loc.section, key: loc.key }), location };
}

/** Reads `input` (a path or a `{…}` string) and collects every problem. Never throws for bad input. */
export function checkCacipher(input: string, options: ParseOptions = {}): CacipherCheck {
  const stringForm = isStringForm(input);
  const source = stringForm ? '<string>' : input;
  const first = attempt(() => loadCacipher(input, options));
  if (first.parsed) return { source, config: first.parsed.config, errors: [], warnings: first.parsed.warnings.map((w) => formatWarning(source, w)), complete: true };

  const errors: Problem[] = [{ message: first.error.message, location: first.error.location, after: [] }];
  let text: string | undefined = stringForm ? input : undefined;
  if (!stringForm && first.error.location.line !== undefined) {
    // Read the way the client reads it (a regular file, bounded); if that fails now, the first error stands alone.
    try {
      text = readConfigFile(input);
    } catch {
      /* changed since: report the first error only */
    }
  }
  const units = text === undefined ? undefined : cutUnits(text, stringForm);
  if (!units) return { source, errors, warnings: [], complete: false };

  const setAside: number[] = [];
  const seen = new Set([problemKey(first.error)]);
  let error = first.error;
  // Each pass repairs at least one unit, so the loop ends; the bound is a second guard.
  for (let pass = 1; pass <= 2 * units.length + 2; pass++) {
    const at = (error.location.line ?? 0) - 1;
    const unit = units[at];
    if (!unit || unit.orig === undefined) break;
    if (repair(units, at, error.location, pass) === 'section') setAside.push(unit.orig);
    const joined = joinUnits(units, stringForm);
    const next = attempt(() => (stringForm ? parseCacipherString(joined, options) : parseCacipherText(joined, source, options)));
    if (next.parsed) {
      const warnings = next.parsed.warnings.filter((w) => w.line === undefined || units[w.line - 1]?.orig !== undefined);
      return { source, errors, warnings: warnings.map((w) => formatWarning(source, { ...w, line: w.line === undefined ? undefined : units[w.line - 1].orig })), complete: true };
    }
    error = next.error;
    const mapped = inInput(error, source, error.location.line === undefined ? undefined : units[error.location.line - 1]?.orig);
    if (seen.has(problemKey(mapped))) break;
    seen.add(problemKey(mapped));
    errors.push({ ...mapped, after: followsFrom(mapped.location, setAside) });
    if (mapped.location.line === undefined) break;
  }
  return { source, errors, warnings: [], complete: false };
}

/** The same error twice means the repair did not get past it: the loop stops. */
function problemKey(p: { message: string; location: ConfigLocation }): string {
  return `${p.location.line ?? ''}|${p.message}`;
}

/**
 * The repairs an error may follow from: an error of no section (e.g. "no [HOST1]") after a whole
 * section was set aside. A placeholder or a line read as a comment gives no such error.
 */
function followsFrom(loc: ConfigLocation, sectionsSetAside: number[]): number[] {
  return loc.section === undefined ? sectionsSetAside : [];
}

function attempt(parse: () => ParsedCacipher): { parsed: ParsedCacipher; error?: never } | { parsed?: never; error: CacipherConfigError } {
  try {
    return { parsed: parse() };
  } catch (e) {
    if (e instanceof CacipherConfigError) return { error: e };
    throw e;
  }
}

/** What linkNum means for the host's connections (drivers/evsm/pool/host-pool.ts, docs/cacipher.md). */
export function describeLinkNum(n: number): string {
  const conns = (k: number) => `${k} connection${k === 1 ? '' : 's'}`;
  if (n === 0) return 'no pool: a new connection for every command, closed after it';
  if (n < 0) return `pool only: at most ${conns(-n)}, kept open; further commands wait for one`;
  return `pool preferred: ${conns(n)} kept open, and when all are busy up to ${n} more short-lived ones (closed after their command)`;
}

function describeHost(h: HostConfig): string[] {
  const address = h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
  const lines = [`${h.name}  ${h.hsmModel}  ${address}  ${h.socketProtocol}`];
  lines.push(`  connections   linkNum=${h.linkNum}: ${describeLinkNum(h.linkNum)}`);
  lines.push(`  timeouts      connect ${Math.round(h.connTimeout * 1000)} ms, read ${Math.round(h.readTimeout * 1000)} ms (timeout ${Math.round(h.timeout * 1000)} ms)`);
  lines.push(`  header        ${h.headerLength === undefined ? "none: the client's default (ClientOptions.headerLength, else 0 bytes)" : `${h.headerLength} bytes`}`);
  if (h.socketProtocol === 'TLSv1.2') {
    const t = h.tls ?? {};
    lines.push(`  TLS           1.2 only, device certificate verified against ${t.caFile ?? 'the system CAs'}` +
      `${t.serverName ? `, name ${t.serverName}` : ''}${t.certFile ? `, client certificate ${t.certFile} (key ${t.keyFile})` : ', no client certificate'}`);
  }
  return lines;
}

/** The report `cacipher check` prints, one string per line. */
export function renderCheck(c: CacipherCheck, baseDir = process.cwd()): string[] {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const out: string[] = [];
  if (c.config) {
    out.push(`${c.source}: usable: ${count(c.config.hosts.length, 'host')}, ${count(c.warnings.length, 'warning')}`);
    const { categories, logPath } = c.config.logger;
    out.push(`LOGGER  ${categories.length ? `categories ${categories.join(', ')}` : 'nothing logged'}; ` +
      `${logPath === undefined ? 'no log file' : `log files cacipher-YYYYMMDD.log in ${logPath}${resolve(baseDir, logPath) === logPath ? '' : ` (${resolve(baseDir, logPath)})`}`}`);
    for (const h of c.config.hosts) out.push(...describeHost(h));
  } else {
    out.push(`${c.source}: NOT usable: the client refuses it: ${count(c.errors.length, 'error')}, ${count(c.warnings.length, 'warning')}`);
  }
  for (const e of c.errors) out.push(`error    ${e.message}${e.after.length ? ` (may follow from setting aside the section${e.after.length > 1 ? 's' : ''} at ${c.source === '<string>' ? 'item' : 'line'} ${e.after.join(', ')})` : ''}`);
  for (const w of c.warnings) out.push(`warning  ${w}`);
  if (!c.complete) out.push('(checking stopped at the last error above: fix it and check again for what follows)');
  return out;
}

async function cacipher(args: string[]): Promise<number> {
  const parsed = parseOptions(args, { '--base-dir': 'value' });
  const [sub, ...rest] = [...parsed.positional, ...parsed.passThrough];
  if (sub !== 'check') throw new UsageError(sub === undefined ? 'which sub-verb? (check)' : `unknown sub-verb "${sub}" (check)`);
  if (rest.length !== 1) throw new UsageError(rest.length ? `check takes one FILE or STRING, got ${rest.length}` : 'check needs a FILE or a STRING');
  const baseDir = resolve(single(parsed, '--base-dir') ?? process.cwd());
  const result = checkCacipher(rest[0], { baseDir });
  for (const line of renderCheck(result, baseDir)) console.log(line);
  return result.config ? 0 : 1;
}

export const CACIPHER_CHECK: Verb = { name: 'cacipher', synopsis: SYNOPSIS, help: HELP, run: cacipher };
