/**
 * The `hardware-lab` project: the projects of the targets that read the run's lab file (hardware,
 * rehearsal: their `project().dependencies`) depend on it, so Playwright runs it first, once,
 * whenever their tests run. A lab file that does not load fails this one test with the lab file's
 * own one-line error, and Playwright then runs none of those tests and exits non-zero (without
 * it, the bench fixture would turn the error into "24 skipped", exit 0). No lab file at all is
 * not an error here: the hardware tests skip with their one-line reason, the rehearsal takes
 * lab/rehearsal.json.
 */
import { test } from '@playwright/test';
import { LAB_NAME_ANNOTATION } from '../../reports/playwright-results.ts';
import { defaultLabFile, LabFileError, loadLabFile } from './lab-file.ts';

test('lab file', () => {
  const path = defaultLabFile();
  if (!path) {
    test.info().annotations.push({ type: 'lab file', description: 'none named (EVSM_LAB_FILE / --lab): the hardware tests skip; the rehearsal uses lab/rehearsal.json' });
    return;
  }
  try {
    const lab = loadLabFile(path);
    test.info().annotations.push({ type: 'lab file', description: `${lab.path}: ${lab.lab}` });
    // The reports print this as the lab's name (reports/playwright-results.ts reads it back).
    if (lab.labNamed) test.info().annotations.push({ type: LAB_NAME_ANNOTATION, description: lab.lab });
  } catch (e) {
    if (e instanceof LabFileError) {
      // The message is the whole report (FILE:LINE:COLUMN: …): no stack, no code frame of this file.
      const one = new Error(e.message);
      one.stack = `Error: ${e.message}`;
      throw one;
    }
    throw e;
  }
});
