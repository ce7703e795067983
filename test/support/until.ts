/** Polls `f` every `everyMs` until it returns something other than undefined or false; rejects naming `what` after `ms`. */
export async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
