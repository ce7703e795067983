/**
 * The management listener: length-prefixed JSON requests, answered by id, one answer each.
 *
 * The device runs one management operation at a time. Connections take turns: each turn runs
 * the next request of the next connection in a round-robin ring, then yields to the event loop,
 * so a client with a thousand queued requests delays another client's request by about one
 * operation, not a thousand. Per connection, answers come in request order, at most
 * MAX_QUEUED requests wait (the socket is not read beyond that), and while its unsent answers
 * exceed MAX_UNSENT_BYTES it is neither read nor served.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { MgmtError } from '../errors.ts';
import type { Device } from '../device/device.ts';
import { type Logger, quoteForLog } from '../log.ts';
import { ConnectionGate, closeWhenIdle, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_MGMT_CONNECTIONS, MAX_UNSENT_BYTES } from '../connections.ts';
import { Challenges } from './auth.ts';
import type { MgmtContext, Op } from './context.ts';
import { encodeJsonFrame, JsonFrames, JsonFrameTooLarge } from './frame.ts';
import { backupExport, restoreImport } from './ops/backup.ts';
import { combine, exportDmkComponents, importComponent, newAuth, originalInit, recoveryBegin, syncAuth } from './ops/dmk.ts';
import { getAuthInfo, getChallenge, getDmkKcv, getInfo } from './ops/info.ts';
import type { Params } from './params.ts';

const OPS: Readonly<Record<string, Op>> = {
  getInfo,
  getChallenge,
  getDmkKcv,
  getAuthInfo,
  originalInit,
  recoveryBegin,
  importComponent,
  combine,
  syncAuth,
  newAuth,
  exportDmkComponents,
  backupExport,
  restoreImport,
};

/** Requests of one connection that may wait for their turn before the socket is paused. */
export const MAX_QUEUED = 32;

type Id = string | number | null;

/** A queued item: an operation to run, or an answer already decided (bad frame), sent in its turn. */
type Item = { kind: 'op'; id: Id; op: string; params: Params } | { kind: 'reply'; reply: unknown; thenClose?: boolean };

export interface MgmtServerOptions {
  device: Device;
  log: Logger;
  /** ms without traffic before a connection with nothing queued or running is closed; 0 = never */
  idleTimeoutMs?: number;
  gate?: ConnectionGate;
}

class Connection {
  readonly frames = new JsonFrames();
  readonly queue: Item[] = [];
  /** in the scheduler's ring */
  listed = false;
  running = false;
  /** waiting for 'drain' */
  blocked = false;
  /** an oversized frame ended the stream: nothing after it is read */
  ending = false;
  closed = false;

  constructor(readonly socket: Socket) {}

  send(v: unknown): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeJsonFrame(v));
    if (this.socket.writableLength > MAX_UNSENT_BYTES) this.blocked = true;
  }

  /** Reads on while there is room in the queue and the client takes its answers. */
  flow(): void {
    if (this.closed) return;
    if (this.blocked || this.ending || this.queue.length >= MAX_QUEUED) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }
}

/** Turns one JSON text into a queued item. */
function itemOf(text: string): Item {
  let req: { id?: unknown; op?: unknown; params?: unknown };
  try {
    req = JSON.parse(text) as typeof req;
  } catch {
    return { kind: 'reply', reply: { id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'frame is not JSON' } } };
  }
  const id: Id = typeof req?.id === 'string' || typeof req?.id === 'number' ? req.id : null;
  if (typeof req?.op !== 'string') return { kind: 'reply', reply: { id, ok: false, error: { code: 'BAD_REQUEST', message: 'request needs "op" (string)' } } };
  const params = req.params && typeof req.params === 'object' ? (req.params as Params) : {};
  return { kind: 'op', id, op: req.op, params };
}

