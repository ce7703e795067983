/**
 * How the harness starts emulator processes (harness/targets/emulator-process.ts): from an esbuild
 * bundle cached by content (docker/bundle.ts cachedBundle), set once per run by the Playwright
 * global setup (EVSM_EMULATOR_BUNDLE), through tsx when EVSM_EMULATOR_RUNNER=tsx, and through tsx
 * with a one-line reason when the bundle cannot be built.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedBundle } from '../docker/bundle.ts';
import { bundleForWorkers } from '../drivers/evsm/container/playwright-global.ts';
import { HostClient } from '../emulators/evsm/testing/host-client.ts';
import { EMULATOR_PROGRAM, EmulatorProcess, resolveEmulatorLauncher, type EmulatorLauncher } from '../harness/targets/emulator-process.ts';

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-launcher-'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command line the kernel has for a process (argv joined by spaces). */
function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
}

async function answersNc(launcher: EmulatorLauncher, name: string): Promise<{ cmd: string; kind: string }> {
  const p = await EmulatorProcess.start({ name, dataDir: mkdtempSync(join(dir, `${name}-`)), launcher });
  try {
    const h = await HostClient.connect(p.port, 0);
    try {
      const a = await h.request('NC');
      expect(a.code).toBe('ND');
      expect(a.error).toBe('00');
    } finally {
      h.close();
    }
    return { cmd: cmdline(p.ready.pid), kind: p.launcher.kind };
  } finally {
    await p.stop();
  }
}

test('the default launcher runs a content-named bundle from the cache, and that process answers', async () => {
  const cacheDir = join(dir, 'cache');
  const env: NodeJS.ProcessEnv = {};
  const warned: string[] = [];
  const l = await resolveEmulatorLauncher(env, { cacheDir, warn: (w) => warned.push(w) });
  expect(warned).toEqual([]);
  expect(l.kind).toBe('bundle');
  expect(l.nodeArgs).toHaveLength(1);
  expect(l.nodeArgs[0]).toMatch(/evsm-emulator-[0-9a-f]{16}\.mjs$/);
  expect(l.nodeArgs[0].startsWith(cacheDir)).toBe(true);
  expect(readdirSync(cacheDir)).toEqual([l.nodeArgs[0].slice(cacheDir.length + 1)]);
  expect(statSync(l.nodeArgs[0]).mode & 0o777).toBe(0o600);
  // The process runs the bundle with plain node: no tsx loader, no .ts entry.
  const { cmd, kind } = await answersNc(l, 'BUNDLED');
  expect(kind).toBe('bundle');
  expect(cmd).toContain(l.nodeArgs[0]);
  expect(cmd).not.toContain('tsx');
  expect(cmd).not.toContain('program.ts');
});

test('a run bundles once: the global setup names the bundle, later launchers use it without bundling', async () => {
  const env: NodeJS.ProcessEnv = {};
  await bundleForWorkers(env);
  expect(env.EVSM_EMULATOR_BUNDLE).toMatch(/evsm-emulator-[0-9a-f]{16}\.mjs$/);
  // A named bundle is used as it is (a cacheDir of a directory that does not exist proves no bundling happens).
  const l = await resolveEmulatorLauncher(env, { cacheDir: '/nonexistent/evsm-lab-cache' });
  expect(l).toEqual({ kind: 'bundle', nodeArgs: [env.EVSM_EMULATOR_BUNDLE] });
  // The user's choices win over the global setup.
  const tsxEnv: NodeJS.ProcessEnv = { EVSM_EMULATOR_RUNNER: 'tsx' };
  await bundleForWorkers(tsxEnv);
  expect(tsxEnv.EVSM_EMULATOR_BUNDLE).toBeUndefined();
  const named: NodeJS.ProcessEnv = { EVSM_EMULATOR_BUNDLE: '/some/where.mjs' };
  await bundleForWorkers(named);
  expect(named.EVSM_EMULATOR_BUNDLE).toBe('/some/where.mjs');
});

test('the cache is keyed by content: the same sources reuse the file, a file with other bytes under that name is replaced', async () => {
  const cacheDir = join(dir, 'cache-key');
  const first = await cachedBundle(EMULATOR_PROGRAM, cacheDir);
  expect(first.written).toBe(true);
  const again = await cachedBundle(EMULATOR_PROGRAM, cacheDir);
  expect(again).toMatchObject({ file: first.file, written: false });
  const good = readFileSync(first.file);
  writeFileSync(first.file, 'process.exit(3)\n');
  const repaired = await cachedBundle(EMULATOR_PROGRAM, cacheDir);
  expect(repaired).toMatchObject({ file: first.file, written: true });
  expect(readFileSync(first.file).equals(good)).toBe(true);
  // A different source gives a different name.
  const other = join(dir, 'other-entry.ts');
  writeFileSync(other, "console.log('evsm-emulator ready name=X port=1 mgmt-port=2 tls-port=- pid=3 dmk-kcv=-');\n");
  const b = await cachedBundle(other, cacheDir);
  expect(b.file).not.toBe(first.file);
  expect(readdirSync(cacheDir).filter((f) => !f.endsWith('.tmp')).sort()).toEqual([first.file, b.file].map((f) => f.slice(cacheDir.length + 1)).sort());
});

test('EVSM_EMULATOR_RUNNER=tsx runs the TypeScript sources through tsx; an unknown value is refused', async () => {
  const l = await resolveEmulatorLauncher({ EVSM_EMULATOR_RUNNER: 'tsx' }, { cacheDir: join(dir, 'unused') });
  expect(l.kind).toBe('tsx');
  expect(l.reason).toBeUndefined();
  const { cmd, kind } = await answersNc(l, 'TSX');
  expect(kind).toBe('tsx');
  expect(cmd).toContain('tsx');
  expect(cmd).toContain(EMULATOR_PROGRAM);
  await expect(resolveEmulatorLauncher({ EVSM_EMULATOR_RUNNER: 'fast' })).rejects.toThrow('EVSM_EMULATOR_RUNNER=fast: expected bundle or tsx');
});

test('a bundle that cannot be built falls back to tsx with one line saying why', async () => {
  const broken = join(dir, 'broken-entry.ts');
  writeFileSync(broken, "import { nothing } from './no-such-module.ts';\nconsole.log(nothing);\n");
  const warned: string[] = [];
  const env: NodeJS.ProcessEnv = {};
  const l = await resolveEmulatorLauncher(env, { entry: broken, cacheDir: join(dir, 'cache-broken'), warn: (w) => warned.push(w) });
  expect(l.kind).toBe('tsx');
  expect(l.nodeArgs.at(-1)).toBe(broken);
  expect(l.reason).toContain('no-such-module');
  expect(warned).toHaveLength(1);
  expect(warned[0]).not.toContain('\n');
  expect(warned[0]).toContain('run under tsx');
  expect(warned[0]).toContain('no-such-module');
  expect(env.EVSM_EMULATOR_BUNDLE).toBeUndefined();
});
