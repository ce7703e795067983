/**
 * `evsm-lab run` on a bench with a console operator reports in whole lines only
 * (harness/reporters/lines.ts): the operator's prompts share the terminal, and a reporter that
 * moves the cursor writes over them. Checked on a real Playwright run in a forced terminal
 * mode, next to the `list` reporter, which does move the cursor there (so the check can fail).
 */
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planRun } from '../harness/cli/run.ts';
import { plain } from '../harness/reporters/lines.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ESC = '\u001b';

test('a hardware run with a console operator gets the lines reporter; other runs keep list', () => {
  const env = {} as NodeJS.ProcessEnv;
  expect(planRun(['--target', 'hardware', '--lab', 'lab/bench.example.json'], root, env).reporter).toBe('lines');
  expect(planRun(['--target', 'hardware', '--lab', 'lab/rehearsal.json'], root, env).reporter).toBeUndefined(); // pool: no prompts
  expect(planRun(['--target', 'embedded'], root, env).reporter).toBeUndefined();
  // The lab file from the environment counts too.
  expect(planRun(['--target', 'hardware'], root, { EVSM_LAB_FILE: join(root, 'lab/bench.example.json') }).reporter).toBe('lines');
});

test('--lab-name goes to the reports; --resume takes no other option', () => {
  expect(planRun(['--lab-name', 'Acme Test Lab'], root, {}).labName).toBe('Acme Test Lab');
  expect(() => planRun(['--lab-name', ' '], root, {})).toThrow(/--lab-name needs a name/);
  expect(() => planRun(['--resume', '--target', 'embedded'], root, {})).toThrow(/--resume repeats the interrupted run's own options/);
});

/** Runs node with `args` to its exit (killed after 60 s); the two nested runs of a test go side by side. */
function runNode(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.once('close', () => (clearTimeout(t), resolve({ stdout, stderr }))));
}

/** A Playwright run of `spec` (as specs/bench.spec.ts) with `reporter`, in a directory of its own under `dir`. */
async function runWith(reporter: string, dir: string, spec: string): Promise<string> {
  const run = mkdtempSync(join(dir, 'run-'));
  mkdirSync(join(run, 'specs'));
  writeFileSync(join(run, 'specs', 'bench.spec.ts'), spec);
  writeFileSync(join(run, 'playwright.config.ts'), `export default { workers: 1, reporter: [[${JSON.stringify(reporter)}]], projects: [{ name: 'hardware', testDir: 'specs' }] };\n`);
  const r = await runNode([join(root, 'node_modules', '@playwright', 'test', 'cli.js'), 'test'], {
    cwd: run,
    env: { ...process.env, PLAYWRIGHT_FORCE_TTY: '1', FORCE_COLOR: '1', CI: '' },
  });
  return r.stdout + r.stderr;
}

test('the lines reporter writes no escape sequence and no carriage return, where list rewrites lines', async () => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'evsm-lines-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const spec = `import { test, expect } from '@playwright/test';
test('KS-01 passes, writing a prompt without a newline', async () => { process.stdout.write('insert the KBK 1/3 UKEY and press Enter: '); await new Promise((r) => setTimeout(r, 300)); });
test('KS-02 fails with a coloured diff', async () => { expect({ kcv: 'AAAA' }).toEqual({ kcv: 'BBBB' }); });
test('KS-03 skips', async () => { test.skip(true, 'no managementPort'); });
`;
  const [lines, list] = await Promise.all([runWith(join(root, 'harness', 'reporters', 'lines.ts'), dir, spec), runWith('list', dir, spec)]);
  expect(lines).toContain('✓ [hardware] specs/bench.spec.ts › KS-01 passes');
  expect(lines).toContain('insert the KBK 1/3 UKEY and press Enter: \n'); // the prompt's line is ended, not overwritten
  expect(lines).toMatch(/✘ \[hardware\] specs\/bench\.spec\.ts › KS-02 fails with a coloured diff/);
  expect(lines).toContain('- [hardware] specs/bench.spec.ts › KS-03 skips (');
  expect(lines).toContain(': skipped: no managementPort');
  expect(lines).toMatch(/1 passed, 1 failed, 1 skipped \(/);
  expect(lines.includes(ESC)).toBe(false);
  expect(lines.includes('\r')).toBe(false);

  expect(list).toContain(`${ESC}[`); // the list reporter moves the cursor in a terminal: what the check catches
});

test('evsm-lab run hands the choice to Playwright: a console bench run prints through the lines reporter', async () => {
  const run = (lab: string) =>
    runNode([join(root, 'bin', 'evsm-lab.mjs'), 'run', '--target', 'hardware', '--lab', lab, '--no-report', '--', '--list'], {
      cwd: root,
      env: { ...process.env, PLAYWRIGHT_FORCE_TTY: '1', EVSM_LAB_OUTPUT: mkdtempSync(join(tmpdir(), 'evsm-lines-run-')), CI: '' },
    });
  const [bench, pool] = await Promise.all([run('lab/bench.example.json'), run('lab/rehearsal.json')]);
  expect(bench.stdout).toMatch(/^Running \d+ tests\n/);
  expect(bench.stdout.includes(ESC)).toBe(false);
  expect(pool.stdout).toMatch(/^Listing tests:/); // pool operator: Playwright's list reporter
});

test('plain() removes every control sequence a test might print', () => {
  expect(plain('\u001b[31mred\u001b[39m \u001b[1A\u001b[2Kup \u001b]0;title\u0007ok\rover')).toBe('red up okover');
});