export function createMgmtServer(opts: MgmtServerOptions): Server {
  const ctx: MgmtContext = { device: opts.device, challenges: new Challenges(), log: opts.log, recovery: null, caller: {} };
  const gate = opts.gate ?? new ConnectionGate(DEFAULT_MAX_MGMT_CONNECTIONS, 'management', opts.log);
  const ring: Connection[] = [];
  let busy = false;

  const list = (c: Connection): void => {
    if (c.listed || c.closed || c.blocked || c.queue.length === 0) return;
    c.listed = true;
    ring.push(c);
  };

  const run = async (c: Connection, item: Extract<Item, { kind: 'op' }>): Promise<void> => {
    const { id, op: opName, params } = item;
    const op = Object.prototype.hasOwnProperty.call(OPS, opName) ? OPS[opName] : undefined;
    try {
      if (!op) {
        opts.log.debug(`mgmt: unknown operation "${quoteForLog(opName)}" refused`);
        throw new MgmtError('UNKNOWN_OP', `no operation "${quoteForLog(opName)}"; see docs/management-protocol.md`);
      }
      ctx.caller = c;
      const result = await op(ctx, params, (phase, done, total) => c.send({ id, event: 'progress', phase, done, total }));
      // Group commit (device.ts): the answer waits until the state it reports is on disk.
      await opts.device.settled().catch(() => {
        throw new MgmtError('INTERNAL', `${opName}: the state file could not be written; the change was taken back`);
      });
      c.send({ id, ok: true, result });
    } catch (e) {
      await opts.device.settled().catch(() => undefined);
      const err = e instanceof MgmtError ? e : new MgmtError('INTERNAL', `internal error in ${opName}: ${(e as Error).message}`);
      if (op) opts.log.info(`mgmt: ${opName} refused ${err.code}: ${err.message}`);
      c.send({ id, ok: false, error: { code: err.code, message: err.message } });
    }
  };

  /** Serves the ring: answers already decided go out at once, then one operation at a time. */
  const pump = (): void => {
    while (!busy && ring.length) {
      const c = ring.shift() as Connection;
      c.listed = false;
      const item = c.closed || c.blocked ? undefined : c.queue.shift();
      if (!item) continue;
      fill(c);
      if (item.kind === 'reply') {
        c.send(item.reply);
        if (item.thenClose) c.socket.end();
        list(c);
        c.flow();
        continue;
      }
      busy = true;
      c.running = true;
      void run(c, item).finally(() => {
        busy = false;
        c.running = false;
        list(c);
        c.flow();
        // Yield before the next turn: the other sockets' input is read first.
        setImmediate(pump);
      });
    }
  };

  /** Moves complete frames of `c` into its queue, up to MAX_QUEUED. */
  const fill = (c: Connection): void => {
    while (!c.ending && !c.closed && c.queue.length < MAX_QUEUED) {
      let text: string | undefined;
      try {
        text = c.frames.next();
      } catch (e) {
        if (!(e instanceof JsonFrameTooLarge)) throw e;
        // The stream cannot be resynchronized: answer what came before, then this, then close.
        c.ending = true;
        c.frames.clear();
        c.queue.push({ kind: 'reply', reply: { id: null, ok: false, error: { code: 'BAD_REQUEST', message: e.message } }, thenClose: true });
        break;
      }
      if (text === undefined) break;
      c.queue.push(itemOf(text));
    }
  };

  return createServer((socket) => {
    if (!gate.admit(socket)) return;
    const c = new Connection(socket);
    // Progress events are small and must go out as they happen (Nagle would hold them back).
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      c.closed = true;
      c.queue.length = 0;
      c.frames.clear();
      ctx.challenges.release(c);
    });
    socket.on('drain', () => {
      if (!c.blocked) return;
      c.blocked = false;
      list(c);
      c.flow();
      pump();
    });
    socket.on('data', (chunk: Buffer) => {
      if (c.ending) return;
      c.frames.push(chunk);
      fill(c);
      list(c);
      c.flow();
      pump();
    });
    closeWhenIdle(socket, opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_S * 1000, () => c.running || c.queue.length > 0);
  });
}
