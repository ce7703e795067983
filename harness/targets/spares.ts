/**
 * Warm spares for targets whose devices are fresh per test (embedded processes, containers): one
 * started device per name waits, begun in the background while the previous test ran, so a test
 * takes it at once instead of waiting ~0.1 s (a bundled process) or ~0.5 s (a container) per
 * device. State stays per test: a spare has never served a request before it is taken.
 */
export class Spares<T> {
  private readonly waiting = new Map<string, Promise<T>>();

  constructor(
    private readonly start: (name: string) => Promise<T>,
    private readonly stop: (device: T) => Promise<void>,
  ) {}

  /** The spare for `name` if it started (else a fresh start), and the next spare for `name` begins. */
  async take(name: string): Promise<T> {
    const spare = this.waiting.get(name);
    this.waiting.delete(name);
    // A spare that failed to start is not this test's problem: start one now instead.
    const device = (spare ? await spare.catch(() => undefined) : undefined) ?? (await this.start(name));
    const next = this.start(name);
    next.catch(() => undefined); // a failure surfaces when (if) the spare is taken
    this.waiting.set(name, next);
    return device;
  }

  /** Waits for the spares still starting and stops every one that started. */
  async close(): Promise<void> {
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    const started = (await Promise.allSettled(pending)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    await Promise.all(started.map((d) => this.stop(d)));
  }
}
