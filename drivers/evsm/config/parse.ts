/**
 * cacipher configuration: the vendor's fields on top of the line scan (docs/cacipher.md).
 * It accepts what the vendor SDK accepts (checked against the SDK, sjj1310-wire.md §3): names in
 * any case, `[HOST 1]`, `[HOSTn]` read from 1 until the numbering breaks, duplicate keys (the
 * first wins), lines it cannot read (ignored). It refuses what the SDK refuses (no hsmModel, a
 * host value with an inline `#`, a byte-order mark) and, deliberately, values the SDK would
 * silently replace by a default (a timeout of "abc", linkNum "x"): those are errors naming the
 * line. Unknown sections and keys are warnings. Files are bounded and must be regular files.
 */
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { CacipherConfigError, describeLocation } from '../errors.ts';
import { hostProblem, inlineCommentHint } from './host-name.ts';
import { MAX_CONFIG_BYTES, scanLines, splitFileLines, splitStringForm, type ScannedText } from './lines.ts';
import {
  HSM_MODELS,
  LOG_CATEGORIES,
  type CacipherConfig,
  type ConfigWarning,
  type HostConfig,
  type HsmModel,
  type LogCategory,
  type LoggerConfig,
  type SocketProtocol,
  type ParsedCacipher,
} from './types.ts';

export interface ParseOptions {
  /** Directory a relative `logPath` is checked against; default: the process's working directory. */
  baseDir?: string;
  /** Check that `logPath` exists and is writable, warning when not (default true). */
  checkLogPath?: boolean;
}

export const DEFAULT_LINK_NUM = 10;
export const DEFAULT_TIMEOUT_S = 6;
/** Longest timeout Node's timers hold (2^31-1 ms); more would fire at once. */
export const MAX_TIMEOUT_S = 2_147_483;
export const MAX_HEADER_LENGTH = 64;

/** Known keys per section kind, lower-case → canonical spelling (for messages and docs). */
const LOGGER_KEYS = new Map([
  ['logsw', 'logsw'],
  ['logpath', 'logPath'],
]);
const HOST_KEYS = new Map([
  ['hsmmodel', 'hsmModel'],
  ['linknum', 'linkNum'],
  ['host', 'host'],
  ['port', 'port'],
  ['timeout', 'timeout'],
  ['conntimeout', 'connTimeout'],
  ['readtimeout', 'readTimeout'],
  ['socketprotocol', 'socketProtocol'],
  ['msgheadlength', 'msgheadlength'],
  ['headerlength', 'headerLength'],
  ['encodetype', 'encodetype'],
  ['tlscafile', 'tlsCaFile'],
  ['tlscertfile', 'tlsCertFile'],
  ['tlskeyfile', 'tlsKeyFile'],
  ['tlsservername', 'tlsServerName'],
]);

interface Pair {
  key: string;
  value: string;
  line: number;
}

/** One section as scanned: its name as first written, its first line, its pairs by lower-case key. */
interface SectionInfo {
  name: string;
  line: number;
  pairs: Map<string, Pair>;
}

/** `HOST 1` / `host1` → `host1`; `LOGGER` → `logger`; other names lower-cased. `HOST01` stays apart (the SDK does not read it as 1). */
function sectionKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.startsWith('host')) {
    const digits = lower.slice(4).trim();
    if (/^[1-9]\d*$/.test(digits)) return `host${digits}`;
  }
  return lower;
}

/** Groups entries by section. Repeats are merged, the first value of a key winning (as the SDK), with a warning. */
function indexSections(scan: ScannedText, warnings: ConfigWarning[]): Map<string, SectionInfo> {
  const sections = new Map<string, SectionInfo>();
  let current: SectionInfo | undefined;
  for (const entry of scan.entries) {
    if (entry.kind === 'section') {
      const key = sectionKey(entry.name);
      const seen = sections.get(key);
      if (seen) {
        warnings.push({ message: `[${entry.name}] repeats [${seen.name}] of line ${seen.line}: its keys are added, the first value of each key wins`, line: entry.line, section: entry.name });
        current = seen;
      } else {
        current = { name: entry.name, line: entry.line, pairs: new Map() };
        sections.set(key, current);
      }
      continue;
    }
    if (!current) {
      warnings.push({ message: `key "${entry.key}" outside any section is ignored`, line: entry.line, key: entry.key });
      continue;
    }
    const lowerKey = entry.key.toLowerCase();
    const prev = current.pairs.get(lowerKey);
    if (prev) {
      warnings.push({ message: `"${entry.key}" repeats line ${prev.line}: the first value is used`, line: entry.line, section: current.name, key: entry.key });
      continue;
    }
    current.pairs.set(lowerKey, { key: entry.key, value: entry.value, line: entry.line });
  }
  return sections;
}

