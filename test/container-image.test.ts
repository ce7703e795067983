/**
 * The offline image pipeline (docker/): parsing helpers without Docker; the build, its cache
 * key and the image's configuration with Docker (skipped, with the reason, without it).
 * Built from the stand-in entry so these tests do not depend on the emulator's progress.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { REPO_ROOT, STAND_IN_ENTRY, ensureEvsmImage } from '../docker/build-image.ts';
import { docker } from '../docker/docker-cli.ts';
import { parseLdd } from '../docker/rootfs.ts';
import { checkContainersReadiness, parseReadyLine } from '../drivers/evsm/container/index.ts';

test('ldd output: libraries and the loader are found, the vdso is not', () => {
  const out = [
    '\tlinux-vdso.so.1 (0x00007ffd)',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f52)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f52)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f52)',
  ].join('\n');
  expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  expect(parseLdd('\tstatically linked\n')).toEqual([]);
});

test('ready line: parsed with and without a TLS port, other lines ignored', () => {
  expect(parseReadyLine('evsm-emulator ready name=A port=18018 mgmt-port=18019 tls-port=- pid=1')).toEqual({
    name: 'A', port: 18018, mgmtPort: 18019, tlsPort: undefined, pid: 1,
  });
  expect(parseReadyLine('2026 evsm-emulator ready name=HSM-2 port=1 mgmt-port=2 tls-port=3 pid=44')?.tlsPort).toBe(3);
  expect(parseReadyLine('evsm-emulator stopped name=A')).toBeUndefined();
});

test.describe('with Docker', () => {
  test.beforeEach(async () => {
    const r = await checkContainersReadiness({ entry: STAND_IN_ENTRY });
    test.skip(!r.ready, r.ready ? '' : r.reason);
  });

  test('the CLI builds the image offline once; an unchanged build is a cache hit with the same tag', async () => {
    test.setTimeout(180_000);
    const cli = (): { tag: string; log: string } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'docker/build-image.ts', '--entry', relative(REPO_ROOT, STAND_IN_ENTRY)], {
        cwd: REPO_ROOT, encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      return { tag: r.stdout.trim(), log: r.stderr };
    };
    const first = cli();
    const second = cli();
    expect(first.tag).toMatch(/^evsm-lab\/evsm-emulator:[0-9a-f]{20}$/);
    expect(second.tag).toBe(first.tag);
    expect(second.log).toContain('up to date (cache key unchanged)');
  });

  test('the image runs node as the non-root user, with /data as a volume and the project label', async () => {
    const { tag } = await ensureEvsmImage({ entry: STAND_IN_ENTRY });
    const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', tag])) as {
      User: string; Volumes: Record<string, unknown> | null; Labels: Record<string, string> | null; Entrypoint: string[];
    };
    expect(config.User).toBe('10001:10001');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/data']);
    expect(config.Labels?.['evsm-lab']).toBe('1');
    expect(config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/evsm-emulator.mjs']);
  });
});

test.describe('readiness reasons', () => {
  /** Runs checkContainersReadiness() in a child process with a changed environment. */
  function readinessWith(env: NodeJS.ProcessEnv): { ready: boolean; reason?: string } {
    const script = `import { checkContainersReadiness } from ${JSON.stringify(`${REPO_ROOT}/drivers/evsm/container/readiness.ts`)};
      console.log(JSON.stringify(await checkContainersReadiness({ entry: ${JSON.stringify(STAND_IN_ENTRY)} })));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ready: boolean; reason?: string };
  }

  test('no docker command: not ready, one line saying so', () => {
    const r = readinessWith({ PATH: '/nonexistent' });
    expect(r.ready).toBe(false);
    expect(r.reason).toBe('Docker is not installed (no docker command); run `npm run setup:system`');
  });

  test('no engine behind the socket: not ready, one line naming the engine', () => {
    const r = readinessWith({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.ready).toBe(false);
    expect(r.reason).toMatch(/^the Docker engine is not running \(.+\); run `npm run setup:system`$/);
    expect(r.reason).not.toContain('\n');
  });
});
