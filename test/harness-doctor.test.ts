import { test, expect } from '@playwright/test';
import { checkDocker, checkPkcs11Module, checkUsb, checkNode, SOFTHSM2_MODULE } from '../harness/system/checks.ts';
import { main as doctor } from '../harness/cli/doctor.ts';
import { openBench } from '../harness/targets/open.ts';

test('a Docker engine that is not there is one line with the fix', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
  try {
    const r = await checkDocker();
    expect(r.ok).toBe(false);
    expect(r.detail).toBe('not running (no /nonexistent/docker.sock)');
    expect(r.fix).toContain('npm run setup:system');
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('USB: a machine without a USB bus gets one clear line, not a stack trace', async () => {
  const r = await checkUsb();
  if (r.ok) test.skip(true, 'this machine has a USB bus');
  expect(r.detail.split('\n')).toHaveLength(1);
  expect(r.fix).toBeTruthy();
});

test('a PKCS#11 module that does not exist or does not load is reported, with SoftHSM2 loading when installed', async () => {
  const missing = checkPkcs11Module('/nonexistent/libvendor.so');
  expect(missing).toMatchObject({ ok: false, detail: 'file not found' });
  const soft = checkPkcs11Module(SOFTHSM2_MODULE);
  if (soft.detail === 'file not found') test.skip(true, 'softhsm2 not installed');
  expect(soft.ok, soft.detail).toBe(true);
  expect(soft.detail).toMatch(/^loads: SoftHSM/);
});

test('doctor prints every target with ok/FAIL lines and exits 0 when embedded is ready', async () => {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  let rc: number;
  try {
    rc = await doctor([]);
  } finally {
    console.log = orig;
  }
  expect(checkNode().ok).toBe(true);
  expect(rc).toBe(0);
  for (const section of ['embedded: ready', 'containers:', 'hardware:', 'rehearsal:', 'reports:']) expect(lines.some((l) => l.startsWith(section)), section).toBe(true);
  // Every failed check is followed by what to do about it.
  lines.forEach((l, i) => {
    if (/^\s+FAIL /.test(l)) expect(lines[i + 1], l).toMatch(/^\s+fix: /);
  });
});

test('hardware without a lab file is a bench that skips with one line saying how to give one', async () => {
  const bench = await openBench('hardware', { labFile: undefined, parallelIndex: 0 });
  expect(bench.unavailable).toMatch(/^hardware: no lab file — pass `evsm-lab run --target hardware --lab FILE` or set EVSM_LAB_FILE/);
  expect(bench.unavailable!.split('\n')).toHaveLength(1);
  const broken = await openBench('hardware', { labFile: '/nonexistent/lab.json', parallelIndex: 0 });
  expect(broken.unavailable).toMatch(/^hardware: \/nonexistent\/lab.json: cannot read: ENOENT$/);
});

test('doctor prints each target\'s own checks: the rehearsal\'s for a rehearsal lab file, the bench\'s for a bench lab file', async () => {
  const { TARGET_STRATEGIES } = await import('../harness/targets/open.ts');
  const run = async (lab: string, section = 'hardware') => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      await doctor(['--lab', lab]);
    } finally {
      console.log = orig;
    }
    const start = lines.findIndex((l) => l.startsWith(`${section}:`));
    const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
    return lines.slice(start + 1, end).filter((l) => /^\s+(ok|FAIL) /.test(l)).map((l) => l.replace(/^\s+(ok|FAIL)\s+/, '').split(':')[0]);
  };
  const rehearsal = await run('lab/rehearsal.json', 'rehearsal');
  expect(rehearsal).toEqual((await TARGET_STRATEGIES.rehearsal.checks({ labFile: 'lab/rehearsal.json', parallelIndex: 0 })).map((c) => c.name));
  expect(rehearsal).toContain('USB access');
  expect(rehearsal).not.toContain('PIN variable EVSM_LAB_UKEY_PIN');
  // The real bench's target does not take a rehearsal lab file, and says whose it is.
  expect(await run('lab/rehearsal.json')).toEqual(['lab file']);
  const bench = await run('lab/bench.example.json');
  expect(bench).toEqual((await TARGET_STRATEGIES.hardware.checks({ labFile: 'lab/bench.example.json', parallelIndex: 0 })).map((c) => c.name));
  expect(bench).toContain('PIN variable EVSM_LAB_UKEY_PIN');
});