/** Reads one section's values while keeping the line index for messages. */
class SectionReader {
  constructor(
    private readonly source: string,
    private readonly info: SectionInfo,
  ) {}

  get name(): string {
    return this.info.name;
  }

  /** The value as text, or undefined when absent or empty (the SDK treats an empty value as absent). */
  get(lowerKey: string): string | undefined {
    const v = this.info.pairs.get(lowerKey)?.value;
    return v === '' ? undefined : v;
  }

  lineOf(lowerKey: string): number | undefined {
    return this.info.pairs.get(lowerKey)?.line;
  }

  fail(lowerKey: string | undefined, problem: string): never {
    const pair = lowerKey ? this.info.pairs.get(lowerKey) : undefined;
    throw new CacipherConfigError(
      {
        source: this.source,
        line: pair?.line ?? this.info.line,
        section: this.info.name,
        key: pair?.key ?? (lowerKey ? (HOST_KEYS.get(lowerKey) ?? LOGGER_KEYS.get(lowerKey)) : undefined),
      },
      problem,
    );
  }

  warnUnknown(known: Map<string, string>, warnings: ConfigWarning[]): void {
    for (const [lower, pair] of this.info.pairs) {
      if (!known.has(lower)) {
        warnings.push({ message: `unknown key "${pair.key}" in [${this.info.name}] is ignored`, line: pair.line, section: this.info.name, key: pair.key });
      }
    }
  }

  required(lowerKey: string, canonical: string): string {
    const v = this.get(lowerKey);
    if (v === undefined) this.fail(undefined, `missing required key "${canonical}"`);
    return v;
  }

  /** Positive seconds, decimals allowed, at most MAX_TIMEOUT_S (Node's timers hold no more). */
  seconds(lowerKey: string): number | undefined {
    const v = this.get(lowerKey);
    if (v === undefined) return undefined;
    if (!/^\d{1,10}(\.\d{1,6})?$/.test(v) || Number(v) <= 0) this.fail(lowerKey, `"${v}" is not a positive number of seconds${inlineCommentHint(v)}`);
    if (Number(v) > MAX_TIMEOUT_S) this.fail(lowerKey, `${v} s is more than ${MAX_TIMEOUT_S} s (about 24.8 days), the longest timeout a timer holds`);
    return Number(v);
  }

  integer(lowerKey: string, min: number, max: number, what: string): number | undefined {
    const v = this.get(lowerKey);
    if (v === undefined) return undefined;
    if (!/^[-+]?\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) this.fail(lowerKey, `"${v}" is not ${what} (${min} to ${max})${inlineCommentHint(v)}`);
    return Number(v);
  }
}

function parseLogger(reader: SectionReader | undefined, warnings: ConfigWarning[]): LoggerConfig {
  if (!reader) return { categories: [], logPath: undefined };
  reader.warnUnknown(LOGGER_KEYS, warnings);
  const categories: LogCategory[] = [];
  for (const word of (reader.get('logsw') ?? '').split(/[\s,|+]/)) {
    if (word === '') continue;
    const lower = word.toLowerCase();
    if ((LOG_CATEGORIES as readonly string[]).includes(lower)) {
      if (!categories.includes(lower as LogCategory)) categories.push(lower as LogCategory);
    } else {
      warnings.push({ message: `unknown logsw category "${word}" is ignored`, section: reader.name, key: 'logsw', line: reader.lineOf('logsw') });
    }
  }
  return { categories, logPath: reader.get('logpath') };
}

function parseModel(reader: SectionReader): HsmModel {
  const text = reader.required('hsmmodel', 'hsmModel');
  if ((HSM_MODELS as readonly string[]).includes(text)) return text as HsmModel;
  if (text.toUpperCase() === 'SJJ1310') reader.fail('hsmmodel', `"${text}": hsmModel is case-sensitive, write SJJ1310 (the vendor SDK refuses other spellings)`);
  reader.fail('hsmmodel', `no driver for hsmModel "${text}": this client, like the vendor SDK's SJJ1310 driver, speaks ${HSM_MODELS.join(', ')} only`);
}

