/**
 * Host-protocol throughput of the EVSM emulator: ops/s for KCV (BU), generate key (A0),
 * MAC (M6) and PIN translate (CC), over 1 and 16 connections. Each connection runs closed-loop
 * (one request in flight). The emulator runs as its own process, as in use.
 *
 *   node --import tsx bench/host-throughput.ts [--seconds 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, sm4EcbEncrypt, xorBytes, fromHex } from '../crypto/index.ts';
import { HostClient } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { softOriginalInit } from '../drivers/evsm/manager/testing.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 2) || 2;
const dir = mkdtempSync(join(tmpdir(), 'evsm-bench-'));
const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'emulators', 'evsm', 'program.ts'), '--port', '0', '--data', dir, '--name', 'BENCH'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

const ports = await new Promise<{ port: number; mgmt: number }>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /port=(\d+) mgmt-port=(\d+)/.exec(out);
    if (m) resolve({ port: Number(m[1]), mgmt: Number(m[2]) });
  });
  child.once('exit', () => reject(new Error('emulator exited before its ready line')));
});

const mgr = await ManagerClient.connect({ port: ports.mgmt });
await softOriginalInit(mgr);
mgr.close();

const setup = await HostClient.connect(ports.port);
const c1 = fromHex('11111111111111112222222222222222');
const c2 = fromHex('33333333333333334444444444444444');
const zpk = (await setup.ok('XA', '001', 'P', '2', hex(c1), hex(c2))).slice(0, 41);
const zpk2 = (await setup.ok('A0', '0', '001', 'P')).slice(0, 41);
const zak = (await setup.ok('A0', '0', '008', 'P')).slice(0, 41);
const account = '400000123456';
const clearBlock = xorBytes(Buffer.from('041234FFFFFFFFFF', 'hex'), Buffer.from(`0000${account}`, 'hex'));
const pinBlock = hex(sm4EcbEncrypt(xorBytes(c1, c2), Buffer.concat([clearBlock, Buffer.alloc(8, 0xff)])));
setup.close();

const OPS: Record<string, string[]> = {
  'KCV (BU)': ['BU', '001', zpk],
  'generate key (A0)': ['A0', '0', '001', 'P'],
  'MAC 64 bytes (M6)': ['M6', '0', '1', '0', '1', '2', '008', zak, '0080', '00'.repeat(64)],
  'PIN translate (CC)': ['CC', zpk, zpk2, '12', pinBlock, '01', '01', account],
};

async function measure(fields: string[], connections: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: connections }, () => HostClient.connect(ports.port)));
  const [cmd, ...rest] = fields;
  await Promise.all(clients.map((c) => c.ok(cmd, ...rest))); // warm-up, and proof the op succeeds
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        await c.ok(cmd, ...rest);
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - (end - seconds * 1000)) / 1000;
  for (const c of clients) c.close();
  return count / elapsed;
}

const rows: Array<[string, number, number]> = [];
for (const [name, fields] of Object.entries(OPS)) rows.push([name, await measure(fields, 1), await measure(fields, 16)]);

console.log(`EVSM emulator host-protocol throughput (${seconds} s per figure, closed loop, 127.0.0.1, node ${process.version})`);
console.log('| operation | 1 connection (ops/s) | 16 connections (ops/s) |');
console.log('| --- | ---: | ---: |');
for (const [name, one, sixteen] of rows) console.log(`| ${name} | ${Math.round(one)} | ${Math.round(sixteen)} |`);

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
