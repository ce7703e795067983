/**
 * Where reports read and write. One output root (env EVSM_LAB_OUTPUT, default `lab-output`,
 * the same rule as playwright.config.ts) so `npm run lab` and `npm run report` meet there.
 */
import { resolve, join } from 'node:path';

export interface ReportPaths {
  /** Output root of the run. */
  root: string;
  /** Playwright JSON reporter output. */
  resultsJson: string;
  /** allure-playwright results directory. */
  allureResults: string;
  /** Generated Allure HTML report directory. */
  allureReport: string;
  /** Certification report directory (HTML and PDF). */
  certification: string;
}

export function outputRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.EVSM_LAB_OUTPUT || 'lab-output');
}

/**
 * `results` is the run's output root (holding results.json and allure-results/) and `out`
 * the directory the reports go to; both default to the output root.
 */
export function reportPaths(opts: { results?: string; out?: string } = {}, env: NodeJS.ProcessEnv = process.env): ReportPaths {
  const root = resolve(opts.results ?? outputRoot(env));
  const out = resolve(opts.out ?? root);
  return {
    root,
    resultsJson: join(root, 'results.json'),
    allureResults: join(root, 'allure-results'),
    allureReport: join(out, 'allure-report'),
    certification: join(out, 'certification'),
  };
}
