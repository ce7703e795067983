/**
 * The lab file: what the `hardware` target needs to find a bench (docs/lab-file.md).
 * JSON, so it needs no parser beyond Node; device hosts are given in cacipher form (a path to a
 * cacipher.ini or the `{…}` string form) and parsed by the EVSM client's own parser, so the
 * bench is addressed exactly as an application would address it. PINs are never in the file:
 * it names the environment variables that hold them.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadCacipher } from '../../drivers/evsm/config/parse.ts';
import type { CacipherConfig, HostConfig } from '../../drivers/evsm/config/types.ts';

export const DEVICE_NAMES = ['A', 'B', 'C'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** How token and confirmation prompts are answered. */
export type OperatorMode = 'console' | 'pool';

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
  lab: string;
  cacipher: CacipherConfig;
  devices: LabDeviceEntry[];
  pkcs11Module: string;
  usb: UsbId[];
  pinEnv: { user: string; so: string };
  operator: { mode: OperatorMode; timeoutSeconds: number };
  /**
   * `operatorManagementPorts`: the rehearsal's scripted bench operator does the VsmManager steps
   * itself through these emulator management ports; the harness never sees them.
   */
  rehearsal: { startEmulators: boolean; tokens: number; portStride: number; operatorManagementPorts: Partial<Record<DeviceName, number>> } | undefined;
}

