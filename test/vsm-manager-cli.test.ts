/**
 * `evsm-lab vsm-manager` as a person starts it: the ready line, the page, the device list,
 * SIGTERM ends it with 0; bad options are usage errors (exit 2) with one line.
 */
import { test, expect } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'evsm-lab.mjs');

test('vsm-manager verb: ready line, page and state, SIGTERM exits 0', async () => {
  const emu = await EmulatorProcess.start({ name: 'A' });
  const tokens = mkdtempSync(join(tmpdir(), 'vsmm-cli-'));
  const child = spawn(process.execPath, [BIN, 'vsm-manager', '--device', `A=127.0.0.1:${emu.mgmtPort}`, '--tokens', tokens, '--backups', tokens], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /vsm-manager ready url=(\S+) devices=A pid=\d+/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${out}`)));
    });
    expect(await (await fetch(url)).text()).toContain('密钥管理');
    const state = (await (await fetch(`${url}api/state`)).json()) as { devices: unknown[]; tokens: unknown[] };
    expect(state.devices).toEqual([expect.objectContaining({ name: 'A', state: 'factory' })]);
    expect(state.tokens).toEqual([]);
    const post = (headers: Record<string, string>) => fetch(`${url}api/op/dmkKcv`, { method: 'POST', headers, body: '{"device":"A"}' });
    const refused = await post({ 'content-type': 'application/json' });
    expect(await refused.text()).toContain('"code":"NOT_INITIALIZED"');
    // What another web page could send: a plain-text body, or JSON from a foreign origin.
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await emu.stop();
    rmSync(tokens, { recursive: true, force: true });
  }
});

test('vsm-manager verb: bad options are usage errors with one line', () => {
  for (const [args, message] of [
    [['--tokens', '.'], 'name at least one --device'],
    [['--device', 'A:8019', '--tokens', '.'], 'is not NAME=HOST:MGMTPORT'],
    [['--device', 'A=192.168.0.1:8019', '--tokens', '.'], '127.0.0.1 only'],
    [['--device', 'A=127.0.0.1:8019', '--tokens', '/no/such/dir'], 'no such directory'],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'vsm-manager', ...args], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  }
});
