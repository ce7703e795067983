/**
 * The targets, found by their files, and the bench for a Playwright project's target.
 *
 * A target is one file, `harness/targets/NAME.target.ts`, whose default export is its `Target`
 * (bench.ts). This module imports every such file when it loads (a top-level await over
 * `readdirSync`, so whoever imports it — playwright.config.ts, the fixtures, `evsm-lab run` and
 * `doctor` — gets the complete list synchronously after its own import). Nothing else lists the
 * targets: the Playwright projects, `run --target`, `doctor`'s sections and `openBench` all read
 * `TARGETS` / `TARGET_STRATEGIES` from here.
 *
 * `EVSM_TARGETS_DIR` names more folders of `*.target.ts` files (path-list separated), loaded the
 * same way after the built-in ones: a lab's own targets kept outside the repository, and how the
 * tests add a target without touching the tree (docs/harness.md, "Adding a target").
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unavailableBench, type Bench, type BenchOptions, type Target, type TargetName } from './bench.ts';

export const TARGET_FILE_SUFFIX = '.target.ts';
export const TARGETS_DIR_ENV = 'EVSM_TARGETS_DIR';
/** The target a project without `metadata.target` runs on, and `run`'s and `doctor`'s default. */
export const DEFAULT_TARGET = 'embedded';
/** Names taken by the other Playwright projects and doctor's `reports` section. */
const RESERVED = new Set(['unit', 'station-rehearsal', 'hardware-lab', 'vendor-sdk', 'ha-vendor-sdk', 'reports']);
const NAME = /^[a-z][a-z0-9-]*$/;

const builtIn = dirname(fileURLToPath(import.meta.url));

/** The folders searched: this one, then those in EVSM_TARGETS_DIR. */
export function targetDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env[TARGETS_DIR_ENV] ?? '').split(delimiter).filter((d) => d.trim() !== '');
  return [builtIn, ...extra.map((d) => resolve(d))];
}

/** Every `*.target.ts` file in `dirs`, each folder's sorted by name. A named folder that is missing is an error. */
export function targetFiles(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) => {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${TARGETS_DIR_ENV}: ${dir} is not a folder`);
    return readdirSync(dir)
      .filter((f) => f.endsWith(TARGET_FILE_SUFFIX))
      .sort()
      .map((f) => join(dir, f));
  });
}

/** Checks one module's default export is a target named as its file; the error names the file. */
function asTarget(file: string, exported: unknown): Target {
  const stem = basename(file, TARGET_FILE_SUFFIX);
  const bad = (why: string): never => {
    throw new Error(`target file ${file}: ${why}`);
  };
  if (typeof exported !== 'object' || exported === null) return bad('its default export must be a Target (harness/targets/bench.ts)');
  const t = exported as Partial<Target>;
  if (t.name !== stem) bad(`its target is named ${JSON.stringify(t.name)}; it must be named as the file, "${stem}"`);
  if (!NAME.test(stem)) bad('a target name is lower case letters, digits and -, starting with a letter');
  if (RESERVED.has(stem)) bad(`"${stem}" is another Playwright project's name (or doctor's reports section)`);
  if (typeof t.description !== 'string' || !t.description.trim()) bad('it needs a one-line description');
  if (typeof t.checks !== 'function' || typeof t.open !== 'function') bad('it needs checks() and open()');
  if (t.project !== undefined && typeof t.project !== 'function') bad('project, when given, is a function returning the project options');
  return t as Target;
}

/** Imports the target files, checks them, and sorts by `order` then name; two files of one name is an error. */
export async function loadTargets(files: readonly string[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    const t = asTarget(file, mod.default);
    if (out.some((o) => o.name === t.name)) throw new Error(`target file ${file}: a target "${t.name}" was already loaded`);
    out.push(t);
  }
  return out.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}

/** Every target, in order. */
export const TARGET_LIST: readonly Target[] = await loadTargets(targetFiles(targetDirs()));
/** Every target's name, in order: `run --target`'s and `doctor --target`'s values, the Playwright projects. */
export const TARGETS: readonly TargetName[] = TARGET_LIST.map((t) => t.name);
/** Every target's strategy, by name. */
export const TARGET_STRATEGIES: Readonly<Record<TargetName, Target>> = Object.fromEntries(TARGET_LIST.map((t) => [t.name, t]));

/** The targets that read the run's lab file (`run --lab`). */
export function labFileTargets(): TargetName[] {
  return TARGET_LIST.filter((t) => t.readsLabFile).map((t) => t.name);
}

export function targetOf(metadata: Record<string, unknown> | undefined): TargetName | undefined {
  const t = metadata?.target;
  return typeof t === 'string' && Object.hasOwn(TARGET_STRATEGIES, t) ? t : undefined;
}

export async function openBench(target: TargetName, options: BenchOptions): Promise<Bench> {
  try {
    const strategy = TARGET_STRATEGIES[target];
    if (!strategy) return unavailableBench(target, `no such target (the targets are ${TARGETS.join(', ')})`);
    return await strategy.open(options);
  } catch (e) {
    // A bench that cannot open is a skip with its reason, not a wall of worker errors.
    return unavailableBench(target, (e as Error).message.split('\n')[0]);
  }
}
