/**
 * The emulator as a real program (child processes): ready line, exit codes, SIGTERM, restart,
 * the data directory (lock, 0700, stale temporary files), an initialized start (--init,
 * --dmk-components-file and the environment the container image uses), a busy port named by its
 * listener, the idle timeout, a log that never holds key material or forged lines, and TLS.
 * (kill -9 at random moments: emulator-crash.test.ts; limits: emulator-limits.test.ts.)
 * The program runs from the run's bundle (what the embedded target and the image run; ready in a
 * third of the time tsx takes); cases that only need an exit code run side by side.
 */
import { test, expect } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HostClient, frameMessage } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient } from '../drivers/evsm/manager/index.ts';
import { softOriginalInit } from './support/soft-token.ts';
import { bundledEmulator, hostOk, killAllEmulators, launchEmulator, makeTlsMaterial, parseListing, storeKeyRequest, type EmulatorChild } from './support/emulator-process.ts';

const C1 = '0123456789ABCDEFFEDCBA9876543210';
const C2 = '00112233445566778899AABBCCDDEEFF';

let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-proc-'));
});

test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

async function start(data: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<EmulatorChild> {
  return launchEmulator(['--port', '0', '--data', join(dir, data), '--name', name, ...extra], { env, program: await bundledEmulator() });
}

async function stop(p: EmulatorChild): Promise<void> {
  p.child.kill('SIGTERM');
  expect((await p.exited).code).toBe(0);
}

async function kill9(p: EmulatorChild): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Runs the program to its exit; resolves with the code and stderr. */
async function runToExit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [await bundledEmulator(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((r) => child.once('exit', (code) => (clearTimeout(t), r({ code, stderr, stdout }))));
}

async function host(p: EmulatorChild, headerLength = 0): Promise<HostClient> {
  return HostClient.connect(p.ready.port, headerLength);
}

const dmkKcvOf = (line: string): string => /dmk-kcv=(\S+)/.exec(line)?.[1] ?? '?';

test('ready line with actual ports and the DMK check value (- on a factory device); SIGTERM stops with exit 0', async () => {
  const p = await start('ready', 'R1');
  expect(p.readyLine).toBe(`evsm-emulator ready name=R1 port=${p.ready.port} mgmt-port=${p.ready.mgmtPort} tls-port=- pid=${p.child.pid} dmk-kcv=-`);
  const h = await host(p);
  expect(await hostOk(h, 'B20002hi')).toBe('hi');
  h.close();
  await stop(p);
});

test('bad command line → exit 2 with a message', async () => {
  const runs: Array<Promise<{ r: Awaited<ReturnType<typeof runToExit>>; args: readonly string[]; message: string }>> = [];
  for (const [args, message] of [
    [['--data', join(dir, 'x')], '--port is required'],
    [['--port', '0', '--data', join(dir, 'x'), '--header-length', '33'], '--header-length must be a header length 0-32'],
    [['--port', '0', '--data', join(dir, 'x'), '--idle-timeout', '99999999'], '--idle-timeout must be'],
    [['--port', '0', '--data', join(dir, 'x'), '--max-connections', '0'], '--max-connections must be'],
    [['--port', '0', '--data', join(dir, 'x'), '--host', '127.0.0.1;evil'], '--host must be an IP address or a host name'],
    [['--port', '0', '--data', join(dir, 'x'), '--frobnicate'], 'unknown option --frobnicate'],
  ] as const) runs.push(runToExit([...args]).then((r) => ({ r, args, message })));
  for (const { r, args, message } of await Promise.all(runs)) {
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr).toContain(message);
  }
  expect(existsSync(join(dir, 'x'))).toBe(false);
});

test('a port already in use → exit 1 naming the listener and the port; the first device keeps serving', async () => {
  const p = await start('busy1', 'B1');
  const [h1, m1] = await Promise.all([
    runToExit(['--port', String(p.ready.port), '--mgmt-port', '0', '--data', join(dir, 'busy2')]),
    runToExit(['--port', '0', '--mgmt-port', String(p.ready.mgmtPort), '--data', join(dir, 'busy3')]),
  ]);
  expect(h1.code).toBe(1);
  expect(h1.stderr).toContain(`host port 127.0.0.1:${p.ready.port} is already in use (EADDRINUSE)`);
  expect(m1.code).toBe(1);
  expect(m1.stderr).toContain(`management port 127.0.0.1:${p.ready.mgmtPort} is already in use (EADDRINUSE)`);
  const h = await host(p);
  expect(await hostOk(h, 'B20001x')).toBe('x');
  h.close();
  await stop(p);
});

test('a second emulator on the same data directory → exit 1; the lock of a killed one is taken over', async () => {
  const p = await start('shared', 'S1');
  const r = await runToExit(['--port', '0', '--data', join(dir, 'shared')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`in use by process ${p.child.pid}`);
  await kill9(p);
  await stop(await start('shared', 'S2'));
});

test('finding 9: the data directory is made 0700 and temporary files a crash left are removed at start', async () => {
  const data = join(dir, 'perm');
  mkdirSync(data, { recursive: true, mode: 0o755 });
  chmodSync(data, 0o755);
  const p = await start('perm', 'P');
  await stop(p);
  // What kill -9 between open and rename leaves: a whole state (DMK included) under another pid.
  writeFileSync(join(data, '.state.json.999999.tmp'), readFileSync(join(data, 'state.json')));
  writeFileSync(join(data, '.lock.999998.tmp'), '1\n');
  chmodSync(data, 0o755);
  const q = await start('perm', 'P');
  expect(readdirSync(data).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  expect(statSync(data).mode & 0o777).toBe(0o700);
  expect(statSync(join(data, 'state.json')).mode & 0o777).toBe(0o600);
  await stop(q);
});

test('finding 5 and secrets: the log names refusals, never key material, and a client cannot forge a line', async () => {
  const p = await start('log', 'L', ['--debug']);
  const mgr = await ManagerClient.connect({ port: p.ready.mgmtPort });
  await softOriginalInit(mgr);
  // An op name with a line break and a fake log line after it; a very long one.
  await mgr.call('x\n2026-01-01T00:00:00.000Z L info forged line').catch(() => undefined);
  await mgr.call('y'.repeat(5000)).catch(() => undefined);
  mgr.close();
  const h = await host(p);
  const form = 'XK';
  await hostOk(h, `${form}008P2${C1}${C2}`);
  const dup = (await h.sendRaw(frameMessage(Buffer.from(`${form}008P2${C1}${C1}`, 'latin1'))))[0];
  expect(dup.error).not.toBe('00');
  // A command code with a line break in it.
  const nl = (await h.sendRaw(frameMessage(Buffer.from('\nZ2026-01-01T00:00:00.000Z L info forged host line', 'latin1'))))[0];
  expect(nl.error).toBe('68');
  h.close();
  await stop(p);
  const log = p.stderr();
  expect(log).toContain(`${form} → ${dup.error}`);
  const lines = log.split('\n');
  // The names were logged (escaped, capped), but no line starts with the forged time stamp.
  expect(log).toContain('\\x0a2026-01-01T00:00:00.000Z L info forged line');
  expect(lines.some((l) => l.startsWith('2026-01-01T00:00:00.000Z'))).toBe(false);
  expect(lines.every((l) => l.length < 1000)).toBe(true);
  for (const secret of [C1, C2, '01326754CDFEAB9876451023BA89DCEF']) expect(log.toUpperCase()).not.toContain(secret);
});

test('kill -9 and restart: same DMK, same LMK check value, same internal keys', async () => {
  const p = await start('restart', 'R2', ['--init']);
  const h = await host(p);
  await hostOk(h, storeKeyRequest(1, 'a', '008'));
  await hostOk(h, storeKeyRequest(2, 'b', '001'));
  const before = { dmk: await hostOk(h, 'X8'), list: await hostOk(h, 'X4'), lmk: (await hostOk(h, 'NC')).slice(0, 16) };
  h.close();
  await kill9(p);
  const q = await start('restart', 'R2');
  expect(dmkKcvOf(q.readyLine)).toBe(before.dmk);
  const h2 = await host(q);
  expect({ dmk: await hostOk(h2, 'X8'), list: await hostOk(h2, 'X4'), lmk: (await hostOk(h2, 'NC')).slice(0, 16) }).toEqual(before);
  expect(parseListing(before.list).entries.map((e) => e.index)).toEqual([1, 2]);
  h2.close();
  await stop(q);
});

test.describe('initialized at start', () => {
  test('--init: a random DMK on a factory device, printed as its check value; kept on the next start', async () => {
    const p = await start('init', 'I', ['--init']);
    const kcv = dmkKcvOf(p.readyLine);
    expect(kcv).toMatch(/^[0-9A-F]{16}$/);
    const h = await host(p);
    expect(await hostOk(h, 'X8')).toBe(kcv);
    // Usable at once: a key is generated and stored.
    expect((await hostOk(h, storeKeyRequest(5))).slice(-16)).toMatch(/^[0-9A-F]{16}$/);
    h.close();
    await stop(p);
    // Neither --init again nor a plain start changes the DMK; the DMK itself is never printed.
    for (const extra of [['--init'], []]) {
      const q = await start('init', 'I', extra);
      expect(dmkKcvOf(q.readyLine)).toBe(kcv);
      await stop(q);
    }
    expect(readFileSync(join(dir, 'init', 'state.json'), 'utf8')).toContain('"dmk"');
    expect(p.stderr() + p.readyLine).not.toMatch(new RegExp(JSON.parse(readFileSync(join(dir, 'init', 'state.json'), 'utf8')).dmk, 'i'));
  });

  test('--dmk-components-file: two devices from the same file share their DMK; another DMK is refused, nothing changed', async () => {
    const file = join(dir, 'components.txt');
    writeFileSync(file, `# the two components of the lab DMK\n${C1}\n\n# second\n${C2.toLowerCase()}\n`, { mode: 0o600 });
    const [a, b] = await Promise.all([start('compA', 'A', ['--dmk-components-file', file]), start('compB', 'B', ['--dmk-components-file', file])]);
    const kcv = dmkKcvOf(a.readyLine);
    expect(kcv).toMatch(/^[0-9A-F]{16}$/);
    expect(dmkKcvOf(b.readyLine)).toBe(kcv);
    const ha = await host(a);
    const hb = await host(b);
    // Same DMK, so same LMKs: the LMK check value of NC agrees.
    expect((await hostOk(ha, 'NC')).slice(0, 16)).toBe((await hostOk(hb, 'NC')).slice(0, 16));
    ha.close();
    hb.close();
    await Promise.all([stop(a), stop(b)]);
    // The same components again: fine. Other components on that directory: refused.
    await stop(await start('compA', 'A', ['--dmk-components-file', file]));
    const other = join(dir, 'other.txt');
    writeFileSync(other, `${C2}\n${'1'.repeat(32)}\n`);
    const state = readFileSync(join(dir, 'compA', 'state.json'), 'utf8');
    const r = await runToExit(['--port', '0', '--data', join(dir, 'compA'), '--dmk-components-file', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`already holds another DMK (check value ${kcv})`);
    expect(readFileSync(join(dir, 'compA', 'state.json'), 'utf8')).toBe(state);
  });

  test('bad components → exit 2 with a clear message, nothing written, no component in the message', async () => {
    const write = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['--dmk-components-file', write('same.txt', `${C1}\n${C1}\n`)], {}, 'component 2 is the same as component 1'],
      [['--dmk-components-file', write('hex.txt', `${C1}\n${C2.slice(0, 31)}G\n`)], {}, 'line 2 is not a DMK component (32 hex digits'],
      [['--dmk-components-file', write('one.txt', `# only one\n${C1}\n`)], {}, 'a DMK needs at least 2 components, found 1'],
      [['--dmk-components-file', write('short.txt', `${C1}\n${C2.slice(0, 30)}\n`)], {}, 'line 2 is not a DMK component'],
      [['--dmk-components-file', fifo], {}, 'is not a regular file'],
      [['--dmk-components-file', join(dir, 'missing.txt')], {}, 'cannot open (ENOENT)'],
      [[], { EVSM_DMK_COMPONENTS: `${C1},${C1}` }, 'EVSM_DMK_COMPONENTS: component 2 is the same as component 1'],
      [['--dmk-components-file', write('ok.txt', `${C1}\n${C2}\n`)], { EVSM_DMK_COMPONENTS: `${C1},${C2}` }, 'give the DMK components one way'],
      [[], { EVSM_INIT: 'maybe' }, 'EVSM_INIT must be 1 or 0'],
    ];
    const results = await Promise.all(cases.map(([args, env], i) => runToExit(['--port', '0', '--data', join(dir, `bad${i}`), ...args], env)));
    for (const [i, [, , message]] of cases.entries()) {
      const data = join(dir, `bad${i}`);
      const r = results[i];
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.toUpperCase()).not.toContain(C1);
      expect(existsSync(data), `${message}: nothing written`).toBe(false);
    }
  });

  test('the environment the container image uses: EVSM_DMK_COMPONENTS, EVSM_INIT, EVSM_HEADER_LENGTH', async () => {
    const file = join(dir, 'env-components.txt');
    writeFileSync(file, `${C1}\n${C2}\n`);
    const [fromFile, viaEnv, rnd, cl] = await Promise.all([
      start('envF', 'F', ['--dmk-components-file', file]),
      start('envE', 'E', [], { EVSM_DMK_COMPONENTS: `${C1}, ${C2}`, EVSM_HEADER_LENGTH: '4' }),
      start('envI', 'I', [], { EVSM_INIT: '1' }),
      // The command line wins over the environment.
      start('envC', 'C', ['--header-length', '0'], { EVSM_HEADER_LENGTH: '8' }),
    ]);
    expect(dmkKcvOf(viaEnv.readyLine)).toBe(dmkKcvOf(fromFile.readyLine));
    const h = await host(viaEnv, 4);
    expect((await h.sendRaw(frameMessage(Buffer.from('HDR1B20002ok', 'latin1'))))[0]).toMatchObject({ header: 'HDR1', code: 'B3', error: '00', text: 'ok' });
    h.close();
    expect(dmkKcvOf(rnd.readyLine)).toMatch(/^[0-9A-F]{16}$/);
    const h0 = await host(cl, 0);
    expect(await hostOk(h0, 'B20001z')).toBe('z');
    h0.close();
    await Promise.all([fromFile, viaEnv, rnd, cl].map(stop));
  });
});

test('--idle-timeout: a silent connection is closed, a talking one is not', async () => {
  const p = await start('idle', 'T', ['--idle-timeout', '1']);
  const silent = connect(p.ready.port, '127.0.0.1');
  const silentClosed = new Promise<number>((r) => {
    const t0 = Date.now();
    silent.on('close', () => r(Date.now() - t0));
  });
  const h = await host(p);
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 250));
    expect(await hostOk(h, 'B20001x')).toBe('x');
  }
  const ms = await silentClosed;
  expect(ms).toBeGreaterThanOrEqual(900);
  expect(ms).toBeLessThan(2000);
  h.close();
  await stop(p);
});

test('TLS listener speaks the same protocol (TLS 1.2+), checked against a CA made for the test', async () => {
  const tls = makeTlsMaterial();
  const p = await start('tlsdev', 'TLS', ['--tls-port', '0', '--tls-cert', tls.serverCert, '--tls-key', tls.serverKey, '--header-length', '4']);
  expect(p.ready.tlsPort).toBeGreaterThan(0);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: p.ready.tlsPort as number, ca: readFileSync(tls.caCert), minVersion: 'TLSv1.2' }, () => s.write(frameMessage(Buffer.from('0042B20003TLS'))));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(buf);
      }
    });
    s.on('error', reject);
  });
  expect(answer.subarray(2).toString('latin1')).toBe('0042B300TLS');
  await stop(p);
  rmSync(tls.dir, { recursive: true, force: true });
});
