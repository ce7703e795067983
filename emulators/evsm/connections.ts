/**
 * Limits both listeners apply to their connections (docs/emulator.md, "Limits"): a cap on open
 * connections, an idle timeout, and the bound on answers a client has not read yet.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from './log.ts';

export const DEFAULT_IDLE_TIMEOUT_S = 300;
export const DEFAULT_MAX_CONNECTIONS = 512;
export const DEFAULT_MAX_MGMT_CONNECTIONS = 32;
/** Longest idle timeout: Node's timers overflow past 2^31 - 1 ms (about 24.8 days). */
export const MAX_IDLE_TIMEOUT_S = 86_400;
/** Unsent answer bytes per connection above which the device stops reading that connection. */
export const MAX_UNSENT_BYTES = 1 << 20;

export interface ConnectionLimits {
  /** ms without traffic before a connection with no request in progress is closed; 0 = never */
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * Counts open connections of one port (or of several that share the cap) and closes a new one
 * at once, before reading a byte, while the cap is reached. The log says so once per episode,
 * not once per refused connection, so a client hammering the port cannot flood the log.
 */
export class ConnectionGate {
  private open = 0;
  private refused = 0;
  private full = false;

  constructor(
    readonly max: number,
    private readonly what: string,
    private readonly log: Logger,
  ) {}

  get count(): number {
    return this.open;
  }

  /** Counts `socket` in (until it closes), or destroys it and returns false at the cap. */
  admit(socket: Socket): boolean {
    if (this.open >= this.max) {
      this.refused++;
      if (!this.full) {
        this.full = true;
        this.log.info(`${this.what}: ${this.max} connections open (the cap): new connections are closed at once until one ends`);
      }
      socket.destroy();
      return false;
    }
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (this.full && this.open < this.max) {
        this.full = false;
        this.log.info(`${this.what}: below the connection cap again (${this.refused} connections closed at the cap so far)`);
      }
    });
    return true;
  }
}

/**
 * Closes `socket` after `ms` without traffic in either direction, unless `busy()` says a request
 * of it is still being worked on (then the clock starts again).
 */
export function closeWhenIdle(socket: Socket, ms: number, busy: () => boolean): void {
  if (ms <= 0) return;
  socket.setTimeout(ms);
  socket.on('timeout', () => {
    if (busy()) socket.setTimeout(ms);
    else socket.destroy();
  });
}

/** Descriptors kept free of connections: state writes, the lock, TLS files, stdio. */
const RESERVED_DESCRIPTORS = 64;

/** The process's soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Connection caps that fit the descriptor limit: past it, accept() fails (new clients hang in
 * the backlog) and so does the open() of a state write (every store command fails with 41).
 * The host cap shrinks when host + management caps and the reserve exceed the limit.
 */
export function fitCaps(host: number, mgmt: number, limit = openFileLimit()): { host: number; mgmt: number; reduced: boolean } {
  if (limit === undefined) return { host, mgmt, reduced: false };
  const room = Math.max(2, limit - RESERVED_DESCRIPTORS);
  const m = Math.max(1, Math.min(mgmt, Math.floor(room / 8)));
  const h = Math.max(1, Math.min(host, room - m));
  return { host: h, mgmt: m, reduced: h !== host || m !== mgmt };
}