export class LabFileError extends Error {
  constructor(path: string, field: string, message: string) {
    super(`lab file ${path}: ${field}: ${message}`);
    this.name = 'LabFileError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseId(v: unknown, path: string, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x)?[0-9a-f]{1,4}$/i.test(v) ? parseInt(v, 16) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new LabFileError(path, field, `expected a 16-bit id like "0x096e", got ${JSON.stringify(v)}`);
  return n;
}

/** Parses lab file text. `path` is used in messages and to resolve relative paths. */
export function parseLabFile(text: string, path: string): LabFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LabFileError(path, '(file)', `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(raw)) throw new LabFileError(path, '(file)', 'expected a JSON object');
  const base = dirname(path);
  const str = (field: string, v: unknown, fallback?: string): string => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v === '') throw new LabFileError(path, field, 'expected a non-empty string');
    return v;
  };

  const cacipherSrc = str('cacipher', raw.cacipher);
  const cacipherArg = cacipherSrc.trim().startsWith('{') || isAbsolute(cacipherSrc) ? cacipherSrc : resolve(base, cacipherSrc);
  let cacipher: CacipherConfig;
  try {
    // The harness keeps no client logs of its own on the bench; logPath is the application's concern.
    cacipher = loadCacipher(cacipherArg, { baseDir: base, checkLogPath: false }).config;
  } catch (e) {
    throw new LabFileError(path, 'cacipher', (e as Error).message);
  }

  if (!isObj(raw.devices)) throw new LabFileError(path, 'devices', 'expected an object { "A": {...}, "B": {...} }');
  const devices: LabDeviceEntry[] = [];
  for (const [name, d] of Object.entries(raw.devices)) {
    const field = `devices.${name}`;
    if (!(DEVICE_NAMES as readonly string[]).includes(name)) throw new LabFileError(path, field, `device names are ${DEVICE_NAMES.join(', ')}`);
    if (!isObj(d)) throw new LabFileError(path, field, 'expected an object');
    const hostName = str(`${field}.host`, d.host).toUpperCase();
    const host = cacipher.hosts.find((h) => h.name.toUpperCase() === hostName);
    if (!host) throw new LabFileError(path, `${field}.host`, `no [${hostName}] in the cacipher configuration (it has ${cacipher.hosts.map((h) => h.name).join(', ') || 'none'})`);
    const mp = d.managementPort;
    if (mp !== undefined && (!Number.isInteger(mp) || (mp as number) < 1 || (mp as number) > 65535)) {
      throw new LabFileError(path, `${field}.managementPort`, 'expected a port number 1..65535');
    }
    if (d.serial !== undefined && typeof d.serial !== 'string') throw new LabFileError(path, `${field}.serial`, 'expected a string');
    devices.push({ name: name as DeviceName, host, managementPort: mp as number | undefined, serial: d.serial as string | undefined });
  }
  if (devices.length === 0) throw new LabFileError(path, 'devices', 'name at least device A');
  for (const d of devices) {
    // Tests and rehearsals stay on the loopback network; a real bench names its own hosts.
    if (raw.rehearsal !== undefined && !/^127\./.test(d.host.host)) {
      throw new LabFileError(path, `devices.${d.name}.host`, `a rehearsal lab file may only use 127.0.0.0/8, got ${d.host.host}`);
    }
  }

  const pkcs11 = isObj(raw.pkcs11) ? raw.pkcs11 : {};
  const moduleRaw = str('pkcs11.module', pkcs11.module);
  const pkcs11Module = isAbsolute(moduleRaw) ? moduleRaw : resolve(base, moduleRaw);

  const tokens = isObj(raw.tokens) ? raw.tokens : {};
  const usbRaw = tokens.usb ?? [];
  if (!Array.isArray(usbRaw)) throw new LabFileError(path, 'tokens.usb', 'expected a list of { "vid", "pid", "name" }');
  const usb = usbRaw.map((u, i) => {
    if (!isObj(u)) throw new LabFileError(path, `tokens.usb[${i}]`, 'expected an object');
    return { vid: parseId(u.vid, path, `tokens.usb[${i}].vid`), pid: parseId(u.pid, path, `tokens.usb[${i}].pid`), name: str(`tokens.usb[${i}].name`, u.name, '') || `token ${i + 1}` };
  });

  const pins = isObj(raw.pins) ? raw.pins : {};
  for (const k of Object.keys(pins)) {
    if (!/Env$/.test(k)) throw new LabFileError(path, `pins.${k}`, 'PINs are never written in a lab file: name environment variables with "userEnv" and "soEnv"');
  }
  const pinEnv = { user: str('pins.userEnv', pins.userEnv, 'EVSM_LAB_UKEY_PIN'), so: str('pins.soEnv', pins.soEnv, 'EVSM_LAB_UKEY_SO_PIN') };

  const op = isObj(raw.operator) ? raw.operator : {};
  const mode = op.mode ?? 'console';
  if (mode !== 'console' && mode !== 'pool') throw new LabFileError(path, 'operator.mode', 'expected "console" (a person at the bench) or "pool" (rehearsal: the token pool answers)');
  const timeoutSeconds = op.timeoutSeconds ?? 300;
  if (typeof timeoutSeconds !== 'number' || timeoutSeconds <= 0) throw new LabFileError(path, 'operator.timeoutSeconds', 'expected a positive number');

  let rehearsal: LabFile['rehearsal'];
  if (raw.rehearsal !== undefined) {
    if (!isObj(raw.rehearsal)) throw new LabFileError(path, 'rehearsal', 'expected an object');
    const r = raw.rehearsal;
    rehearsal = {
      startEmulators: r.startEmulators !== false,
      tokens: typeof r.tokens === 'number' ? r.tokens : 24,
      portStride: typeof r.portStride === 'number' ? r.portStride : 10,
      operatorManagementPorts: operatorPorts(path, r.operatorManagementPorts),
    };
  }

  return {
    path,
    lab: str('lab', raw.lab, 'unnamed lab'),
    cacipher,
    devices,
    pkcs11Module,
    usb,
    pinEnv,
    operator: { mode, timeoutSeconds },
    rehearsal,
  };
}

export function loadLabFile(path: string): LabFile {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    throw new LabFileError(full, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
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

/** `rehearsal.operatorManagementPorts`: `{ "A": 28128, … }`, device name → port. */
function operatorPorts(path: string, raw: unknown): Partial<Record<DeviceName, number>> {
  if (raw === undefined) return {};
  if (!isObj(raw)) throw new LabFileError(path, 'rehearsal.operatorManagementPorts', 'expected an object of device name → port');
  const out: Partial<Record<DeviceName, number>> = {};
  for (const [name, port] of Object.entries(raw)) {
    if (!(DEVICE_NAMES as readonly string[]).includes(name)) throw new LabFileError(path, `rehearsal.operatorManagementPorts.${name}`, 'expected a device name A, B or C');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new LabFileError(path, `rehearsal.operatorManagementPorts.${name}`, 'expected a port number 1..65535');
    out[name as DeviceName] = port;
  }
  return out;
}
