/**
 * Temporary directories a test file removes when it is done: `const tempDir = useTempDirs();` at
 * the top of the file (it registers one afterAll hook there), then `tempDir('evsm-x-')` wherever
 * a test or hook needs one. Removed after the file's last test in the worker, also when a test
 * failed, so a run of the suite leaves nothing behind in the temp directory.
 */
import { test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function useTempDirs(): (prefix: string) => string {
  const made: string[] = [];
  test.afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
