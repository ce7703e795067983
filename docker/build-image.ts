/**
 * Builds the EVSM emulator image with no registry access (see docker/Dockerfile):
 * bundle the emulator → compute the cache key → if an image with that tag exists, done;
 * otherwise assemble the context in a temp dir and `docker build` it.
 *
 *   node --import tsx docker/build-image.ts [--entry FILE] [--force] [--no-cache] [--prune]
 *
 * --prune removes the repository's other tags (older emulator builds) that no container uses.
 *
 * The cache key is a SHA-256 over the bundle, the node binary, the libraries it links, the
 * generated /etc files and the Dockerfile: any change to one of them gives a new tag.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEmulator } from './bundle.ts';
import { docker, firstLine, runDocker } from './docker-cli.ts';
import { etcFiles, nodeRuntimeFiles, writeRuntime, type RuntimeFile } from './rootfs.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const IMAGE_REPOSITORY = 'evsm-lab/evsm-emulator';
const DOCKERFILE = join(REPO_ROOT, 'docker', 'Dockerfile');
/** The real emulator's entry (issue 3) and the stand-in used until it exists. */
export const EMULATOR_ENTRY = join(REPO_ROOT, 'emulators', 'evsm', 'program.ts');
export const STAND_IN_ENTRY = join(REPO_ROOT, 'docker', 'stand-in', 'program.ts');

export interface ImageOptions {
  /** entry to bundle; default: the real emulator, or the stand-in while it does not exist */
  entry?: string;
  /** build even when the tag exists */
  force?: boolean;
  /** with force: also bypass Docker's layer cache (a truly cold build, for the bench) */
  noCache?: boolean;
  /** progress lines (the CLI prints them; tests stay quiet) */
  log?: (line: string) => void;
}

export interface ImageResult {
  tag: string;
  key: string;
  /** false when the cached image was used */
  built: boolean;
  entry: string;
  standIn: boolean;
  /** wall time of this call: bundle + hash (+ build) */
  ms: number;
}

export function defaultEntry(): { entry: string; standIn: boolean } {
  return existsSync(EMULATOR_ENTRY) ? { entry: EMULATOR_ENTRY, standIn: false } : { entry: STAND_IN_ENTRY, standIn: true };
}

