/**
 * A target is one file (docs/harness.md, "Adding a target"): every harness/targets/NAME.target.ts
 * is found by the registry (harness/targets/open.ts), and the Playwright projects, `run --target`,
 * `doctor` and the fixtures' bench all come from it. Proved with a target file that exists only in
 * a temporary folder named by EVSM_TARGETS_DIR: nothing in the tree changes, and it shows up
 * everywhere; without the variable it is nowhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { readImportGraph } from '../harness/cli/import-cycles.ts';
import { DEFAULT_TARGET, loadTargets, TARGET_FILE_SUFFIX, TARGET_LIST, TARGET_STRATEGIES, TARGETS, TARGETS_DIR_ENV, targetDirs, targetFiles, targetOf } from '../harness/targets/open.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A whole target in one file, with no import at all (a lab's own target could import the harness by path). */
const EXTRA_TARGET = `export default {
  name: 'fixed',
  description: 'emulators someone else started (a test target)',
  order: 50,
  project: () => ({ workers: 1, metadata: { fixedNote: 'from the target file' } }),
  checks: async () => [{ name: 'fixed check', ok: true, detail: 'the extra target answered' }],
  open: async () => { throw new Error('fixed: not a real bench'); },
};
`;

function withTargetDir<T>(files: Record<string, string>, body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-targets-'));
  // Target files are ES modules: a folder outside the repository says so as the repository does.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Promise.resolve(body(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** `node bin/evsm-lab.mjs ARGS` from the repository root with `env` added. */
function cli(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [join(root, 'bin', 'evsm-lab.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '', ...env }, timeout: 90_000 });
}

test('the targets are exactly the *.target.ts files of harness/targets/, each named as its file, embedded first', () => {
  const files = readdirSync(join(root, 'harness', 'targets')).filter((f) => f.endsWith(TARGET_FILE_SUFFIX));
  expect(files.length).toBeGreaterThanOrEqual(4);
  expect([...TARGETS].sort()).toEqual(files.map((f) => f.slice(0, -TARGET_FILE_SUFFIX.length)).sort());
  expect(TARGETS.slice(0, 4)).toEqual(['embedded', 'containers', 'hardware', 'rehearsal']);
  expect(TARGETS[0]).toBe(DEFAULT_TARGET);
  for (const t of TARGET_LIST) {
    expect(TARGET_STRATEGIES[t.name]).toBe(t);
    expect(t.description.split('\n'), t.name).toHaveLength(1);
  }
  expect(targetOf({ target: 'rehearsal' })).toBe('rehearsal');
  expect(targetOf({ target: 'toString' })).toBeUndefined();
  expect(targetOf({})).toBeUndefined();
});

test('a target file in EVSM_TARGETS_DIR appears in run --target, doctor and the Playwright projects; without it, nowhere', async () => {
  test.setTimeout(240_000);
  await withTargetDir({ 'fixed.target.ts': EXTRA_TARGET, 'notes.ts': 'export const ignored = 1;\n' }, (dir) => {
    const out = join(dir, 'out');
    const env = { [TARGETS_DIR_ENV]: dir, EVSM_LAB_OUTPUT: out };

    const help = cli(['run', '--help'], env);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--target embedded\|containers\|hardware\|rehearsal\|fixed\]/);
    expect(help.stdout).toContain('fixed: emulators someone else started (a test target)');

    const doctor = cli(['doctor', '--target', 'fixed'], env);
    expect(doctor.stdout).toContain('fixed: ready — emulators someone else started (a test target)');
    expect(doctor.stdout).toContain('ok   fixed check: the extra target answered');
    expect(doctor.status, doctor.stdout + doctor.stderr).toBe(0);

    // `run --target fixed` runs Playwright's project `fixed`: the catalog, listed (as JSON), with the
    // target's own options and its name as metadata.target.
    const listed = cli(['run', '--target', 'fixed', '--no-report', '--', '--list', '--reporter=json'], env);
    expect(listed.status, listed.stdout + listed.stderr).toBe(0);
    interface Suite { suites?: Suite[]; specs?: Array<{ tests: Array<{ projectName: string }> }> }
    const report = JSON.parse(listed.stdout) as { config: { projects: Array<{ name: string; metadata: Record<string, unknown> }> }; suites: Suite[] };
    const projectsOf = (s: Suite): string[] => [...(s.specs ?? []).flatMap((sp) => sp.tests.map((t) => t.projectName)), ...(s.suites ?? []).flatMap(projectsOf)];
    const listedProjects = report.suites.flatMap(projectsOf);
    expect(listedProjects.filter((p) => p === 'fixed').length).toBeGreaterThanOrEqual(20);
    expect(new Set(listedProjects)).toEqual(new Set(['fixed']));
    expect(report.config.projects.find((p) => p.name === 'fixed')?.metadata).toEqual({ fixedNote: 'from the target file', target: 'fixed' });
    expect(report.config.projects.map((p) => p.name)).toEqual(expect.arrayContaining([...TARGETS, 'fixed', 'unit', 'hardware-lab']));

    // The same commands without the folder: no such target.
    const without = cli(['run', '--target', 'fixed', '--no-report', '--', '--list'], { EVSM_LAB_OUTPUT: out });
    expect(without.status).toBe(2);
    expect(without.stderr).toContain('--target "fixed" is not one of embedded, containers, hardware, rehearsal');
    expect(cli(['doctor', '--target', 'fixed'], {}).status).toBe(2);
  });
});

test('the registry refuses a target file it cannot use, naming the file and why', async () => {
  const good = (name: string) => `export default { name: '${name}', description: 'x', checks: async () => [], open: async () => { throw new Error('no'); } };\n`;
  const cases: Array<[string, string, RegExp]> = [
    ['wrong.target.ts', good('other'), /wrong\.target\.ts: its target is named "other"; it must be named as the file, "wrong"/],
    ['unit.target.ts', good('unit'), /"unit" is another Playwright project's name/],
    ['Caps.target.ts', good('Caps'), /lower case letters/],
    ['nodesc.target.ts', "export default { name: 'nodesc', checks: async () => [], open: async () => ({}) };\n", /needs a one-line description/],
    ['noopen.target.ts', "export default { name: 'noopen', description: 'x', checks: async () => [] };\n", /needs checks\(\) and open\(\)/],
    ['named.target.ts', "export const named = { name: 'named' };\n", /default export must be a Target/],
  ];
  for (const [file, text, why] of cases) {
    await withTargetDir({ [file]: text }, async (dir) => {
      await expect(loadTargets(targetFiles([dir])), file).rejects.toThrow(why);
    });
  }
  // Two folders with a target of one name; and order then name sorts.
  await withTargetDir({ 'b.target.ts': good('b'), 'a.target.ts': good('a') }, async (dir) => {
    expect((await loadTargets(targetFiles([dir]))).map((t) => t.name)).toEqual(['a', 'b']);
    await expect(loadTargets(targetFiles([dir, dir]))).rejects.toThrow(/a target "a" was already loaded/);
  });
  expect(() => targetFiles(['/nonexistent/targets'])).toThrow(`${TARGETS_DIR_ENV}: /nonexistent/targets is not a folder`);
  expect(targetDirs({ [TARGETS_DIR_ENV]: '/x:/y' }).slice(1)).toEqual(['/x', '/y']);
  expect(targetDirs({})).toHaveLength(1);
});

test('fixtures.ts names no target: no target name as a string, no target file imported, no branch on the target', () => {
  const code = readFileSync(join(root, 'harness', 'fixtures.ts'), 'utf8');
  const literals = [...code.matchAll(/(['"`])([a-z][a-z0-9-]*)\1/g)].map((m) => m[2]);
  // The one name allowed: the fallback for a project without metadata.target (`?? 'embedded'`), the registry's default.
  expect(literals.filter((l) => TARGETS.includes(l))).toEqual([DEFAULT_TARGET]);
  expect(code).toMatch(new RegExp(`targetOf\\([^)]*\\) \\?\\? '${DEFAULT_TARGET}'`));
  expect(code).not.toMatch(/\.target\s*[!=]==/);
  expect(code).not.toMatch(/\.target\.ts'/);
  // And the test sees a name when there is one.
  expect([...`x ?? 'rehearsal'`.matchAll(/(['"`])([a-z][a-z0-9-]*)\1/g)].map((m) => m[2])).toEqual(['rehearsal']);
});

test('only the registry loads target files; what a target file loads at its top stays light (every Playwright process loads it)', () => {
  const graph = readImportGraph(root);
  const targetFile = /^harness\/targets\/[\w-]+\.target\.ts$/;
  // Outside tests, no module imports a target file: the registry finds them (a dynamic import of a computed path).
  const importers = graph.edges.filter((e) => targetFile.test(e.to) && !targetFile.test(e.from) && !e.from.startsWith('test/')).map((e) => `${e.from}:${e.line} → ${e.to}`);
  expect(importers).toEqual([]);
  const start = graph.files.filter((f) => targetFile.test(f) || f === 'harness/targets/open.ts');
  expect(start).toEqual(expect.arrayContaining(['harness/targets/open.ts', 'harness/targets/rehearsal.target.ts']));
  const seen = new Set(start);
  const todo = [...start];
  while (todo.length) {
    const f = todo.pop()!;
    for (const e of graph.edges) if (e.from === f && (e.kind === 'import' || e.kind === 'export from') && !seen.has(e.to)) seen.add(e.to), todo.push(e.to);
  }
  // The bench-side modules (procedures, operator, tokens, station, the client, testcontainers) load inside open().
  const light = ['harness/targets/', 'harness/lab/', 'harness/system/', 'drivers/evsm/config/', 'drivers/evsm/errors.ts', 'drivers/evsm/container/ready-line.ts'];
  const heavy = [...seen].filter((f) => !light.some((p) => f.startsWith(p)) || f === 'harness/targets/lab-bench.ts');
  expect(heavy, 'a target file imports these at its top: import them inside checks()/open() with await import(…)').toEqual([]);
});

test('targets sort by their order, then name; a loaded target answers its own checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-targets-copy-'));
  try {
    mkdirSync(join(dir, 'targets'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'targets', 'one.target.ts'), EXTRA_TARGET.replace("'fixed'", "'one'"));
    writeFileSync(join(dir, 'targets', 'two.target.ts'), EXTRA_TARGET.replace("'fixed'", "'two'").replace('order: 50', 'order: 10'));
    const loaded = await loadTargets(targetFiles([join(dir, 'targets')]));
    expect(loaded.map((t) => t.name)).toEqual(['two', 'one']);
    expect(await loaded[0].checks({ labFile: undefined, parallelIndex: 0 })).toEqual([{ name: 'fixed check', ok: true, detail: 'the extra target answered' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