function parseProtocol(reader: SectionReader): SocketProtocol {
  const text = reader.get('socketprotocol') ?? 'TCP';
  if (text.toUpperCase() === 'TCP') return 'TCP';
  if (text.toUpperCase() === 'TLSV1.2') return 'TLSv1.2';
  reader.fail('socketprotocol', `"${text}" is not TCP or TLSv1.2${inlineCommentHint(text)}`);
}

function parseHost(index: number, reader: SectionReader, warnings: ConfigWarning[]): HostConfig {
  reader.warnUnknown(HOST_KEYS, warnings);
  const hsmModel = parseModel(reader);
  const host = reader.required('host', 'host');
  const problem = hostProblem(host);
  if (problem) reader.fail('host', `"${host}" ${problem}${inlineCommentHint(host)}`);
  const portText = reader.required('port', 'port');
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    reader.fail('port', `"${portText}" is not a port number (1-65535)${inlineCommentHint(portText)}`);
  }
  const timeout = reader.seconds('timeout') ?? DEFAULT_TIMEOUT_S;
  const socketProtocol = parseProtocol(reader);
  const tlsFields = {
    caFile: reader.get('tlscafile'),
    certFile: reader.get('tlscertfile'),
    keyFile: reader.get('tlskeyfile'),
    serverName: reader.get('tlsservername'),
  };
  if ((tlsFields.certFile === undefined) !== (tlsFields.keyFile === undefined)) {
    reader.fail(tlsFields.certFile === undefined ? 'tlskeyfile' : 'tlscertfile', 'tlsCertFile and tlsKeyFile go together');
  }
  const headerKey = reader.get('msgheadlength') !== undefined ? 'msgheadlength' : 'headerlength';
  const headerLength = reader.integer(headerKey, 0, MAX_HEADER_LENGTH, 'a header length');
  const encodeType = reader.get('encodetype');
  if (encodeType !== undefined && !['GBK', 'UTF-8', 'UTF8'].includes(encodeType.toUpperCase())) {
    warnings.push({ message: `encodetype "${encodeType}" is not GBK or UTF-8; it has no effect anyway (labels are sent as UTF-8)`, section: reader.name, key: 'encodetype', line: reader.lineOf('encodetype') });
  }
  const out: HostConfig = {
    index,
    name: `HOST${index}`,
    hsmModel,
    host,
    port: Number(portText),
    linkNum: reader.integer('linknum', -1000, 1000, 'a whole number of connections') ?? DEFAULT_LINK_NUM,
    timeout,
    connTimeout: reader.seconds('conntimeout') ?? timeout,
    readTimeout: reader.seconds('readtimeout') ?? timeout,
    socketProtocol,
    tls: socketProtocol === 'TLSv1.2' ? dropUndefined(tlsFields) : undefined,
  };
  if (headerLength !== undefined) out.headerLength = headerLength;
  if (encodeType !== undefined) out.encodeType = encodeType;
  return out;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Parses scanned text: the common step behind the file and the string form. */
function parseScanned(scan: ScannedText, options: ParseOptions): ParsedCacipher {
  const warnings: ConfigWarning[] = [...scan.warnings];
  const sections = indexSections(scan, warnings);
  const readerFor = (key: string): SectionReader | undefined => {
    const info = sections.get(key);
    return info ? new SectionReader(scan.source, info) : undefined;
  };
  const logger = parseLogger(readerFor('logger'), warnings);
  const hosts: HostConfig[] = [];
  for (let n = 1; sections.has(`host${n}`); n++) hosts.push(parseHost(n, readerFor(`host${n}`) as SectionReader, warnings));
  if (hosts.length === 0) {
    throw new CacipherConfigError({ source: scan.source }, 'no [HOST1] section: at least one device is required (hosts are read from [HOST1] until the numbering breaks)');
  }
  for (const [key, info] of sections) {
    if (key === 'logger') continue;
    const hostMatch = /^host(\d+)$/.exec(key);
    if (hostMatch && Number(hostMatch[1]) <= hosts.length) continue;
    const message = key.startsWith('host')
      ? `[${info.name}] is ignored: hosts are read from [HOST1] until the numbering breaks after [HOST${hosts.length}]`
      : `unknown section [${info.name}] is ignored`;
    warnings.push({ message, line: info.line, section: info.name });
  }
  warnDuplicateHosts(hosts, sections, warnings);
  if (options.checkLogPath !== false && logger.logPath !== undefined) {
    const problem = logPathProblem(logger.logPath, options.baseDir);
    if (problem) {
      const info = sections.get('logger');
      warnings.push({ message: `${problem}: no log file is written`, line: info?.pairs.get('logpath')?.line, section: info?.name ?? 'LOGGER', key: 'logPath' });
    }
  }
  const config: CacipherConfig = { logger, hosts };
  return { config, warnings };
}

