import { test, expect } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabFile, parseLabFile, pinFromEnv } from '../harness/lab/lab-file.ts';
import { parseReadyLine } from '../harness/targets/emulator-process.ts';

test('the bench rehearsal lab file loads: three loopback devices with management ports, SoftHSM2, pool prompts', () => {
  const lab = loadLabFile('lab/rehearsal.json');
  expect(lab.devices.map((d) => [d.name, d.host.host, d.host.port, d.managementPort])).toEqual([
    ['A', '127.0.0.1', 28018, 28118],
    ['B', '127.0.0.1', 28019, 28119],
    ['C', '127.0.0.1', 28020, 28120],
  ]);
  expect(lab.pkcs11Module).toBe('/usr/lib/softhsm/libsofthsm2.so');
  expect(lab.operator.mode).toBe('pool');
  expect(lab.rehearsal?.startEmulators).toBe(true);
  expect(lab.usb[0]).toEqual({ vid: 0x096e, pid: 0x0703, name: expect.any(String) });
});

test('the example bench lab file loads', () => {
  const lab = loadLabFile('lab/bench.example.json');
  expect(lab.operator.mode).toBe('console');
  expect(lab.devices.map((d) => d.managementPort)).toEqual([undefined, undefined]);
});

function labText(over: Record<string, unknown>): string {
  return JSON.stringify({
    lab: 't',
    cacipher: '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}',
    devices: { A: { host: 'HOST1' } },
    pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so' },
    ...over,
  });
}

test('lab file errors name the field', () => {
  expect(() => parseLabFile('{', '/x/lab.json')).toThrow(/lab file \/x\/lab.json: \(file\): not valid JSON/);
  expect(() => parseLabFile(labText({ devices: { A: { host: 'HOST7' } } }), '/x/lab.json')).toThrow(/devices\.A\.host: no \[HOST7\]/);
  expect(() => parseLabFile(labText({ devices: { Z: { host: 'HOST1' } } }), '/x/lab.json')).toThrow(/devices\.Z: device names are A, B, C/);
  expect(() => parseLabFile(labText({ pins: { user: '12345678' } }), '/x/lab.json')).toThrow(/pins\.user: PINs are never written in a lab file/);
  expect(() => parseLabFile(labText({ operator: { mode: 'robot' } }), '/x/lab.json')).toThrow(/operator\.mode/);
  expect(() => parseLabFile(labText({ tokens: { usb: [{ vid: 'zz', pid: 1 }] } }), '/x/lab.json')).toThrow(/tokens\.usb\[0\]\.vid/);
  expect(() => parseLabFile(labText({ cacipher: '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;}' }), '/x/lab.json')).toThrow(/cacipher:/);
});

test('a rehearsal lab file may only point at 127.0.0.0/8', () => {
  const text = labText({ cacipher: '{[HOST1];hsmModel=SJJ1310;host=10.1.2.3;port=8018;}', rehearsal: {} });
  expect(() => parseLabFile(text, '/x/lab.json')).toThrow(/only use 127\.0\.0\.0\/8/);
});

test('cacipher file paths resolve against the lab file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-'));
  writeFileSync(join(dir, 'c.ini'), '[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=9000\n');
  writeFileSync(join(dir, 'lab.json'), labText({ cacipher: 'c.ini' }));
  expect(loadLabFile(join(dir, 'lab.json')).devices[0].host.port).toBe(9000);
});

test('PINs come from the named environment variables, with a clear message when unset', () => {
  const lab = parseLabFile(labText({}), '/x/lab.json');
  expect(pinFromEnv(lab, 'user', { EVSM_LAB_UKEY_PIN: '24681357' })).toBe('24681357');
  expect(() => pinFromEnv(lab, 'so', {})).toThrow(/set EVSM_LAB_UKEY_SO_PIN/);
});

test('the emulator ready line parses, anything else does not', () => {
  expect(parseReadyLine('evsm-emulator ready name=A port=40001 mgmt-port=40002 tls-port=- pid=77')).toEqual({ name: 'A', port: 40001, mgmtPort: 40002, tlsPort: undefined, pid: 77 });
  expect(parseReadyLine('evsm-emulator ready name=B port=1 mgmt-port=2 tls-port=3 pid=4')?.tlsPort).toBe(3);
  expect(parseReadyLine('listening on 8018')).toBeUndefined();
});
