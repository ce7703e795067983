/**
 * cacipher configuration: validation of the vendor's fields on top of the `ini` decoder.
 * Rules (see docs/cacipher.md): case-insensitive names, `[HOSTn]` read from 1 until the numbering
 * breaks, `timeout` default 6 s with `connTimeout`/`readTimeout` falling back to it, `linkNum`
 * default -10, `socketProtocol` TCP or TLSv1.2. Malformed values are errors naming the line and
 * key; unknown sections and keys are warnings (real files carry vendor fields we do not use).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import ini from 'ini';
import { CacipherConfigError, describeLocation } from '../errors.ts';
import { scanLines, splitStringForm, type Entry, type ScannedText } from './lines.ts';
import {
  HSM_MODELS,
  LOG_CATEGORIES,
  type CacipherConfig,
  type ConfigWarning,
  type HostConfig,
  type HsmModel,
  type LogCategory,
  type LoggerConfig,
  type ParsedCacipher,
  type SocketProtocol,
} from './types.ts';

export interface ParseOptions {
  /** Directory a relative `logPath` is checked against; default: the process's working directory. */
  baseDir?: string;
  /** Check that `logPath` exists and is writable (default true; the client needs it to log). */
  checkLogPath?: boolean;
}

const DEFAULT_LINK_NUM = -10;
const DEFAULT_TIMEOUT_S = 6;

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
  ['tlscafile', 'tlsCaFile'],
  ['tlscertfile', 'tlsCertFile'],
  ['tlskeyfile', 'tlsKeyFile'],
  ['tlsservername', 'tlsServerName'],
  ['headerlength', 'headerLength'],
]);

/** One section as scanned: its first line, its pairs by lower-case key with their lines. */
interface SectionInfo {
  name: string;
  line: number;
  pairs: Map<string, { key: string; line: number }>;
}

/** Groups entries by section, rejecting duplicate sections and duplicate keys (naming both lines). */
function indexSections(scan: ScannedText, warnings: ConfigWarning[]): Map<string, SectionInfo> {
  const sections = new Map<string, SectionInfo>();
  let current: SectionInfo | undefined;
  for (const entry of scan.entries as Entry[]) {
    if (entry.kind === 'section') {
      const lower = entry.name.toLowerCase();
      const seen = sections.get(lower);
      if (seen) {
        throw new CacipherConfigError(
          { source: scan.source, line: entry.line, section: entry.name },
          `duplicate section (first defined at line ${seen.line} as [${seen.name}])`,
        );
      }
      current = { name: entry.name, line: entry.line, pairs: new Map() };
      sections.set(lower, current);
      continue;
    }
    if (!current) {
      warnings.push({ message: `key "${entry.key}" outside any section is ignored`, line: entry.line, key: entry.key });
      continue;
    }
    const lowerKey = entry.key.toLowerCase();
    const prev = current.pairs.get(lowerKey);
    if (prev) {
      throw new CacipherConfigError(
        { source: scan.source, line: entry.line, section: current.name, key: entry.key },
        `duplicate key (first set at line ${prev.line})`,
      );
    }
    current.pairs.set(lowerKey, { key: entry.key, line: entry.line });
  }
  return sections;
}

/** Reads values from the `ini` result while keeping the line index for messages. */
class SectionReader {
  constructor(
    private readonly source: string,
    private readonly info: SectionInfo,
    private readonly values: Record<string, unknown>,
  ) {}

  /** The value as text, or undefined when absent. `ini` turns true/false/null into JSON values. */
  get(lowerKey: string): string | undefined {
    if (!this.info.pairs.has(lowerKey)) return undefined;
    const v = this.values[lowerKey];
    return v === undefined ? undefined : String(v);
  }

  fail(lowerKey: string | undefined, problem: string): never {
    const pair = lowerKey ? this.info.pairs.get(lowerKey) : undefined;
    throw new CacipherConfigError(
      {
        source: this.source,
        line: pair?.line ?? this.info.line,
        section: this.info.name,
        key: pair?.key ?? (lowerKey ? HOST_KEYS.get(lowerKey) ?? LOGGER_KEYS.get(lowerKey) : undefined),
      },
      problem,
    );
  }

  warnUnknown(known: Map<string, string>, warnings: ConfigWarning[]): void {
    for (const [lower, pair] of this.info.pairs) {
      if (!known.has(lower)) {
        warnings.push({
          message: `unknown key "${pair.key}" in [${this.info.name}] is ignored`,
          line: pair.line,
          section: this.info.name,
          key: pair.key,
        });
      }
    }
  }

