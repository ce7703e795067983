/**
 * The emulator as a real program (child processes): ready line, SIGTERM, restart keeps the
 * keys, kill -9 during a restore import leaves the old state or the new one, TLS listener.
 */
import { test, expect } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HostClient, frameMessage } from '../emulators/evsm/testing/host-client.ts';
import { ManagerClient, type BackupExportResult } from '../drivers/evsm/manager/index.ts';
import { reseal, softOriginalInit, softRecovery, softToken, type SoftCeremony, type SoftToken } from '../drivers/evsm/manager/testing.ts';

const PROGRAM = join(process.cwd(), 'emulators', 'evsm', 'program.ts');
const READY = /^evsm-emulator ready name=(\S+) port=(\d+) mgmt-port=(\d+) tls-port=(\d+|-) pid=(\d+)$/;

interface Proc {
  child: ChildProcess;
  port: number;
  mgmtPort: number;
  tlsPort?: number;
  readyLine: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let dir: string;
const running = new Set<ChildProcess>();

function launch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', PROGRAM, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => READY.test(l));
      if (!line) return;
      const m = READY.exec(line) as RegExpExecArray;
      resolve({ child, port: Number(m[2]), mgmtPort: Number(m[3]), tlsPort: m[4] === '-' ? undefined : Number(m[4]), readyLine: line, stderr: () => err, exited });
    });
    void exited.then((e) => reject(new Error(`emulator exited (${e.code ?? e.signal}) before its ready line: ${err}`)));
  });
}

function start(data: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return launch(['--port', '0', '--data', join(dir, data), '--name', name, ...extra], env);
}

async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-proc-'));
});

test.afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('ready line with actual ports, SIGTERM stops cleanly with exit 0', async () => {
  const p = await start('ready', 'R1');
  expect(p.readyLine).toBe(`evsm-emulator ready name=R1 port=${p.port} mgmt-port=${p.mgmtPort} tls-port=- pid=${p.child.pid}`);
  const h = await HostClient.connect(p.port);
  expect((await h.request('B2', '0002', 'hi')).text).toBe('hi');
  p.child.kill('SIGTERM');
  expect(await p.exited).toEqual({ code: 0, signal: null });
  h.close();
});

test('bad command line → exit 2 with a message', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', PROGRAM, '--data', join(dir, 'x')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  expect(err).toContain('--port is required');
});

