/**
 * The CLI's conventions on every verb (docs/cli.md): `--help`/`-h` → usage on stdout, exit 0;
 * a usage error → one line + synopsis on stderr, exit 2; `run` with several targets; and
 * `cacipher check` listing every problem of a configuration at once.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../harness/cli/main.ts';
import { planRun } from '../harness/cli/run.ts';
import { checkCacipher, describeLinkNum } from '../harness/cli/cacipher.ts';
import { UsageError } from '../harness/cli/usage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command line in-process; returns its status and what it printed where. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const VERBS = ['run', 'emulator', 'doctor', 'report', 'cacipher', 'ukey'];

for (const verb of VERBS) {
  test(`${verb} --help and -h print its usage on stdout, exit 0`, async () => {
    for (const flag of ['--help', '-h']) {
      const r = await cli(verb, flag);
      expect(r.code, `${verb} ${flag}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: evsm-lab ${verb}\\b`));
      expect(r.out).toContain('Example');
      expect(r.err).toBe('');
    }
    // Help wins over a bad option next to it, and `help VERB` is the same page.
    expect((await cli(verb, '--bogus', '--help')).code).toBe(0);
    expect((await cli('help', verb)).out).toBe((await cli(verb, '--help')).out);
  });
}

const USAGE_ERRORS: { argv: string[]; message: RegExp }[] = [
  { argv: ['run', '--bogus'], message: /^evsm-lab run: unknown option --bogus$/ },
  { argv: ['run', '--target', 'lab'], message: /^evsm-lab run: --target "lab" is not one of embedded, containers, hardware, rehearsal$/ },
  { argv: ['run', '--grep'], message: /^evsm-lab run: --grep needs a value$/ },
  { argv: ['run', '--target', 'hardware', '--lab', '/nonexistent/lab.json'], message: /^evsm-lab run: --lab \/nonexistent\/lab.json: no such file$/ },
  { argv: ['doctor', '--target', 'lab'], message: /^evsm-lab doctor: --target "lab" is not one of embedded, containers, hardware, rehearsal, reports$/ },
  { argv: ['doctor', 'extra'], message: /^evsm-lab doctor: unexpected argument extra$/ },
  { argv: ['report', '--bogus'], message: /^evsm-lab report: unknown option --bogus$/ },
  { argv: ['report', 'verify'], message: /^evsm-lab report: verify takes one file$/ },
  { argv: ['cacipher'], message: /^evsm-lab cacipher: which sub-verb\? \(check\)$/ },
  { argv: ['cacipher', 'check'], message: /^evsm-lab cacipher: check needs a FILE or a STRING$/ },
  { argv: ['cacipher', 'check', 'a.ini', 'b.ini'], message: /^evsm-lab cacipher: check takes one FILE or STRING, got 2$/ },
  { argv: ['emulator', '--bogus'], message: /^evsm-lab emulator: .*--bogus/ },
  { argv: ['frobnicate'], message: /^evsm-lab: unknown verb "frobnicate"$/ },
  { argv: [], message: /^evsm-lab: which verb\?$/ },
];

test('usage errors: one line naming the problem, then the usage, on stderr; exit 2', async () => {
  for (const { argv, message } of USAGE_ERRORS) {
    const r = await cli(...argv);
    expect(r.code, argv.join(' ')).toBe(2);
    expect(r.out, argv.join(' ')).toBe('');
    const [first, second] = r.err.split('\n');
    expect(first, argv.join(' ')).toMatch(message);
    expect(second, argv.join(' ')).toMatch(/^usage: evsm-lab /);
  }
});

test('run passes each --target to Playwright as a --project, filters first, the rest after --', () => {
  expect(planRun([]).playwrightArgs).toEqual(['test', '--project', 'embedded']);
  const plan = planRun(['--target', 'embedded', '--target=containers', '--target', 'embedded', 'ha.spec', '--grep', 'DMK-0', '--no-report', '--', '--workers', '1']);
  expect(plan.targets).toEqual(['embedded', 'containers']);
  expect(plan.playwrightArgs).toEqual(['test', 'ha.spec', '--workers', '1', '--grep', 'DMK-0', '--project', 'embedded', '--project', 'containers']);
  expect(plan.report).toBe(false);
  const lab = join(mkdtempSync(join(tmpdir(), 'evsm-cli-lab-')), 'lab.json');
  writeFileSync(lab, '{}');
  expect(planRun(['--target', 'hardware', '--lab', lab]).labFile).toBe(lab);
  // A lab file for a run that has no hardware target would be silently ignored: refused instead.
  expect(() => planRun(['--lab', lab])).toThrow(UsageError);
});

test('run --target embedded --target containers: Playwright takes both projects', () => {
  const out = mkdtempSync(join(tmpdir(), 'evsm-cli-run-'));
  const r = spawnSync(process.execPath, [join(root, 'bin', 'evsm-lab.mjs'), 'run', '--target', 'embedded', '--target', 'containers', '--no-report', '--', '--list'], {
    cwd: root,
    env: { ...process.env, EVSM_LAB_OUTPUT: out },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/\[embedded\] › /);
  expect(r.stdout).toMatch(/\[containers\] › /);
});

const GOOD = `# two devices
[LOGGER]
logsw=error
[HOST1]
hsmModel=SJJ1310
host=127.0.0.1
port=8018
linkNum=-15
timeout=5
appId=demo
[HOST2]
hsmModel=SJJ1310
host=127.0.0.2
port=8018
connTimeout=2
`;

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'evsm-cli-cacipher-')), 'cacipher.ini');
  writeFileSync(path, text);
  return path;
}

test('cacipher check: a usable file prints each host with timeouts in ms and what linkNum means; warnings with their line', async () => {
  const path = file(GOOD);
  const r = await cli('cacipher', 'check', path);
  expect(r.code, r.err).toBe(0);
  const lines = r.out.split('\n');
  expect(lines[0]).toBe(`${path}: usable: 2 hosts, 1 warning`);
  expect(r.out).toContain('LOGGER  categories error; no log file');
  expect(r.out).toMatch(/^HOST1 +SJJ1310 +127\.0\.0\.1:8018 +TCP$/m);
  expect(r.out).toContain(`  connections   linkNum=-15: ${describeLinkNum(-15)}`);
  expect(r.out).toContain('  timeouts      connect 5000 ms, read 5000 ms (timeout 5000 ms)');
  expect(r.out).toMatch(/^HOST2 +SJJ1310 +127\.0\.0\.2:8018 +TCP$/m);
  expect(r.out).toContain('  timeouts      connect 2000 ms, read 6000 ms (timeout 6000 ms)');
  expect(r.out).toMatch(new RegExp(`^warning  ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 10 \\[HOST1\\] appId: `, 'm'));
});

test('cacipher check: every error of a file at once, each with its line; warnings too; exit 1', async () => {
  const broken = GOOD.replace('hsmModel=SJJ1310\nhost=127.0.0.1', 'hsmModel=SJJ9999\nhost=127.0.0.1')
    .replace('timeout=5', 'timeout=five')
    .replace('hsmModel=SJJ1310\nhost=127.0.0.2\nport=8018', 'host=127.0.0.2\nport=80a')
    .replace('# two devices', '[VENDOR]\nx=1\n# two devices');
  const path = file(broken);
  const c = checkCacipher(path);
  expect(c.config).toBeUndefined();
  expect(c.complete).toBe(true);
  expect(c.errors.map((e) => [e.location.line, e.location.section, e.location.key])).toEqual([
    [7, 'HOST1', 'hsmModel'],
    // The bad hsmModel got a placeholder: the rest of [HOST1] is still checked.
    [11, 'HOST1', 'timeout'],
    [13, 'HOST2', undefined], // no hsmModel at all
    [15, 'HOST2', 'port'],
  ]);
  expect(c.errors.every((e) => e.after.length === 0)).toBe(true);
  expect(c.warnings.map((w) => w.slice(path.length)).sort()).toEqual([expect.stringMatching(/^ line 12 \[HOST1\] appId: /), expect.stringMatching(/^ line 1 \[VENDOR\]: /)].reverse());
  const r = await cli('cacipher', 'check', path);
  expect(r.code).toBe(1);
  expect(r.out.split('\n')[0]).toBe(`${path}: NOT usable: the client refuses it: 4 errors, 2 warnings`);
  expect(r.out).toContain(`error    ${path} line 11 [HOST1] timeout: `);
  expect(r.out).toContain(`error    ${path} line 13 [HOST2]: missing required key "hsmModel"`);
  expect(r.out).not.toContain('placeholder');
});

test('cacipher check: the string form, its items numbered; a file that is not there is one error', async () => {
  const s = '{[HOST1];hsmModel=SJJ9999;host=127.0.0.1;port=8018;timeout=0;[HOST2];port=1}';
  const c = checkCacipher(s);
  expect(c.source).toBe('<string>');
  expect(c.errors.map((e) => [e.location.line, e.location.key])).toEqual([[2, 'hsmModel'], [5, 'timeout'], [6, undefined], [6, undefined]]);
  expect(c.errors[0].message).toMatch(/^<string> item 2 \[HOST1\] hsmModel: /);
  expect(c.errors.slice(2).map((e) => e.message)).toEqual(['<string> item 6 [HOST2]: missing required key "hsmModel"', '<string> item 6 [HOST2]: missing required key "host"']);
  const ok = await cli('cacipher', 'check', '{[HOST1];hsmModel=SJJ1310;host=::1;port=8018;linkNum=3}');
  expect(ok.code).toBe(0);
  expect(ok.out).toMatch(/^HOST1 +SJJ1310 +\[::1\]:8018 +TCP$/m);
  expect(ok.out).toContain(`linkNum=3: ${describeLinkNum(3)}`);
  const missing = await cli('cacipher', 'check', '/nonexistent/cacipher.ini');
  expect(missing.code).toBe(1);
  expect(missing.out).toMatch(/^error +\/nonexistent\/cacipher\.ini: cannot read/m);
});

test('what linkNum means, for each sign', () => {
  expect(describeLinkNum(-15)).toBe('pool only: at most 15 connections, kept open; further commands wait for one');
  expect(describeLinkNum(1)).toBe('pool preferred: 1 connection kept open, and when all are busy up to 1 more short-lived ones (closed after their command)');
  expect(describeLinkNum(0)).toBe('no pool: a new connection for every command, closed after it');
});