async function hashFile(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** SHA-256 (hex) over everything that ends up in the image, in a fixed order. */
export async function imageCacheKey(bundle: Buffer, runtime: RuntimeFile[], dockerfile: string): Promise<string> {
  const hash = createHash('sha256');
  const field = (name: string, value: string | Buffer): void => {
    hash.update(`${name}\0${value.length}\0`);
    hash.update(value);
  };
  field('Dockerfile', dockerfile);
  field('bundle', bundle);
  for (const f of [...runtime].sort((a, b) => a.target.localeCompare(b.target))) {
    hash.update(`file\0${f.target}\0`);
    await hashFile(hash, f.source);
  }
  for (const [path, text] of Object.entries(etcFiles())) field(path, text);
  return hash.digest('hex');
}

export async function imageExists(tag: string): Promise<boolean> {
  return (await runDocker(['image', 'inspect', '--format', '{{.Id}}', tag])).code === 0;
}

async function buildContext(dir: string, bundle: Buffer, runtime: RuntimeFile[], dockerfile: string): Promise<void> {
  await writeRuntime(join(dir, 'runtime'), runtime);
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app', 'evsm-emulator.mjs'), bundle);
  // Empty on purpose: COPY --chown makes it the evsm-owned seed of the /data volume.
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
}

const pending = new Map<string, Promise<ImageResult>>();

/**
 * Makes sure the image for the current emulator sources exists and returns its tag. Calls in
 * one process share the work; separate processes may both build, which is harmless (same tag,
 * same content).
 */
export function ensureEvsmImage(options: ImageOptions = {}): Promise<ImageResult> {
  const entry = options.entry ?? defaultEntry().entry;
  const memoKey = `${entry}\0${options.force ? 'force' : ''}${options.noCache ? 'no-cache' : ''}`;
  let p = pending.get(memoKey);
  if (!p) {
    p = buildEvsmImage(options);
    // A failed build may succeed later (engine started, source fixed): do not cache failures.
    p.catch(() => pending.delete(memoKey));
    pending.set(memoKey, p);
  }
  return p;
}

/** Same as ensureEvsmImage without sharing: every call bundles, hashes and checks (the bench times it). */
export async function buildEvsmImage(options: ImageOptions = {}): Promise<ImageResult> {
  const started = performance.now();
  const entry = options.entry ?? defaultEntry().entry;
  const log = options.log ?? (() => {});
  const standIn = entry === STAND_IN_ENTRY;
  if (!existsSync(entry)) throw new Error(`emulator entry ${relative(REPO_ROOT, entry)} does not exist`);
  if (standIn && options.entry === undefined) log(`note: ${relative(REPO_ROOT, EMULATOR_ENTRY)} does not exist yet; building the stand-in`);

  const [bundle, runtime, dockerfile] = await Promise.all([
    bundleEmulator(entry),
    nodeRuntimeFiles(),
    readFile(DOCKERFILE, 'utf8'),
  ]);
  const key = await imageCacheKey(bundle, runtime, dockerfile);
  const tag = `${IMAGE_REPOSITORY}:${key.slice(0, 20)}`;
  if (!options.force && (await imageExists(tag))) {
    log(`image ${tag} is up to date (cache key unchanged)`);
    return { tag, key, built: false, entry, standIn, ms: performance.now() - started };
  }

  const dir = await mkdtemp(join(tmpdir(), 'evsm-image-'));
  try {
    await buildContext(dir, bundle, runtime, dockerfile);
    log(`building ${tag} from ${relative(REPO_ROOT, entry)} (${runtime.length} runtime files)`);
    const r = await runDocker(['build', ...(options.noCache ? ['--no-cache'] : []), '--label', `evsm-lab.cache-key=${key}`, '-t', tag, dir], {
      // The legacy builder is what a bare docker.io engine has (no buildx); say so explicitly
      // so the client does not go looking for BuildKit, unless the user chose otherwise.
      env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' },
    });
    if (r.code !== 0) {
      const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-8).join('\n');
      throw new Error(`docker build failed: ${firstLine(r.stderr) || `exit code ${r.code}`}\n${tail}`);
    }
    if (!standIn && options.entry === undefined) await docker(['tag', tag, `${IMAGE_REPOSITORY}:latest`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ms = performance.now() - started;
  log(`built ${tag} in ${(ms / 1000).toFixed(1)} s`);
  return { tag, key, built: true, entry, standIn, ms };
}

/**
 * Removes the images of IMAGE_REPOSITORY other than `keep` and :latest. `docker rmi` without -f
 * refuses images a container (running or stopped) still uses, so a run in progress keeps its own.
 */
export async function pruneOldImages(keep: string): Promise<string[]> {
  const tags = (await docker(['image', 'ls', IMAGE_REPOSITORY, '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean);
  const removed: string[] = [];
  for (const tag of tags) {
    if (tag === keep || tag === `${IMAGE_REPOSITORY}:latest`) continue;
    if ((await runDocker(['rmi', tag])).code === 0) removed.push(tag);
  }
  return removed;
}

async function main(args: string[]): Promise<number> {
  const i = args.indexOf('--entry');
  const entry = i >= 0 ? args[i + 1] : undefined;
  if (i >= 0 && !entry) {
    console.error('usage: node --import tsx docker/build-image.ts [--entry FILE] [--force] [--no-cache] [--prune]');
    return 2;
  }
  try {
    const r = await ensureEvsmImage({
      entry: entry ? resolve(entry) : undefined,
      force: args.includes('--force') || args.includes('--no-cache'),
      noCache: args.includes('--no-cache'),
      log: (line) => console.error(`build-image: ${line}`),
    });
    if (args.includes('--prune')) {
      for (const tag of await pruneOldImages(r.tag)) console.error(`build-image: removed ${tag}`);
    }
    console.log(r.tag);
    return 0;
  } catch (err) {
    console.error(`build-image: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main(process.argv.slice(2));
