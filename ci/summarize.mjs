#!/usr/bin/env node
// Prints the closing line "N passed, N failed, N skipped" from one or more Playwright JSON reporter
// outputs (summed). Exits non-zero when a file is missing (that run never reached the test runner)
// or any test failed.
import { readFileSync, existsSync } from 'node:fs';

const files = process.argv.length > 2 ? process.argv.slice(2) : ['lab-output/results.json'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  if (!existsSync(file)) {
    console.log(`no test results in ${file}: that run stopped before the test runner (see the output above)`);
    failed += 1;
    continue;
  }
  const { stats, errors = [] } = JSON.parse(readFileSync(file, 'utf8'));
  passed += stats.expected + stats.flaky;
  // A run-level error (a crashed config or global set-up) with no failed test still counts as a failure.
  failed += stats.unexpected + (errors.length > 0 && stats.unexpected === 0 ? 1 : 0);
  skipped += stats.skipped;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
