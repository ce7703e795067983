import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  defaultLabFile, isLoopbackHost, labPins, LAB_FILE_MAX_BYTES, loadLabFile, parseLabFile, pinFromEnv, REHEARSAL_LAB,
} from '../harness/lab/lab-file.ts';
import { closest, editDistance } from '../harness/lab/suggest.ts';
import { hardwareWorkers } from '../harness/lab/bench-workers.ts';
import { extendTestTimeout, MAX_TEST_TIMEOUT_MS, promptClock, tokenPromptClock } from '../harness/lab/test-clock.ts';
import { parseReadyLine } from '../harness/targets/emulator-process.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

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

test('lab file errors are one line FILE:LINE:COLUMN: field: message', () => {
  expect(() => parseLabFile('{', '/x/lab.json')).toThrow(/^\/x\/lab\.json:1:2: not valid JSON: expected a key in double quotes, found the end of the file$/);
  expect(() => parseLabFile(labText({ devices: { A: { host: 'HOST7' } } }), '/x/lab.json')).toThrow(/^\/x\/lab\.json:1:\d+: devices\.A\.host: no \[HOST7\]/);
  expect(() => parseLabFile(labText({ devices: { Z: { host: 'HOST1' } } }), '/x/lab.json')).toThrow(/devices\.Z: device names are A, B, C/);
  expect(() => parseLabFile(labText({ devices: { a: { host: 'HOST1' } } }), '/x/lab.json')).toThrow(/devices\.a: device names are A, B, C \(did you mean "A"\?\)/);
  expect(() => parseLabFile(labText({ pins: { user: '12345678' } }), '/x/lab.json')).toThrow(/pins\.user: PINs are never written in a lab file/);
  expect(() => parseLabFile(labText({ pins: { userEnv: '12345678' } }), '/x/lab.json')).toThrow(/pins\.userEnv: expected an environment variable name/);
  expect(() => parseLabFile(labText({ operator: { mode: 'robot' } }), '/x/lab.json')).toThrow(/operator\.mode/);
  expect(() => parseLabFile(labText({ tokens: { usb: [{ vid: 'zz', pid: 1 }] } }), '/x/lab.json')).toThrow(/tokens\.usb\[0\]\.vid/);
  expect(() => parseLabFile(labText({ cacipher: '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;}' }), '/x/lab.json')).toThrow(/cacipher:/);
  expect(() => parseLabFile(labText({ pkcs11: '/x.so' }), '/x/lab.json')).toThrow(/pkcs11: expected an object/);
  expect(() => parseLabFile(labText({ rehearsal: { tokens: 'many' } }), '/x/lab.json')).toThrow(/rehearsal\.tokens: expected a token count/);
  expect(() => parseLabFile(labText({ rehearsal: { startEmulators: 'yes' } }), '/x/lab.json')).toThrow(/rehearsal\.startEmulators: expected true or false/);
  const noDevices = JSON.parse(labText({})) as Record<string, unknown>;
  delete noDevices.devices;
  expect(() => parseLabFile(JSON.stringify(noDevices), '/x/lab.json')).toThrow(/^\/x\/lab\.json:1:1: "devices" is missing/);
});

// A lab file as a person writes it, with the typo of issue 12 ("managmentPort").
const TYPO = `{
  "lab": "bench",
  "cacipher": "{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}",
  "devices": {
    "A": { "host": "HOST1", "managmentPort": 8118 }
  },
  "pkcs11": { "module": "/usr/lib/softhsm/libsofthsm2.so" }
}
`;

