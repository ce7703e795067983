/**
 * Who removes an emulator process's data directory (harness/targets/emulator-process.ts): one
 * start() made (no `dataDir`) survives stop, kill and restart, and goes on close(), on
 * restartFresh() onto another directory, or when the process exits; one the caller gave stays.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

test('a data directory start() made lives through stop and restart, and close() removes it', async () => {
  const p = await EmulatorProcess.start({ name: 'DIRS' });
  try {
    expect(basename(p.dataDir)).toMatch(/^evsm-DIRS-/);
    await p.stop();
    expect(existsSync(p.dataDir)).toBe(true);
    await p.restart();
    expect(p.running).toBe(true);
  } finally {
    await p.close();
  }
  expect(existsSync(p.dataDir)).toBe(false);
});

test('restartFresh onto another directory removes the one start() made; a directory the caller gave is never removed', async () => {
  const given = tempDir('evsm-dirs-given-');
  const p = await EmulatorProcess.start({ name: 'FRESH' });
  const made = p.dataDir;
  try {
    await p.restartFresh(given);
    expect(existsSync(made)).toBe(false);
    expect(p.dataDir).toBe(given);
  } finally {
    await p.close();
  }
  expect(existsSync(given)).toBe(true);
  const q = await EmulatorProcess.start({ name: 'GIVEN', dataDir: given });
  await q.close();
  expect(existsSync(given)).toBe(true);
});

test('what removeAtExit registered is gone once the process exits, also without close()', () => {
  const work = tempDir('evsm-dirs-exit-');
  const made = join(work, 'made.txt');
  const script = join(work, 'exit.ts');
  const module = fileURLToPath(new URL('../harness/targets/emulator-process.ts', import.meta.url));
  writeFileSync(
    script,
    [
      `import { mkdtempSync, writeFileSync } from 'node:fs';`,
      `import { tmpdir } from 'node:os';`,
      `import { join } from 'node:path';`,
      `import { removeAtExit } from ${JSON.stringify(module)};`,
      `const dir = mkdtempSync(join(tmpdir(), 'evsm-dirs-child-'));`,
      `removeAtExit(dir);`,
      `writeFileSync(${JSON.stringify(made)}, dir);`,
    ].join('\n'),
  );
  execFileSync(process.execPath, ['--import', createRequire(import.meta.url).resolve('tsx'), script], { stdio: 'pipe' });
  const dir = readFileSync(made, 'utf8');
  expect(dir.startsWith(tmpdir())).toBe(true);
  try {
    expect(existsSync(dir)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a start that fails removes the directory it made at once', async () => {
  const before = new Set(listed('evsm-BADSTART-'));
  await expect(EmulatorProcess.start({ name: 'BADSTART', extraArgs: ['--no-such-option'], readyTimeout: 15_000 })).rejects.toThrow(/BADSTART/);
  expect(listed('evsm-BADSTART-').filter((d) => !before.has(d))).toEqual([]);
});

function listed(prefix: string): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(prefix));
}
