#!/usr/bin/env node
// Prints the closing line "N passed, N failed, N skipped" from Playwright's JSON reporter output.
// Exits non-zero when the file is missing (the run never reached the test runner) or any test failed.
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? 'lab-output/results.json';
if (!existsSync(file)) {
  console.log('no test results: the run stopped before the test runner (see the output above)');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const { stats, errors = [] } = JSON.parse(readFileSync(file, 'utf8'));
const passed = stats.expected + stats.flaky;
const failed = stats.unexpected + (errors.length > 0 && stats.unexpected === 0 ? 1 : 0);
console.log(`${passed} passed, ${failed} failed, ${stats.skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
