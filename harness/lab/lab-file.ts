/**
 * The lab file: what the `hardware` target needs to find a bench (docs/lab-file.md).
 * JSON, so it needs no parser beyond a small located one (json-located.ts); device hosts are given
 * in cacipher form (a path to a cacipher.ini or the `{…}` string form) and parsed by the EVSM
 * client's own parser, so the bench is addressed exactly as an application would address it.
 * PINs are never in the file: it names the environment variables that hold them.
 *
 * Strict: an unknown key, a wrong type, a value out of range, broken JSON or a file that is not a
 * regular file of at most 1 MiB is an error, one line `FILE:LINE:COLUMN: field: message` (with
 * "did you mean" for a mistyped key). A typo must not silently change what the bench does: a
 * misspelt `managementPort` would otherwise switch a device to the operator path.
 */
import { statSync, type Stats } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadCacipher } from '../../drivers/evsm/config/parse.ts';
import type { CacipherConfig, HostConfig } from '../../drivers/evsm/config/types.ts';
import type { PinProvider } from '../../drivers/ukey/pins.ts';
import { childPath, JsonSyntaxError, parseJsonLocated, type Located, type Pos } from './json-located.ts';
import { closest } from './suggest.ts';
import { LabReadError, notAReadableFile, readLabText } from './read-file.ts';

export const DEVICE_NAMES = ['A', 'B', 'C'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/**
 * How token and confirmation prompts are answered: `station` (the operator station page,
 * docs/station.md; the default), `console` (the terminal), `pool` (rehearsal: the token pool).
 */
export type OperatorMode = 'station' | 'console' | 'pool';

export const OPERATOR_MODES: readonly OperatorMode[] = ['station', 'console', 'pool'];

export { LAB_FILE_MAX_BYTES, readLabText } from './read-file.ts';
/**
 * Longest prompt timeout: a day. Also keeps every timer the harness derives from it well inside
 * Node's 2^31 − 1 ms limit (beyond it a timer fires at once).
 */
export const MAX_TIMEOUT_SECONDS = 86_400;

export { defaultLabFile, REHEARSAL_LAB } from './which-lab.ts';

export interface LabDeviceEntry {
  name: DeviceName;
  /** The `[HOSTn]` section of the cacipher configuration this device is. */
  host: HostConfig;
  /** Port of the documented management protocol (docs/management-protocol.md); absent = operator does device steps in VsmManager. */
  managementPort: number | undefined;
  serial: string | undefined;
}

export interface UsbId {
  vid: number;
  pid: number;
  name: string;
}

export interface LabFile {
  path: string;
  /** The lab's name (`lab`), else UNNAMED_LAB. */
  lab: string;
  /** Whether the file names the lab: only then do the reports print `lab` as the lab's name. */
  labNamed: boolean;
  cacipher: CacipherConfig;
  devices: LabDeviceEntry[];
  pkcs11Module: string;
  usb: UsbId[];
  pinEnv: { user: string; so: string };
  /** `timeoutSeconds`: how long one prompt waits; a hardware test's timeout grows by it per prompt. */
  operator: { mode: OperatorMode; timeoutSeconds: number; port: number };
  /**
   * `operatorManagementPorts`: the rehearsal's scripted bench operator does the VsmManager steps
   * itself through these emulator management ports; the harness never sees them.
   */
  rehearsal: { startEmulators: boolean; tokens: number; portStride: number; operatorManagementPorts: Partial<Record<DeviceName, number>> } | undefined;
}

/** `lab` when the file gives none. */
export const UNNAMED_LAB = 'unnamed lab';

export class LabFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
    readonly pos?: Pos,
  ) {
    // One line, as compilers print it, so editors and terminals can jump to it.
    super(`${file}${pos ? `:${pos.line}:${pos.column}` : ''}: ${field ? `${field}: ` : ''}${detail.replace(/\s*\n\s*/g, ' ')}`);
    this.name = 'LabFileError';
  }
}