test('a port already in use → exit 1 naming the problem; the first device keeps serving', async () => {
  const p = await start('busy1', 'B1');
  const child = spawn(process.execPath, ['--import', 'tsx', PROGRAM, '--port', String(p.port), '--data', join(dir, 'busy2')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  expect(await new Promise<number | null>((r) => child.once('exit', r))).toBe(1);
  expect(err).toContain('EADDRINUSE');
  const h = await HostClient.connect(p.port);
  expect(await h.ok('B2', '0001', 'x')).toBe('x');
  h.close();
  p.child.kill('SIGTERM');
  await p.exited;
});

test('a second emulator on the same data directory → exit 1; the lock of a killed one is taken over', async () => {
  const p = await start('shared', 'S1');
  const child = spawn(process.execPath, ['--import', 'tsx', PROGRAM, '--port', '0', '--data', join(dir, 'shared')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  expect(await new Promise<number | null>((r) => child.once('exit', r))).toBe(1);
  expect(err).toContain(`in use by process ${p.child.pid}`);
  await kill9(p);
  const q = await start('shared', 'S2');
  q.child.kill('SIGTERM');
  expect((await q.exited).code).toBe(0);
});

test('the device log (--debug) names refusals but never key material', async () => {
  const p = await start('log', 'L', ['--debug']);
  const mgr = await ManagerClient.connect({ port: p.mgmtPort });
  await softOriginalInit(mgr);
  mgr.close();
  const h = await HostClient.connect(p.port);
  const c1 = '0123456789ABCDEFFEDCBA9876543210';
  const c2 = '00112233445566778899AABBCCDDEEFF';
  await h.ok('XA', '008', 'P', '2', c1, c2);
  expect((await h.request('XA', '008', 'P', '2', c1, c1)).error).toBe('16');
  expect((await h.request('BU', '001', 'P' + '0'.repeat(40))).error).toBe('10');
  h.close();
  p.child.kill('SIGTERM');
  await p.exited;
  const log = p.stderr();
  expect(log).toContain('XA → 16');
  expect(log).toContain('BU → 10');
  for (const secret of [c1, c2, '01326754CDFEAB9876451023BA89DCEF']) expect(log.toUpperCase()).not.toContain(secret);
});

test('kill -9 and restart: same DMK, same internal keys, same external cryptograms', async () => {
  const p = await start('restart', 'R2');
  const mgr = await ManagerClient.connect({ port: p.mgmtPort });
  await softOriginalInit(mgr);
  mgr.close();
  const h = await HostClient.connect(p.port);
  await h.ok('X0', '0001', '008', 'P', '0');
  await h.ok('X0', '0002', '001', 'U', '0');
  const ext = (await h.ok('A0', '0', '00A', 'P')).slice(0, 41);
  const before = { dmk: await h.ok('X8'), list: await h.ok('X4'), ext: await h.ok('BU', '00A', ext), id: (await h.ok('NO')).slice(-16) };
  h.close();
  await kill9(p);
  const q = await start('restart', 'R2');
  const h2 = await HostClient.connect(q.port);
  expect({ dmk: await h2.ok('X8'), list: await h2.ok('X4'), ext: await h2.ok('BU', '00A', ext), id: (await h2.ok('NO')).slice(-16) }).toEqual(before);
  h2.close();
  q.child.kill('SIGTERM');
  await q.exited;
});

test.describe('kill -9 during restore import', () => {
  test.describe.configure({ mode: 'serial' });
  const KEYS = 24;
  let source: Proc;
  let c: SoftCeremony;
  let kbk: SoftToken[];
  let backup: BackupExportResult;
  let newList: string;

  test.beforeAll(async () => {
    source = await start('source', 'S');
    const mgr = await ManagerClient.connect({ port: source.mgmtPort });
    c = await softOriginalInit(mgr);
    const h = await HostClient.connect(source.port);
    for (let i = 1; i <= KEYS; i++) await h.ok('X0', String(i).padStart(4, '0'), i % 2 ? '008' : '001', i % 3 ? 'P' : 'U', '0');
    newList = await h.ok('X4');
    h.close();
    kbk = [softToken(), softToken(), softToken()];
    backup = await mgr.backupExport({ recipientPublicKeys: kbk.map((k) => k.publicKey), authorization: await mgr.authorize('backupExport', [c.authTokens[0].signer, c.authTokens[1].signer]) });
    mgr.close();
  });

  test.afterAll(async () => {
    source.child.kill('SIGTERM');
    await source.exited;
  });

  /** A target with the same DMK and 3 keys of its own at indices the backup also uses. */
  async function target(data: string): Promise<{ p: Proc; oldList: string }> {
    const p = await start(data, data, [], { EVSM_EMULATOR_STEP_DELAY_MS: '15' });
    const mgr = await ManagerClient.connect({ port: p.mgmtPort });
    await softRecovery(mgr, c);
    await mgr.syncAuth({ authInfo: c.init.authInfo });
    mgr.close();
    const h = await HostClient.connect(p.port);
    for (const i of ['0001', '0002', '0100']) await h.ok('X0', i, '00A', 'P', '0');
    const oldList = await h.ok('X4');
    h.close();
    return { p, oldList };
  }

  async function restore(p: Proc, onProgress: (done: number) => void): Promise<void> {
    const mgr = await ManagerClient.connect({ port: p.mgmtPort });
    const pub = (await mgr.getInfo()).devicePublicKey;
    const shares = [reseal(kbk[0], backup.shares[0].encrypted, pub), reseal(kbk[2], backup.shares[2].encrypted, pub)];
    const authorization = await mgr.authorize('restoreImport', [c.authTokens[1].signer, c.authTokens[2].signer]);
    await mgr.restoreImport({ shares, backup: backup.backup, authorization }, (e) => onProgress(e.done)).catch(() => undefined);
    mgr.close();
  }

  /** What a restore that completed leaves: the backup's keys plus the target's own index 0100. */
  function expectedNew(oldList: string): string {
    const entries = (s: string): string[] => s.slice(4).match(/.{24}/g) ?? [];
    const merged = [...entries(newList), ...entries(oldList).filter((e) => e.startsWith('0100'))].sort();
    return String(merged.length).padStart(3, '0') + '0' + merged.join('');
  }

  for (const killAt of [1, Math.floor(KEYS / 2), KEYS]) {
    test(`killed at progress ${killAt}/${KEYS}: restart shows all old or all new keys`, async () => {
      const name = `t${killAt}`;
      const { p, oldList } = await target(name);
      await restore(p, (done) => {
        if (done !== killAt) return;
        // At the last key the single write follows within one step (15 ms): kill at a random
        // moment around it, so repeated runs hit before, during and after the write.
        if (killAt === KEYS) setTimeout(() => p.child.kill('SIGKILL'), Math.floor(Math.random() * 30));
        else p.child.kill('SIGKILL');
      });
      await p.exited;
      const q = await start(name, name);
      const h = await HostClient.connect(q.port);
      const after = await h.ok('X4');
      expect([oldList, expectedNew(oldList)]).toContain(after);
      expect(await h.ok('X8')).toBe(c.init.dmkKcv);
      h.close();
      q.child.kill('SIGTERM');
      await q.exited;
    });
  }

  test('a restore that completed survives kill -9 right after its answer', async () => {
    const { p, oldList } = await target('done');
    await restore(p, () => undefined);
    await kill9(p);
    const q = await start('done', 'done');
    const h = await HostClient.connect(q.port);
    expect(await h.ok('X4')).toBe(expectedNew(oldList));
    h.close();
    q.child.kill('SIGTERM');
    await q.exited;
  });
});

test('TLS listener speaks the same protocol (TLS 1.2+), checked against a CA made for the test', async () => {
  const tdir = join(dir, 'tls');
  execFileSync('mkdir', ['-p', tdir]);
  const o = (f: string): string => join(tdir, f);
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', o('ca.key'), '-out', o('ca.pem'), '-days', '1', '-subj', '/CN=evsm-test-ca']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', o('srv.key'), '-out', o('srv.csr'), '-subj', '/CN=127.0.0.1']);
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1\n' > ${o('ext.cnf')}`]);
  run(['x509', '-req', '-in', o('srv.csr'), '-CA', o('ca.pem'), '-CAkey', o('ca.key'), '-CAcreateserial', '-out', o('srv.pem'), '-days', '1', '-extfile', o('ext.cnf')]);
  const p = await start('tlsdev', 'TLS', ['--tls-port', '0', '--tls-cert', o('srv.pem'), '--tls-key', o('srv.key')]);
  expect(p.tlsPort).toBeGreaterThan(0);
  const ca = execFileSync('cat', [o('ca.pem')]);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: p.tlsPort as number, ca, minVersion: 'TLSv1.2' }, () => s.write(frameMessage(Buffer.from('0042B20003TLS'))));
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
  p.child.kill('SIGTERM');
  expect((await p.exited).code).toBe(0);
});