/** Two sections naming the same device make failover between them no failover. */
function warnDuplicateHosts(hosts: HostConfig[], sections: Map<string, SectionInfo>, warnings: ConfigWarning[]): void {
  const seen = new Map<string, HostConfig>();
  for (const h of hosts) {
    const id = `${h.host.toLowerCase()}:${h.port}`;
    const first = seen.get(id);
    if (first) {
      const info = sections.get(h.name.toLowerCase());
      warnings.push({ message: `${id} is also [${first.name}]: failover between them is no failover`, line: info?.pairs.get('host')?.line ?? info?.line, section: info?.name ?? h.name, key: 'host' });
    }
    seen.set(id, h);
  }
}

function logPathProblem(logPath: string, baseDir: string | undefined): string | undefined {
  const full = resolve(baseDir ?? process.cwd(), logPath);
  let st: Stats;
  try {
    st = statSync(full);
  } catch {
    return `log directory "${logPath}" (${full}) does not exist`;
  }
  if (!st.isDirectory()) return `logPath "${logPath}" (${full}) is not a directory`;
  try {
    accessSync(full, constants.W_OK);
  } catch {
    return `log directory "${logPath}" (${full}) is not writable`;
  }
  return undefined;
}

/** Parses the file form's text. `source` names the file in messages. */
export function parseCacipherText(text: string, source = 'cacipher.ini', options: ParseOptions = {}): ParsedCacipher {
  return parseScanned(scanLines(splitFileLines(text, source), source, 'file'), options);
}

/** Parses the string form `{[LOGGER];logsw=error;…;[HOST1];…}` (ends with `}` or `};`). */
export function parseCacipherString(text: string, options: ParseOptions = {}): ParsedCacipher {
  return parseScanned(scanLines(splitStringForm(text), '<string>', 'string'), options);
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a configuration file safely: only a regular file of at most MAX_CONFIG_BYTES. The path is
 * checked before opening (a FIFO would block, /dev/zero never ends), then opened without
 * blocking and checked again on the descriptor (the path may have changed in between).
 */
export function readConfigFile(path: string, what = 'configuration file'): string {
  const refuse = (problem: string): never => {
    throw new CacipherConfigError({ source: path }, `cannot read the ${what}: ${problem}`);
  };
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return refuse((err as Error).message);
  }
  const check = (s: Stats): void => {
    if (!s.isFile()) refuse(`it is ${kindOf(s)}; only a regular file is read`);
    if (s.size > MAX_CONFIG_BYTES) refuse(`it is ${s.size} bytes; at most ${MAX_CONFIG_BYTES} are read`);
  };
  check(st);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return refuse((err as Error).message);
  }
  try {
    check(fstatSync(fd));
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_BYTES) refuse(`it grew past ${MAX_CONFIG_BYTES} bytes while being read`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses a cacipher.ini file. */
export function loadCacipherFile(path: string, options: ParseOptions = {}): ParsedCacipher {
  return parseCacipherText(readConfigFile(path), path, options);
}

/** The vendor's `getInstance` argument: a `{…}` string is the string form, anything else a file path. */
export function loadCacipher(pathOrString: string, options: ParseOptions = {}): ParsedCacipher {
  return pathOrString.trim().startsWith('{') ? parseCacipherString(pathOrString, options) : loadCacipherFile(pathOrString, options);
}

/** Formats a warning the way the logger and CLI print it. */
export function formatWarning(source: string, w: ConfigWarning): string {
  return `${describeLocation({ source, line: w.line, section: w.section, key: w.key })}: ${w.message}`;
}