/** The known keys of each object in a lab file (`*` any device name, `[]` any list item). */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': ['lab', 'cacipher', 'devices', 'pkcs11', 'tokens', 'pins', 'operator', 'rehearsal'],
  'devices.*': ['host', 'managementPort', 'serial'],
  pkcs11: ['module'],
  tokens: ['usb'],
  'tokens.usb[]': ['vid', 'pid', 'name'],
  pins: ['userEnv', 'soEnv'],
  operator: ['mode', 'timeoutSeconds', 'port'],
  rehearsal: ['startEmulators', 'tokens', 'portStride', 'operatorManagementPorts'],
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Exactly the loopback network: a 127.0.0.0/8 address literal, ::1 or `localhost`. Not a prefix
 * test: `127.0.0.1.evil.com` is a DNS name that can point anywhere.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family === 4 ? LOOPBACK.check(host, 'ipv4') : family === 6 ? LOOPBACK.check(host, 'ipv6') : false;
}

/** Parses lab file text. `path` is used in messages and to resolve relative paths. */
export function parseLabFile(text: string, path: string): LabFile {
  let doc: Located;
  try {
    doc = parseJsonLocated(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new LabFileError(path, '', `not valid JSON: ${e.message}`, e.pos);
    throw e;
  }
  const base = dirname(path);
  /** An error about the value at `field` (or, with `atKey`, about its key). */
  const err = (field: string, message: string, atKey = false): never => {
    throw new LabFileError(path, field, message, atKey ? doc.keyAt(field) : doc.valueAt(field));
  };
  /** `v` as an object whose keys are the known ones of `pattern` (null: keys checked by the caller). */
  const obj = (field: string, v: unknown, pattern: string | null): Obj => {
    if (!isObj(v)) return err(field, 'expected an object { … }');
    if (pattern === null) return v;
    const known = KNOWN_KEYS[pattern];
    for (const k of Object.keys(v)) {
      if (known.includes(k)) continue;
      const f = childPath(field, k);
      // A key under "pins" that is no variable name is most likely a PIN written into the file.
      if (field === 'pins' && !/Env$/.test(k)) err(f, 'PINs are never written in a lab file: name environment variables with "userEnv" and "soEnv"', true);
      const near = closest(k, known) ?? (field === '' && /^(lab)?name$/i.test(k) ? 'lab' : undefined);
      const where = field === '' ? 'at the top level' : `in ${field}`;
      throw new LabFileError(path, '', `unknown key "${k}" ${where}${near ? ` (did you mean "${near}"?)` : `; known keys here: ${known.join(', ')}`}`, doc.keyAt(f));
    }
    return v;
  };
  const optObj = (field: string, v: unknown, pattern: string): Obj => (v === undefined ? {} : obj(field, v, pattern));
  const str = (field: string, v: unknown, fallback?: string): string => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined) return err(field.includes('.') ? field.slice(0, field.lastIndexOf('.')) : '', `"${field.split('.').pop()}" is missing (a non-empty string)`);
    if (typeof v !== 'string' || v === '') return err(field, 'expected a non-empty string');
    return v;
  };
  const int = (field: string, v: unknown, min: number, max: number, fallback: number, what: string): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return err(field, `expected ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (field: string, v: unknown, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') return err(field, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const deviceName = (field: string, name: string): DeviceName => {
    if ((DEVICE_NAMES as readonly string[]).includes(name)) return name as DeviceName;
    const near = closest(name, DEVICE_NAMES);
    return err(field, `device names are ${DEVICE_NAMES.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`, true);
  };

  const raw = obj('', doc.value, '');
  const lab = str('lab', raw.lab, UNNAMED_LAB);

  const cacipherSrc = str('cacipher', raw.cacipher);
  const isStringForm = cacipherSrc.trim().startsWith('{');
  const cacipherArg = isStringForm || isAbsolute(cacipherSrc) ? cacipherSrc : resolve(base, cacipherSrc);
  if (!isStringForm) {
    let st: Stats | undefined;
    try {
      st = statSync(cacipherArg);
    } catch {
      // missing or unreadable: the cacipher parser says so in its words
    }
    const why = st && notAReadableFile(st);
    if (why) err('cacipher', `${cacipherArg}: ${why.replace('lab file', 'cacipher file')}`);
  }
  let cacipher: CacipherConfig;
  try {
    // The harness keeps no client logs of its own on the bench; logPath is the application's concern.
    cacipher = loadCacipher(cacipherArg, { baseDir: base, checkLogPath: false }).config;
  } catch (e) {
    return err('cacipher', (e as Error).message);
  }

  const devicesRaw = obj('devices', raw.devices !== undefined ? raw.devices : err('', '"devices" is missing: an object { "A": { "host": "HOST1" }, … }'), null);
  const devices: LabDeviceEntry[] = [];
  for (const [key, value] of Object.entries(devicesRaw)) {
    const field = `devices.${key}`;
    const name = deviceName(field, key);
    const d = obj(field, value, 'devices.*');
    const hostName = str(`${field}.host`, d.host).toUpperCase();
    const host = cacipher.hosts.find((h) => h.name.toUpperCase() === hostName);
    if (!host) err(`${field}.host`, `no [${hostName}] in the cacipher configuration (it has ${cacipher.hosts.map((h) => h.name).join(', ') || 'none'})`);
    const managementPort = d.managementPort === undefined ? undefined : int(`${field}.managementPort`, d.managementPort, 1, 65535, 0, 'a port number 1..65535');
    if (d.serial !== undefined && typeof d.serial !== 'string') err(`${field}.serial`, 'expected a string');
    devices.push({ name, host: host!, managementPort, serial: d.serial as string | undefined });
  }
  if (devices.length === 0) err('devices', 'name at least device A');

  const pkcs11 = obj('pkcs11', raw.pkcs11 !== undefined ? raw.pkcs11 : err('', '"pkcs11" is missing: { "module": "/path/to/the/ukey-pkcs11.so" }'), 'pkcs11');
  const moduleRaw = str('pkcs11.module', pkcs11.module);
  const pkcs11Module = isAbsolute(moduleRaw) ? moduleRaw : resolve(base, moduleRaw);

  const tokens = optObj('tokens', raw.tokens, 'tokens');
  const usbRaw = tokens.usb === undefined ? [] : tokens.usb;
  if (!Array.isArray(usbRaw)) err('tokens.usb', 'expected a list of { "vid", "pid", "name" }');
  const usb = (usbRaw as unknown[]).map((u, i) => {
    const field = `tokens.usb[${i}]`;
    const o = obj(field, u, 'tokens.usb[]');
    const id = (k: 'vid' | 'pid'): number => {
      const v = o[k];
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x)?[0-9a-f]{1,4}$/i.test(v) ? parseInt(v, 16) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) err(`${field}.${k}`, `expected a 16-bit id like "0x096e", got ${JSON.stringify(v)}`);
      return n;
    };
    return { vid: id('vid'), pid: id('pid'), name: str(`${field}.name`, o.name, '') || `token ${i + 1}` };
  });

  const pins = optObj('pins', raw.pins, 'pins');
  const envName = (field: string, v: unknown, fallback: string): string => {
    const name = str(field, v, fallback);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) err(field, 'expected an environment variable name (letters, digits, _), not a PIN');
    return name;
  };
  const pinEnv = { user: envName('pins.userEnv', pins.userEnv, 'EVSM_LAB_UKEY_PIN'), so: envName('pins.soEnv', pins.soEnv, 'EVSM_LAB_UKEY_SO_PIN') };

  const op = optObj('operator', raw.operator, 'operator');
  const mode = op.mode === undefined ? 'station' : op.mode;
  if (!(OPERATOR_MODES as readonly unknown[]).includes(mode)) {
    const near = typeof mode === 'string' ? closest(mode, OPERATOR_MODES) : undefined;
    err('operator.mode', `expected "station" (the operator station page), "console" (a person at the terminal) or "pool" (rehearsal: the token pool answers)${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  // The station's port on 127.0.0.1 (0: any free port; the run prints the URL).
  const stationPort = int('operator.port', op.port, 0, 65535, 0, 'a port number 0..65535 (0: any free port)');
  const timeoutSeconds = op.timeoutSeconds === undefined ? 300 : op.timeoutSeconds;
  if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    err('operator.timeoutSeconds', `expected seconds a prompt waits, more than 0 and at most ${MAX_TIMEOUT_SECONDS} (a day), got ${JSON.stringify(timeoutSeconds)}`);
  }

  let rehearsal: LabFile['rehearsal'];
  if (raw.rehearsal !== undefined) {
    const r = obj('rehearsal', raw.rehearsal, 'rehearsal');
    rehearsal = {
      startEmulators: bool('rehearsal.startEmulators', r.startEmulators, true),
      tokens: int('rehearsal.tokens', r.tokens, 1, 256, 24, 'a token count 1..256'),
      portStride: int('rehearsal.portStride', r.portStride, 0, 1000, 10, 'a port offset per worker 0..1000'),
      operatorManagementPorts: operatorPorts(r.operatorManagementPorts, err, deviceName),
    };
    for (const d of devices) {
      // Tests and rehearsals stay on the loopback network; a real bench names its own hosts.
      if (!isLoopbackHost(d.host.host)) err(`devices.${d.name}.host`, `a rehearsal lab file may only use the loopback network (127.0.0.0/8, ::1, localhost); [${d.host.name}] is ${d.host.host}`);
    }
  }

  return { path, lab, labNamed: raw.lab !== undefined, cacipher, devices, pkcs11Module, usb, pinEnv, operator: { mode: mode as OperatorMode, timeoutSeconds: timeoutSeconds as number, port: stationPort }, rehearsal };
}

/** `rehearsal.operatorManagementPorts`: `{ "A": 28128, … }`, device name → port. */
function operatorPorts(
  raw: unknown,
  err: (field: string, message: string) => never,
  deviceName: (field: string, name: string) => DeviceName,
): Partial<Record<DeviceName, number>> {
  if (raw === undefined) return {};
  const field = 'rehearsal.operatorManagementPorts';
  if (!isObj(raw)) return err(field, 'expected an object of device name → port');
  const out: Partial<Record<DeviceName, number>> = {};
  for (const [key, port] of Object.entries(raw)) {
    const name = deviceName(`${field}.${key}`, key);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) err(`${field}.${key}`, 'expected a port number 1..65535');
    out[name] = port as number;
  }
  return out;
}

