/**
 * Limits both listeners apply to their connections (docs/emulator.md, "Limits"): a cap on open
 * connections, an idle timeout, and the bound on answers a client has not read yet.
 */
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
