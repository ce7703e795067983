/**
 * A Playwright reporter that writes whole lines only: no cursor movement, no line rewritten,
 * no colour. For a bench run with a console operator (operator.mode "console"): the prompts are
 * on the same terminal, and the `list` reporter, which rewrites its lines in a terminal,
 * would write over them. `evsm-lab run` chooses it (EVSM_LAB_REPORTER=lines, read by
 * playwright.config.ts); docs/cli.md, "run".
 *
 *   ▶ [hardware] scenarios/key-sync.spec.ts › KS-01 backup export …
 *   ✓ [hardware] scenarios/key-sync.spec.ts › KS-01 backup export … (2m 4s)
 *   12 passed, 1 failed, 11 skipped (41m 3s)
 */
import { relative } from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult } from '@playwright/test/reporter';

/** Every terminal control sequence (CSI, OSC, single ESC codes) and lone carriage returns. */
const CONTROL = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]|\r(?!\n)/g;

export function plain(text: string): string {
  return text.replace(CONTROL, '');
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

const MARK: Record<TestResult['status'], string> = { passed: '✓', failed: '✘', timedOut: '✘', interrupted: '!', skipped: '-' };
/** Said after the duration; an interrupted test (Ctrl-C) is no failure, and its line says so. */
const SUFFIX: Partial<Record<TestResult['status'], string>> = { timedOut: ': timed out', interrupted: ': interrupted (not a failure)' };

export default class LinesReporter implements Reporter {
  private suite: Suite | undefined;
  /** A test's output that did not end its line yet: completed before the next line of ours. */
  private open = false;

  private rootDir = '';

  private write(text: string): void {
    process.stdout.write(text);
  }

  printsToStdio(): boolean {
    return true;
  }

  private line(text: string): void {
    if (this.open) this.write('\n');
    this.open = false;
    this.write(`${plain(text)}\n`);
  }

  private name(test: TestCase): string {
    const [, project, , ...titles] = test.titlePath();
    return `[${project}] ${relative(this.rootDir, test.location.file)} › ${titles.join(' › ')}`;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.suite = suite;
    this.rootDir = config.rootDir;
    const n = suite.allTests().length;
    this.line(`Running ${n} test${n === 1 ? '' : 's'}`);
  }

  onTestBegin(test: TestCase, result: TestResult): void {
    this.line(`▶ ${this.name(test)}${result.retry ? ` (retry ${result.retry})` : ''}`);
  }

  private output(chunk: string | Buffer): void {
    const text = plain(chunk.toString());
    if (!text) return;
    this.write(text);
    this.open = !text.endsWith('\n');
  }

  onStdOut(chunk: string | Buffer): void {
    this.output(chunk);
  }

  onStdErr(chunk: string | Buffer): void {
    this.output(chunk);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const reason = result.status === 'skipped' ? test.annotations.find((a) => a.type === 'skip')?.description : undefined;
    this.line(`${MARK[result.status]} ${this.name(test)} (${duration(result.duration)})${reason ? `: skipped: ${reason}` : SUFFIX[result.status] ?? ''}`);
    if (result.status === 'failed' || result.status === 'timedOut') {
      for (const e of result.errors) this.error(e, '    ');
    }
  }

  private error(e: TestError, indent: string): void {
    // The message, not the source snippet or the stack: what went wrong.
    const text = plain(e.message ?? e.value ?? 'error').split('\n').filter((l) => !/^\s+at /.test(l)).slice(0, 12);
    for (const l of text) this.line(`${indent}${l}`);
  }

  onError(error: TestError): void {
    this.line('error outside any test:');
    this.error(error, '    ');
  }

  onEnd(result: FullResult): void {
    const c = { passed: 0, failed: 0, flaky: 0, skipped: 0, interrupted: 0, 'did not run': 0 };
    for (const t of this.suite?.allTests() ?? []) {
      const last = t.results[t.results.length - 1];
      const outcome = t.outcome();
      if (!last) c['did not run']++;
      else if (last.status === 'interrupted') c.interrupted++;
      else if (outcome === 'expected') c.passed++;
      else if (outcome === 'flaky') c.flaky++;
      else if (outcome === 'skipped') c.skipped++;
      else c.failed++;
    }
    const always = new Set(['passed', 'failed', 'skipped']);
    const parts = Object.entries(c).filter(([k, n]) => n || always.has(k)).map(([k, n]) => `${n} ${k}`);
    this.line(`${parts.join(', ')} (${duration(result.duration)})${result.status === 'interrupted' ? ': interrupted' : ''}`);
  }
}