  required(lowerKey: string, canonical: string): string {
    const v = this.get(lowerKey);
    if (v === undefined || v === '') this.fail(undefined, `missing required key "${canonical}"`);
    return v;
  }

  /** Positive seconds; decimals allowed (tests use sub-second timeouts). */
  seconds(lowerKey: string): number | undefined {
    const v = this.get(lowerKey);
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) {
      this.fail(lowerKey, `"${v}" is not a positive number of seconds`);
    }
    return Number(v);
  }
}

function parseLogger(reader: SectionReader | undefined, warnings: ConfigWarning[]): LoggerConfig {
  if (!reader) return { categories: [], logPath: undefined };
  reader.warnUnknown(LOGGER_KEYS, warnings);
  const categories: LogCategory[] = [];
  for (const word of (reader.get('logsw') ?? '').split(/[\s,|+]+/)) {
    if (word === '') continue;
    const lower = word.toLowerCase();
    if ((LOG_CATEGORIES as readonly string[]).includes(lower)) {
      if (!categories.includes(lower as LogCategory)) categories.push(lower as LogCategory);
    } else {
      warnings.push({ message: `unknown logsw category "${word}" is ignored`, section: 'LOGGER', key: 'logsw' });
    }
  }
  const logPath = reader.get('logpath');
  return { categories, logPath: logPath === '' ? undefined : logPath };
}

function parseHost(index: number, reader: SectionReader, warnings: ConfigWarning[]): HostConfig {
  reader.warnUnknown(HOST_KEYS, warnings);
  const modelText = reader.required('hsmmodel', 'hsmModel');
  const model = HSM_MODELS.find((m) => m.toLowerCase() === modelText.toLowerCase());
  if (!model) reader.fail('hsmmodel', `unknown hsmModel "${modelText}" (known: ${HSM_MODELS.join(', ')})`);
  const host = reader.required('host', 'host');
  if (/\s/.test(host)) reader.fail('host', `"${host}" is not a host name or IP address`);
  const portText = reader.required('port', 'port');
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    reader.fail('port', `"${portText}" is not a port number (1-65535)`);
  }
  const linkText = reader.get('linknum');
  let linkNum = DEFAULT_LINK_NUM;
  if (linkText !== undefined) {
    if (!/^[-+]?\d+$/.test(linkText) || Number(linkText) === 0) {
      reader.fail('linknum', `"${linkText}" is not a non-zero whole number`);
    }
    linkNum = Number(linkText);
  }
  const timeout = reader.seconds('timeout') ?? DEFAULT_TIMEOUT_S;
  const protoText = reader.get('socketprotocol') ?? 'TCP';
  let socketProtocol: SocketProtocol;
  if (protoText.toUpperCase() === 'TCP') socketProtocol = 'TCP';
  else if (protoText.toUpperCase() === 'TLSV1.2') socketProtocol = 'TLSv1.2';
  else reader.fail('socketprotocol', `"${protoText}" is not TCP or TLSv1.2`);
  const tlsFields = {
    caFile: reader.get('tlscafile'),
    certFile: reader.get('tlscertfile'),
    keyFile: reader.get('tlskeyfile'),
    serverName: reader.get('tlsservername'),
  };
  if ((tlsFields.certFile === undefined) !== (tlsFields.keyFile === undefined)) {
    reader.fail(tlsFields.certFile === undefined ? 'tlskeyfile' : 'tlscertfile', 'tlsCertFile and tlsKeyFile go together');
  }
  const tls = socketProtocol === 'TLSv1.2' ? dropUndefined(tlsFields) : undefined;
  const headerText = reader.get('headerlength');
  if (headerText !== undefined && (!/^\d+$/.test(headerText) || Number(headerText) < 1 || Number(headerText) > 32)) {
    reader.fail('headerlength', `"${headerText}" is not a header length (1-32)`);
  }
  return {
    index,
    name: `HOST${index}`,
    hsmModel: model as HsmModel,
    host,
    port: Number(portText),
    linkNum,
    timeout,
    connTimeout: reader.seconds('conntimeout') ?? timeout,
    readTimeout: reader.seconds('readtimeout') ?? timeout,
    socketProtocol,
    tls,
    ...(headerText === undefined ? {} : { headerLength: Number(headerText) }),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Parses scanned text: the common step behind the file and the string form. */
function parseScanned(scan: ScannedText, options: ParseOptions): ParsedCacipher {
  const warnings: ConfigWarning[] = [];
  const sections = indexSections(scan, warnings);
  const decoded = ini.parse(scan.iniText) as Record<string, unknown>;
  const readerFor = (lower: string): SectionReader | undefined => {
    const info = sections.get(lower);
    if (!info) return undefined;
    const values = (decoded[lower] ?? {}) as Record<string, unknown>;
    return new SectionReader(scan.source, info, values);
  };

  const logger = parseLogger(readerFor('logger'), warnings);
  const hosts: HostConfig[] = [];
  for (let n = 1; sections.has(`host${n}`); n++) {
    const reader = readerFor(`host${n}`);
    if (reader) hosts.push(parseHost(n, reader, warnings));
  }
  if (hosts.length === 0) {
    throw new CacipherConfigError({ source: scan.source }, 'no [HOST1] section: at least one device is required');
  }
  for (const [lower, info] of sections) {
    if (lower === 'logger') continue;
    const hostMatch = /^host(\d+)$/.exec(lower);
    if (hostMatch && Number(hostMatch[1]) >= 1 && Number(hostMatch[1]) <= hosts.length && String(Number(hostMatch[1])) === hostMatch[1]) continue;
    const message = hostMatch
      ? `[${info.name}] is ignored: hosts are read from [HOST1] until the numbering breaks after [HOST${hosts.length}]`
      : `unknown section [${info.name}] is ignored`;
    warnings.push({ message, line: info.line, section: info.name });
  }
  rejectDuplicateHosts(hosts, sections, scan.source);
  if (options.checkLogPath !== false && logger.logPath !== undefined) {
    checkLogPath(logger.logPath, options.baseDir, scan.source, sections.get('logger'));
  }
  const config: CacipherConfig = { logger, hosts };
  return { config, warnings };
}

/** Two sections naming the same device would make failover a no-op and double the pool. */
function rejectDuplicateHosts(hosts: HostConfig[], sections: Map<string, SectionInfo>, source: string): void {
  const seen = new Map<string, HostConfig>();
  for (const h of hosts) {
    const id = `${h.host.toLowerCase()}:${h.port}`;
    const first = seen.get(id);
    if (first) {
      const info = sections.get(h.name.toLowerCase());
      throw new CacipherConfigError(
        { source, line: info?.pairs.get('host')?.line ?? info?.line, section: info?.name ?? h.name, key: 'host' },
        `duplicate host ${id}: already configured in [${first.name}]`,
      );
    }
    seen.set(id, h);
  }
}

function checkLogPath(logPath: string, baseDir: string | undefined, source: string, info: SectionInfo | undefined): void {
  const full = resolve(baseDir ?? process.cwd(), logPath);
  const loc = { source, line: info?.pairs.get('logpath')?.line, section: info?.name ?? 'LOGGER', key: 'logPath' };
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw new CacipherConfigError(loc, `log directory "${logPath}" (${full}) does not exist`);
  }
  if (!isDir) throw new CacipherConfigError(loc, `logPath "${logPath}" (${full}) is not a directory`);
  try {
    accessSync(full, constants.W_OK);
  } catch {
    throw new CacipherConfigError(loc, `log directory "${logPath}" (${full}) is not writable`);
  }
}