test('an unknown key fails with its line and column and the nearest known key', () => {
  expect(() => parseLabFile(TYPO, '/x/lab.json')).toThrow('/x/lab.json:5:29: unknown key "managmentPort" in devices.A (did you mean "managementPort"?)');
  expect(() => parseLabFile(TYPO.replace('"lab"', '"Lab"'), '/x/lab.json')).toThrow('/x/lab.json:2:3: unknown key "Lab" at the top level (did you mean "lab"?)');
  expect(() => parseLabFile(labText({ operator: { timeout: 30 } }), '/x/lab.json')).toThrow(/unknown key "timeout" in operator \(did you mean "timeoutSeconds"\?\)|unknown key "timeout" in operator; known keys here: mode, timeoutSeconds/);
  // nothing near: the known keys are listed instead
  expect(() => parseLabFile(labText({ colour: 'blue' }), '/x/lab.json')).toThrow(/unknown key "colour" at the top level; known keys here: lab, cacipher, devices/);
});

test('broken JSON fails with line and column; a repeated key is refused (JSON.parse would keep the last)', () => {
  const cases: Array<[string, RegExp]> = [
    [TYPO.replace('"bench",', '"bench"'), /^\/x\/lab\.json:3:3: not valid JSON: expected "," or "}" after a member, found "\\""$/],
    [TYPO.replace('8118 }', '8118, }'), /^\/x\/lab\.json:5:52: not valid JSON: trailing comma/],
    [TYPO.replace('"bench"', "'bench'"), /^\/x\/lab\.json:2:10: not valid JSON: expected a value, found "'"/],
    [TYPO + 'x', /^\/x\/lab\.json:9:1: not valid JSON: unexpected "x" after the end/],
    [TYPO.replace('"bench"', '"ben\nch"'.replace('\\n', '\n')), /not valid JSON/],
    [TYPO.replace('"lab": "bench",', '"lab": "a",\n  "lab": "b",'), /^\/x\/lab\.json:3:3: not valid JSON: key "lab" appears twice/],
    ['['.repeat(100) + ']'.repeat(100), /nested deeper than 64 levels/],
    ['', /^\/x\/lab\.json:1:1: not valid JSON: expected a value, found the end of the file$/],
  ];
  for (const [text, re] of cases) expect(() => parseLabFile(text, '/x/lab.json'), text.slice(0, 40)).toThrow(re);
  // what JSON.parse accepts, this parser reads the same
  const ok = '\ufeff{"lab":"t\\u00e9\\n","cacipher":"{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}","devices":{"A":{"host":"HOST1","managementPort":8118}},"pkcs11":{"module":"/m.so"},"operator":{"timeoutSeconds":1.5e2}}';
  const lab = parseLabFile(ok, '/x/lab.json');
  expect(lab.lab).toBe('t\u00e9\n');
  expect(lab.operator.timeoutSeconds).toBe(150);
  expect(lab.devices[0].managementPort).toBe(8118);
});

test('operator.timeoutSeconds: more than 0 and at most a day (Node timers overflow past 2147483 s)', () => {
  for (const bad of [0, -1, 2147484, 86401, '300', null]) {
    expect(() => parseLabFile(labText({ operator: { timeoutSeconds: bad } }), '/x/lab.json'), String(bad)).toThrow(/operator\.timeoutSeconds: expected seconds a prompt waits/);
  }
  expect(parseLabFile(labText({ operator: { timeoutSeconds: 86400 } }), '/x/lab.json').operator.timeoutSeconds).toBe(86400);
  expect(parseLabFile(labText({}), '/x/lab.json').operator.timeoutSeconds).toBe(300);
});

test('a lab file that is a device, FIFO, directory or larger than 1 MiB is refused without reading it', () => {
  const dir = tempDir('lab-');
  const fifo = join(dir, 'lab.fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.json');
  writeFileSync(big, Buffer.alloc(LAB_FILE_MAX_BYTES + 1, 0x20));
  // a FIFO with no writer would block a plain read for ever; /dev/zero would grow without end
  expect(() => loadLabFile('/dev/zero')).toThrow(/^\/dev\/zero: not a regular file \(a character device\)/);
  expect(() => loadLabFile(fifo)).toThrow(/lab\.fifo: not a regular file \(a FIFO\)/);
  expect(() => loadLabFile(dir)).toThrow(/not a regular file \(a directory\)/);
  expect(() => loadLabFile(big)).toThrow(/1048577 bytes, more than the 1048576 a lab file may have/);
  expect(() => loadLabFile(join(dir, 'none.json'))).toThrow(/none\.json: cannot read: ENOENT/);
  writeFileSync(join(dir, 'latin1.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
  expect(() => loadLabFile(join(dir, 'latin1.json'))).toThrow(/not UTF-8 text/);
  // the cacipher file the lab file names gets the same refusal
  writeFileSync(join(dir, 'lab.json'), labText({ cacipher: '/dev/zero' }));
  expect(() => loadLabFile(join(dir, 'lab.json'))).toThrow(/lab\.json:1:\d+: cacipher: \/dev\/zero: not a regular file \(a character device\)/);
  writeFileSync(join(dir, 'lab.json'), labText({ cacipher: 'lab.fifo' }));
  expect(() => loadLabFile(join(dir, 'lab.json'))).toThrow(/cacipher: .*lab\.fifo: not a regular file \(a FIFO\)/);
});

test('cacipher file paths resolve against the lab file', () => {
  const dir = tempDir('lab-');
  writeFileSync(join(dir, 'c.ini'), '[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=9000\n');
  writeFileSync(join(dir, 'lab.json'), labText({ cacipher: 'c.ini' }));
  expect(loadLabFile(join(dir, 'lab.json')).devices[0].host.port).toBe(9000);
});

test('PINs come from the named environment variables, with a clear message when unset', () => {
  const lab = parseLabFile(labText({}), '/x/lab.json');
  expect(pinFromEnv(lab, 'user', { EVSM_LAB_UKEY_PIN: '24681357' })).toBe('24681357');
  expect(() => pinFromEnv(lab, 'so', {})).toThrow(/set EVSM_LAB_UKEY_SO_PIN/);
});

test('the token layer gets the PINs from the variables the lab file names, once per token', async () => {
  const lab = parseLabFile(labText({ pins: { userEnv: 'BENCH_PIN', soEnv: 'BENCH_SO' } }), '/x/lab.json');
  const token = { label: 'UKEY 1', serial: 'S1' } as Parameters<ReturnType<typeof labPins>['provider']>[0];
  const pins = labPins(lab, { BENCH_PIN: '11223344', BENCH_SO: '99887766', EVSM_LAB_UKEY_PIN: 'not this one' });
  expect(pins.user).toBe('11223344');
  expect(await pins.provider(token, 'user', 1)).toBe('11223344');
  expect(await pins.provider(token, 'so', 1)).toBe('99887766');
  // a wrong PIN is not offered again (it would count the token down): the operator is asked next
  expect(await pins.provider(token, 'user', 2)).toBeUndefined();
  const unset = labPins(lab, {});
  expect(unset.user).toBeUndefined();
  expect(await unset.provider(token, 'user', 1)).toBeUndefined();
});

test('the lab file a run uses: EVSM_LAB_FILE, else none (also in CI)', () => {
  expect(defaultLabFile({ EVSM_LAB_FILE: '/b/lab.json', CI: 'true' })).toBe('/b/lab.json');
  // CI picks no lab file: the rehearsal target takes lab/rehearsal.json itself.
  expect(defaultLabFile({ CI: 'true' })).toBeUndefined();
  expect(REHEARSAL_LAB.endsWith('lab/rehearsal.json')).toBe(true);
  expect(defaultLabFile({})).toBeUndefined();
});

test('did you mean: edit distance with swaps, near enough only', () => {
  expect(editDistance('managmentPort', 'managementPort')).toBe(1);
  expect(editDistance('tiemoutSeconds', 'timeoutSeconds')).toBe(1); // a swap of neighbours
  expect(closest('managmentPort', ['host', 'managementPort', 'serial'])).toBe('managementPort');
  expect(closest('HOST', ['host', 'serial'])).toBe('host');
  expect(closest('id', ['lab', 'pins'])).toBeUndefined();
  expect(closest('x'.repeat(1000), ['lab'])).toBeUndefined();
});

test('each operator prompt adds the per-prompt timeout to the running test', async () => {
  const before = test.info().timeout;
  const shown: string[] = [];
  const op = promptClock({ mode: 'console', confirm: async (w) => (shown.push(w.en), 'prompted'), ask: async (q) => (shown.push(q.en), '') }, 300);
  await op.confirm({ en: 'switch A off', zh: '关闭 A' }, 'A');
  await op.ask({ en: 'what did it show?', zh: '显示了什么？' }, 'A');
  expect(test.info().timeout).toBe(before + 2 * 300_000);
  const tokenOp = tokenPromptClock({ say: (l) => void shown.push(l), askSecret: async () => 'x' }, 60_000);
  tokenOp.say('insert UKEY 1');
  expect(test.info().timeout).toBe(before + 2 * 300_000 + 60_000);
  expect(shown).toEqual(['switch A off', 'what did it show?', 'insert UKEY 1']);
  // never past what a Node timer can hold
  extendTestTimeout(10 * 2 ** 31);
  expect(test.info().timeout).toBe(MAX_TEST_TIMEOUT_MS);
  test.setTimeout(before); // and back, so this test's own timer stays ordinary
});

test('a lab file with a typo fails the Playwright run (exit 1, one line), no hardware test runs', () => {
  test.setTimeout(120_000);
  const dir = tempDir('lab-run-');
  writeFileSync(join(dir, 'typo.json'), TYPO);
  const cli = join(dirname(createRequire(import.meta.url).resolve('@playwright/test/package.json')), 'cli.js');
  const r = spawnSync(process.execPath, [cli, 'test', 'scenarios', '--project', 'hardware', '--reporter=line'], {
    encoding: 'utf8',
    env: { ...process.env, EVSM_LAB_FILE: join(dir, 'typo.json'), EVSM_LAB_OUTPUT: join(dir, 'out'), PLAYWRIGHT_JSON_OUTPUT_NAME: join(dir, 'r.json') },
  });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toContain(`${join(dir, 'typo.json')}:5:29: unknown key "managmentPort" in devices.A (did you mean "managementPort"?)`);
  expect(r.stdout).toMatch(/1 failed[\s\S]*24 did not run|did not run/);
  expect(r.stdout).not.toMatch(/passed/);
});

test('the emulator ready line parses, anything else does not', () => {
  expect(parseReadyLine('evsm-emulator ready name=A port=40001 mgmt-port=40002 tls-port=- pid=77')).toEqual({ name: 'A', port: 40001, mgmtPort: 40002, tlsPort: undefined, pid: 77 });
  expect(parseReadyLine('evsm-emulator ready name=B port=1 mgmt-port=2 tls-port=3 pid=4')?.tlsPort).toBe(3);
  expect(parseReadyLine('listening on 8018')).toBeUndefined();
});

test('a real bench runs one hardware test at a time; a rehearsal may run in parallel', () => {
  expect(hardwareWorkers('lab/bench.example.json')).toBe(1);
  expect(hardwareWorkers('lab/rehearsal.json')).toBeUndefined();
  expect(hardwareWorkers('lab/rehearsal-operator.json')).toBeUndefined();
  expect(hardwareWorkers(undefined)).toBeUndefined();
  // unreadable or broken: 1 (the hardware-lab check reports why)
  expect(hardwareWorkers('/dev/zero')).toBe(1);
  const dir = tempDir('lab-w-');
  writeFileSync(join(dir, 'broken.json'), '{ "rehearsal": ');
  expect(hardwareWorkers(join(dir, 'broken.json'))).toBe(1);
});
