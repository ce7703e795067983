/**
 * USB discovery and hot-plug of UKEYs with `usb` (v3, WebUSB-style API): which attached devices
 * are tokens (a configurable VID/PID table), insert/remove events, and the match of a USB device
 * to its PKCS#11 slot by serial. A machine without a USB bus (containers, this CI) gets one clear
 * line (UsbUnavailableError), never a stack trace or an unhandled rejection.
 */
import { EventEmitter } from 'node:events';
import type { SlotSummary } from './pkcs11-module.ts';

/** One row of the VID/PID table; productId undefined matches every product of the vendor. */
export interface UsbTokenModel {
  vendorId: number;
  productId?: number;
  name: string;
}

/**
 * Known UKEY vendors. Feitian (VID 096e) makes the ePass family common in Chinese financial
 * deployments (ePass2003 is 096e:0807). Bench labs add their vendor's ids with EVSM_UKEY_USB_IDS
 * or a lab file (docs/ukey.md): the table is data, not code.
 */
export const DEFAULT_USB_TABLE: readonly UsbTokenModel[] = [{ vendorId: 0x096e, name: 'Feitian UKEY' }];

/**
 * Parses "vvvv:pppp Name" entries separated by commas or new lines; `pppp` may be `*`.
 * Lines starting with # are comments. Example: "096e:0807 ePass2003, 163c:* Vendor X".
 */
export function parseUsbTable(text: string): UsbTokenModel[] {
  const out: UsbTokenModel[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4}|\*)(?:\s+(.+))?$/.exec(entry);
    if (!m) throw new RangeError(`USB table entry "${entry}" is not "vvvv:pppp [name]" (hex, pppp may be *)`);
    const model: UsbTokenModel = { vendorId: parseInt(m[1], 16), name: m[3]?.trim() ?? `UKEY ${m[1]}:${m[2]}` };
    if (m[2] !== '*') model.productId = parseInt(m[2], 16);
    out.push(model);
  }
  return out;
}

/** The lab file's form (`"tokens": {"usb": [{"vid": "0x096e", "pid": "0x0807", "name": "…"}]}`); pid may be omitted or "*". */
export function usbTableFromEntries(entries: ReadonlyArray<{ vid: string | number; pid?: string | number; name?: string }>): UsbTokenModel[] {
  const id = (v: string | number, what: string): number => {
    const n = typeof v === 'number' ? v : /^(0x)?[0-9a-f]{1,4}$/i.test(v.trim()) ? parseInt(v.trim().replace(/^0x/i, ''), 16) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`USB ${what} "${v}" is not a 16-bit id (hex like 0x096e)`);
    return n;
  };
  return entries.map((e) => {
    const model: UsbTokenModel = { vendorId: id(e.vid, 'vid'), name: e.name ?? `UKEY ${String(e.vid)}:${String(e.pid ?? '*')}` };
    if (e.pid !== undefined && e.pid !== '*') model.productId = id(e.pid, 'pid');
    return model;
  });
}

/** The table in force: EVSM_UKEY_USB_IDS when set, else the default. */
export function usbTableFromEnv(env: NodeJS.ProcessEnv = process.env): UsbTokenModel[] {
  const spec = env.EVSM_UKEY_USB_IDS;
  return spec && spec.trim() !== '' ? parseUsbTable(spec) : [...DEFAULT_USB_TABLE];
}

export function hexId(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** The first row that matches; an exact VID:PID row wins over a vendor-wide one. */
export function matchUsbModel(table: readonly UsbTokenModel[], ids: { vendorId: number; productId: number }): UsbTokenModel | undefined {
  return (
    table.find((m) => m.vendorId === ids.vendorId && m.productId === ids.productId) ??
    table.find((m) => m.vendorId === ids.vendorId && m.productId === undefined)
  );
}

/** What the usb package's devices look like, narrowed to what is used (and easy to fake in tests). */
export interface UsbDeviceLike {
  vendorId: number;
  productId: number;
  serialNumber?: string | null;
  productName?: string | null;
  bus?: string;
  address?: number;
}

export interface UsbApi {
  getDevices(): Promise<UsbDeviceLike[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (ev: { device: UsbDeviceLike }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (ev: { device: UsbDeviceLike }) => void): void;
}

export interface UsbToken {
  model: string;
  vendorId: number;
  productId: number;
  /** "096e:0807" */
  ids: string;
  serial: string | undefined;
  /** Where it is plugged, for messages ("bus 1 address 4"). */
  where: string;
}

/** One-line reason why USB discovery cannot run here. */
export class UsbUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsbUnavailableError';
  }
}