/** Parses the file form's text. `source` names the file in messages. */
export function parseCacipherText(text: string, source = 'cacipher.ini', options: ParseOptions = {}): ParsedCacipher {
  return parseScanned(scanLines(text.replace(/^\uFEFF/, '').split(/\r?\n/), source), options);
}

/** Parses the string form `{[LOGGER];logsw=error;…;[HOST1];…}` (ends with `}` or `};`). */
export function parseCacipherString(text: string, options: ParseOptions = {}): ParsedCacipher {
  return parseScanned(scanLines(splitStringForm(text), '<string>'), options);
}

/** Reads and parses a cacipher.ini file. */
export function loadCacipherFile(path: string, options: ParseOptions = {}): ParsedCacipher {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CacipherConfigError({ source: path }, `cannot read the configuration file: ${(err as Error).message}`);
  }
  return parseCacipherText(text, path, options);
}

/** The vendor's `getInstance` argument: a `{…}` string is the string form, anything else a file path. */
export function loadCacipher(pathOrString: string, options: ParseOptions = {}): ParsedCacipher {
  return pathOrString.trim().startsWith('{')
    ? parseCacipherString(pathOrString, options)
    : loadCacipherFile(pathOrString, options);
}

/** Formats a warning the way the logger and CLI print it. */
export function formatWarning(source: string, w: ConfigWarning): string {
  return `${describeLocation({ source, line: w.line, section: w.section, key: w.key })}: ${w.message}`;
}
