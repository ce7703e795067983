/**
 * The run-legs manifest (reports/run-legs.ts) and the emulator bundle cache (docker/bundle.ts)
 * replace their files through io/atomic-write.ts: no temporary file stays after a write, the file
 * is the owner's only, and temporary files a crash left in the bundle cache go with old bundles.
 */
import { test, expect } from '@playwright/test';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedBundle } from '../docker/bundle.ts';
import { EMULATOR_PROGRAM } from '../harness/targets/emulator-process.ts';
import { LEGS_FILE, LEGS_FORMAT, readManifest, writeManifest, type LegsManifest } from '../reports/run-legs.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

test('writeManifest replaces the manifest whole, owner-only, and leaves no temporary file', () => {
  const root = tempDir('evsm-atomic-legs-');
  const m = (n: number): LegsManifest => ({ format: LEGS_FORMAT, args: ['--project', 'embedded'], cwd: root, legs: Array.from({ length: n }, (_, i) => ({ started: '2026-12-02T00:00:00.000Z', results: `results.leg-${i + 1}.json` })) });
  writeManifest(root, m(1));
  writeManifest(root, m(2));
  expect(readManifest(root)?.legs).toHaveLength(2);
  expect(readdirSync(root)).toEqual([LEGS_FILE]);
  expect(statSync(join(root, LEGS_FILE)).mode & 0o777).toBe(0o600);
});

test('cachedBundle writes through a temporary file of its own and removes week-old ones a crash left', async () => {
  const cacheDir = tempDir('evsm-atomic-bundle-');
  const weekOld = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
  const crashed = ['.evsm-emulator-0123456789abcdef.mjs.4242.7.tmp', 'evsm-emulator-0123456789abcdef.mjs.4242.89abcdef.tmp'];
  const fresh = '.evsm-emulator-fedcba9876543210.mjs.4343.1.tmp';
  const unrelated = 'notes.tmp';
  for (const f of [...crashed, fresh, unrelated]) writeFileSync(join(cacheDir, f), 'x');
  for (const f of [...crashed, unrelated]) utimesSync(join(cacheDir, f), weekOld, weekOld);
  const b = await cachedBundle(EMULATOR_PROGRAM, cacheDir);
  expect(b.written).toBe(true);
  expect(statSync(b.file).mode & 0o777).toBe(0o600);
  for (const f of crashed) expect(existsSync(join(cacheDir, f)), f).toBe(false);
  expect(readdirSync(cacheDir).sort()).toEqual([fresh, b.file.slice(cacheDir.length + 1), unrelated].sort());
});