/** Turns whatever the usb package threw into one line. */
export function usbFailure(e: unknown): UsbUnavailableError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/\/sys\/bus\/usb\/devices\/? not found/.test(msg)) {
    return new UsbUnavailableError('USB: this machine has no USB bus (/sys/bus/usb/devices/ not found); UKEYs cannot be discovered over USB here — use PKCS#11 slots or virtual tokens');
  }
  if (/EACCES|permission/i.test(msg)) {
    return new UsbUnavailableError(`USB: permission denied reading USB devices (${msg.split('\n')[0]}); add a udev rule for the token's VID/PID or run with access to /dev/bus/usb`);
  }
  return new UsbUnavailableError(`USB: device listing failed: ${msg.split('\n')[0]}`);
}

let realApi: Promise<UsbApi> | undefined;

/** The usb package, loaded on first use so a broken native binding is also one line. */
export function defaultUsbApi(): Promise<UsbApi> {
  realApi ??= import('usb').then(
    (m) => m.usb as unknown as UsbApi, // WebUSB's event types are wider than UsbApi's; the shape is the same
    (e: unknown) => {
      realApi = undefined;
      throw new UsbUnavailableError(`USB: the usb package cannot load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    },
  );
  return realApi;
}

function toToken(table: readonly UsbTokenModel[], d: UsbDeviceLike): UsbToken | undefined {
  const model = matchUsbModel(table, d);
  if (!model) return undefined;
  const serial = d.serialNumber ?? undefined;
  return {
    model: model.name,
    vendorId: d.vendorId,
    productId: d.productId,
    ids: `${hexId(d.vendorId)}:${hexId(d.productId)}`,
    serial: serial === '' ? undefined : serial,
    where: d.bus !== undefined ? `bus ${d.bus} address ${d.address ?? '?'}` : 'USB',
  };
}

/** Attached devices that the table says are UKEYs. Throws UsbUnavailableError (one line). */
export async function listUsbTokens(table: readonly UsbTokenModel[] = usbTableFromEnv(), api?: UsbApi): Promise<UsbToken[]> {
  const usb = api ?? (await defaultUsbApi());
  let devices: UsbDeviceLike[];
  try {
    devices = await usb.getDevices();
  } catch (e) {
    throw usbFailure(e);
  }
  return devices.map((d) => toToken(table, d)).filter((t): t is UsbToken => t !== undefined);
}

/** The PKCS#11 slot whose token reports the USB device's serial (trimmed, case-insensitive). */
export function slotForUsbToken(token: UsbToken, slots: readonly SlotSummary[]): SlotSummary | undefined {
  if (!token.serial) return undefined;
  const want = token.serial.trim().toUpperCase();
  return slots.find((s) => s.serial !== undefined && s.serial.trim().toUpperCase() === want);
}

/**
 * Emits 'insert' and 'remove' (UsbToken) for devices in the table. `start()` first lists the bus,
 * so a machine without one fails there with UsbUnavailableError instead of later, asynchronously,
 * inside the usb package.
 */
export class UsbWatcher extends EventEmitter<{ insert: [UsbToken]; remove: [UsbToken] }> {
  private api: UsbApi | undefined;
  private readonly onConnect = (ev: { device: UsbDeviceLike }): void => {
    const t = toToken(this.table, ev.device);
    if (t) this.emit('insert', t);
  };
  private readonly onDisconnect = (ev: { device: UsbDeviceLike }): void => {
    const t = toToken(this.table, ev.device);
    if (t) this.emit('remove', t);
  };

  constructor(
    private readonly table: readonly UsbTokenModel[] = usbTableFromEnv(),
    private readonly injected?: UsbApi,
  ) {
    super();
  }

  /** Starts watching; returns the tokens already attached. */
  async start(): Promise<UsbToken[]> {
    const api = this.injected ?? (await defaultUsbApi());
    const present = await listUsbTokens(this.table, api);
    api.addEventListener('connect', this.onConnect);
    api.addEventListener('disconnect', this.onDisconnect);
    this.api = api;
    return present;
  }

  stop(): void {
    if (!this.api) return;
    this.api.removeEventListener('connect', this.onConnect);
    this.api.removeEventListener('disconnect', this.onDisconnect);
    this.api = undefined;
  }
}
