/**
 * A Playwright reporter that shows the run's progress on the operator station: tests done/total,
 * failures, the test now running. It runs in the runner process and reaches the station at the
 * URL in EVSM_STATION_URL (read at each event, so a station started by a global setup after
 * `onBegin` is found); without one it does nothing. Add it to a run's reporters:
 *   reporter: [['list'], ['./harness/station/reporter.ts']]
 */
import type { FullConfig, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { relative } from 'node:path';
import { StationClient, STATION_URL_ENV } from './client.ts';

export default class StationReporter implements Reporter {
  private total = 0;
  private readonly finished = new Map<string, boolean>();
  private queue: Promise<void> = Promise.resolve();
  private title: string | undefined;

  constructor(private readonly options: { title?: string } = {}) {}

  printsToStdio(): boolean {
    return false;
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    this.total = suite.allTests().length;
    this.title = this.options.title;
    this.send({ total: this.total, done: 0, failed: 0 });
  }

  onTestBegin(test: TestCase): void {
    this.send({ current: { test: test.titlePath().filter(Boolean).join(' › '), file: relative(process.cwd(), test.location.file) } });
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    // A retried test counts once, with its last result.
    this.finished.set(test.id, result.status !== 'passed' && result.status !== 'skipped' && test.outcome() === 'unexpected');
    this.send({ done: this.finished.size, failed: [...this.finished.values()].filter(Boolean).length, current: null });
  }

  async onEnd(): Promise<void> {
    this.send({ current: null });
    await this.queue;
  }

  private send(p: Parameters<StationClient['progress']>[0]): void {
    const url = process.env[STATION_URL_ENV];
    if (!url) return;
    const client = new StationClient(url);
    const body = { ...p, total: this.total, ...(this.title ? { title: this.title } : {}) };
    this.queue = this.queue.then(() => client.progress(body)).catch(() => undefined);
  }
}
