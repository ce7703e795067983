/**
 * testcontainers settings this machine needs (see DESIGN.md §3): without a docker bridge the
 * library must be told the containers are on 127.0.0.1, and Ryuk (its reaper) cannot run because
 * its image cannot be pulled. Our own label clean-up (cleanup.ts) does Ryuk's job instead.
 * A user's explicit settings win.
 */
export function ensureTestcontainersEnv(): void {
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
}

// Also at import time: testcontainers reads some of these when its client is first created.
ensureTestcontainersEnv();
