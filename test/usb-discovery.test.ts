import { test, expect } from '@playwright/test';
import { existsSync } from 'node:fs';
import {
  DEFAULT_USB_TABLE,
  UsbUnavailableError,
  UsbWatcher,
  listUsbTokens,
  matchUsbModel,
  parseUsbTable,
  slotForUsbToken,
  usbFailure,
  usbTableFromEntries,
  usbTableFromEnv,
  type UsbApi,
  type UsbDeviceLike,
  type UsbToken,
} from '../drivers/ukey/usb.ts';

/** A fake bus: a device list plus connect/disconnect events fired by the test. */
function fakeBus(devices: UsbDeviceLike[]): UsbApi & { plug(d: UsbDeviceLike): void; unplug(d: UsbDeviceLike): void; listeners: number } {
  const handlers = { connect: new Set<(ev: { device: UsbDeviceLike }) => void>(), disconnect: new Set<(ev: { device: UsbDeviceLike }) => void>() };
  return {
    getDevices: async () => [...devices],
    addEventListener: (type, fn) => void handlers[type].add(fn),
    removeEventListener: (type, fn) => void handlers[type].delete(fn),
    plug: (d) => handlers.connect.forEach((f) => f({ device: d })),
    unplug: (d) => handlers.disconnect.forEach((f) => f({ device: d })),
    get listeners() {
      return handlers.connect.size + handlers.disconnect.size;
    },
  };
}

const TABLE = parseUsbTable('096e:0807 ePass2003\n# a comment\n163c:* Vendor X, 1234:5678');
const epass = { vendorId: 0x096e, productId: 0x0807, serialNumber: '2A0F1B', bus: '1', address: 4 };
const mouse = { vendorId: 0x046d, productId: 0xc077, serialNumber: null };
const vendorX = { vendorId: 0x163c, productId: 0x0001, serialNumber: '' };

test('USB table: parses entries, wildcards and comments; refuses malformed ones', () => {
  expect(TABLE).toEqual([
    { vendorId: 0x096e, productId: 0x0807, name: 'ePass2003' },
    { vendorId: 0x163c, name: 'Vendor X' },
    { vendorId: 0x1234, productId: 0x5678, name: 'UKEY 1234:5678' },
  ]);
  expect(() => parseUsbTable('96e:0807')).toThrow(/"96e:0807" is not "vvvv:pppp \[name\]"/);
  expect(usbTableFromEnv({})).toEqual([...DEFAULT_USB_TABLE]);
  expect(usbTableFromEnv({ EVSM_UKEY_USB_IDS: '1234:*' })).toEqual([{ vendorId: 0x1234, name: 'UKEY 1234:*' }]);
});

test('USB table from the lab file form (vid/pid hex strings)', () => {
  expect(usbTableFromEntries([{ vid: '0x096e', pid: '0x0807', name: 'ePass2003' }, { vid: '163C', pid: '*' }])).toEqual([
    { vendorId: 0x096e, productId: 0x0807, name: 'ePass2003' },
    { vendorId: 0x163c, name: 'UKEY 163C:*' },
  ]);
  expect(() => usbTableFromEntries([{ vid: '0x12345' }])).toThrow('USB vid "0x12345" is not a 16-bit id (hex like 0x096e)');
});

test('USB table: exact VID:PID beats vendor-wide; other devices do not match', () => {
  const table = parseUsbTable('096e:* Feitian any, 096e:0807 ePass2003');
  expect(matchUsbModel(table, { vendorId: 0x096e, productId: 0x0807 })?.name).toBe('ePass2003');
  expect(matchUsbModel(table, { vendorId: 0x096e, productId: 0x0001 })?.name).toBe('Feitian any');
  expect(matchUsbModel(table, { vendorId: 0x046d, productId: 0x0807 })).toBeUndefined();
  expect(matchUsbModel(TABLE, { vendorId: 0x096e, productId: 0x0808 })).toBeUndefined();
});

test('USB listing keeps only tokens from the table, with ids, serial and place', async () => {
  const tokens = await listUsbTokens(TABLE, fakeBus([epass, mouse, vendorX]));
  expect(tokens).toEqual([
    { model: 'ePass2003', vendorId: 0x096e, productId: 0x0807, ids: '096e:0807', serial: '2A0F1B', where: 'bus 1 address 4' },
    { model: 'Vendor X', vendorId: 0x163c, productId: 0x0001, ids: '163c:0001', serial: undefined, where: 'USB' },
  ]);
});

test('a USB token is matched to its PKCS#11 slot by serial', () => {
  const slots = [
    { slotId: 1, description: 'reader 0', tokenPresent: true, serial: 'FFFF0000' },
    { slotId: 7, description: 'reader 1', tokenPresent: true, serial: '2a0f1b  ' },
  ];
  const token: UsbToken = { model: 'ePass2003', vendorId: 0x096e, productId: 0x0807, ids: '096e:0807', serial: '2A0F1B', where: 'USB' };
  expect(slotForUsbToken(token, slots)?.slotId).toBe(7);
  expect(slotForUsbToken({ ...token, serial: undefined }, slots)).toBeUndefined();
  expect(slotForUsbToken({ ...token, serial: 'nope' }, slots)).toBeUndefined();
});

test('hot-plug: insert and remove events for table devices only; stop() unsubscribes', async () => {
  const bus = fakeBus([]);
  const w = new UsbWatcher(TABLE, bus);
  const seen: string[] = [];
  w.on('insert', (t) => seen.push(`+${t.ids}`));
  w.on('remove', (t) => seen.push(`-${t.ids}`));
  expect(await w.start()).toEqual([]);
  bus.plug(mouse);
  bus.plug(epass);
  bus.unplug(epass);
  expect(seen).toEqual(['+096e:0807', '-096e:0807']);
  w.stop();
  expect(bus.listeners).toBe(0);
});

const NO_BUS = 'USB: this machine has no USB bus (/sys/bus/usb/devices/ not found); UKEYs cannot be discovered over USB here — use PKCS#11 slots or virtual tokens';

test('no USB bus: the usb package error becomes one clear line', async () => {
  const e = usbFailure(Object.assign(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'), { code: 'GenericFailure' }));
  expect(e).toBeInstanceOf(UsbUnavailableError);
  expect(e.message).toBe(NO_BUS);
  const failing: UsbApi = { ...fakeBus([]), getDevices: () => Promise.reject(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)')) };
  await expect(listUsbTokens(TABLE, failing)).rejects.toThrow(NO_BUS);
  // The watcher fails in start() and never subscribes (the usb package would reject later, unhandled).
  const bus = { ...fakeBus([]), getDevices: failing.getDevices };
  const w = new UsbWatcher(TABLE, bus);
  await expect(w.start()).rejects.toBeInstanceOf(UsbUnavailableError);
  expect(bus.listeners).toBe(0);
});

test('no USB bus on this machine: the real usb package gives the same line', async () => {
  test.skip(existsSync('/sys/bus/usb/devices'), 'this machine has a USB bus; the no-bus path is covered by the fake above');
  const err = await listUsbTokens().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsbUnavailableError);
  expect((err as Error).message).toBe(NO_BUS);
  expect((err as Error).message).not.toContain('\n');
  await expect(new UsbWatcher().start()).rejects.toThrow(NO_BUS);
});