/** A lab file the `rehearsal` target takes (emulators stand in for its devices): one with `rehearsal.startEmulators`; every other is a real bench's. */
export function isRehearsal(lab: LabFile): boolean {
  return lab.rehearsal?.startEmulators === true;
}

export function loadLabFile(path: string): LabFile {
  const full = resolve(path);
  let text: string;
  try {
    text = readLabText(full);
  } catch (e) {
    if (e instanceof LabReadError) throw new LabFileError(full, '', e.detail);
    throw e;
  }
  return parseLabFile(text, full);
}

/** The PIN for tokens at this bench, from the environment; a clear error names the variable. */
export function pinFromEnv(lab: LabFile, which: 'user' | 'so', env: NodeJS.ProcessEnv = process.env): string {
  const name = lab.pinEnv[which];
  const v = env[name];
  if (!v) throw new Error(`hardware: set ${name} to the UKEY ${which === 'user' ? 'user' : 'SO'} PIN (PINs are never read from files)`);
  return v;
}

/**
 * The bench's PINs as the UKEY layer asks for them: the variables the lab file names
 * (`pins.userEnv`, `pins.soEnv`), offered once per token (a wrong PIN is not retried from the
 * environment: it would count the token down); unset → the next provider (the operator) asks.
 */
export function labPins(lab: LabFile, env: NodeJS.ProcessEnv = process.env): { provider: PinProvider; user: string | undefined } {
  const read = (kind: 'user' | 'so'): string | undefined => env[lab.pinEnv[kind]] || undefined;
  return { provider: async (_token, kind, attempt) => (attempt > 1 ? undefined : read(kind)), user: read('user') };
}
