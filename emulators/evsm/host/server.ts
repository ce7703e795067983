/**
 * The host-protocol listeners (TCP, and TLS with the same protocol inside).
 *
 * Per connection, answers go out in request order. Across connections the device is fair: a
 * connection is served in turns of at most TURN_FRAMES requests or TURN_MS of work, and after a
 * turn it yields (setImmediate), so the event loop reads the other sockets before this one's next
 * turn. A pipelined burst therefore delays another client by about one turn per busy connection,
 * not by the whole burst. A client that sends without reading stops being read: while its unsent
 * answers exceed MAX_UNSENT_BYTES, or its unprocessed input exceeds MAX_BUFFERED_INPUT, the socket
 * is paused (TCP flow control then pushes back on the client), and it resumes on drain.
 *
 * State writes are group commits (device/device.ts): a command that changes the state is applied
 * in memory and its answer is held until the write that holds the change is on disk; meanwhile
 * the connection's next requests are handled (up to MAX_HELD_ANSWERS held answers), and so are
 * other connections', whose changes go into the same next write. Every answer is tagged with the
 * newest change it read or made (Device.beginCommand/seenSeq), so a reader is never shown a key
 * a kill -9 could still take back, and a command that reads no key (NC, S3 with a cryptogram)
 * does not wait for other connections' writes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Device } from '../device/device.ts';
import { type Logger, quoteForLog } from '../log.ts';
import { ConnectionGate, closeWhenIdle, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS, MAX_UNSENT_BYTES } from '../connections.ts';
import { dispatch, oversizedAnswer } from './dispatch.ts';
import { FrameSplitter, frame, type FrameEvent } from './frame.ts';
import type { HostWorkers } from './workers.ts';

/** Requests one connection may have handled in one turn before the others get theirs. */
export const TURN_FRAMES = 32;
/** Work time (ms) after which a turn ends even below TURN_FRAMES (one request is always done). */
export const TURN_MS = 2;
/** Received, unprocessed bytes above which a connection is no longer read. */
export const MAX_BUFFERED_INPUT = 64 * 1024;
/** Answers of one connection held for a state write (or earlier answers) before its requests wait. */
export const MAX_HELD_ANSWERS = 256;

export interface HostServerOptions {
  device: Device;
  headerLength: number;
  log: Logger;
  /** ms without traffic before an idle connection is closed; 0 = never (default 300 s) */
  idleTimeoutMs?: number;
  /** the cap on open host connections; share one gate between the TCP and TLS listeners */
  gate?: ConnectionGate;
  /** worker threads for the stateless crypto commands (host/workers.ts); absent = all in this thread */
  workers?: HostWorkers;
}

/** An answer computed and not yet sent: it goes out when every earlier one has and `seq` is durable. */
interface Held {
  /** undefined while a worker thread computes it */
  data: Buffer | undefined;
  /** the device's change sequence number the answer was computed on (0: depends on no state) */
  seq: number;
}

/** The held answer of one request; `ready` is called when a worker thread fills it in later. */
function answerOf(ev: FrameEvent, opts: HostServerOptions, ready: () => void): Held {
  const workers = opts.workers;
  if (ev.kind === 'message' && workers && ev.body.length >= opts.headerLength + 2) {
    const command = ev.body.subarray(opts.headerLength, opts.headerLength + 2).toString('latin1');
    if (workers.takes(command)) {
      const held: Held = { data: undefined, seq: 0 };
      workers.run(ev.body, opts.headerLength, (a) => {
        if (a.error !== '00') opts.log.debug(`host: ${quoteForLog(a.command)} → ${a.error} (${a.reason ?? ''})`);
        held.data = a.data;
        held.seq = a.seen;
        ready();
      });
      ev.body.fill(0);
      return held;
    }
  }
  if (ev.kind === 'oversized') {
    opts.log.debug(`host: frame of ${ev.length} bytes over the limit, answered 80`);
    return { data: frame(oversizedAnswer(ev.head, opts.headerLength)), seq: 0 };
  }
  opts.device.beginCommand();
  const r = dispatch({ device: opts.device }, ev.body, opts.headerLength);
  // The request may have carried clear components: do not leave them in memory.
  ev.body.fill(0);
  if (r.error !== '00') opts.log.debug(`host: ${quoteForLog(r.command)} → ${r.error} (${r.reason ?? ''})`);
  // Tagged with the newest change this command read or made.
  return { data: r.framed ?? frame(r.answer), seq: opts.device.seenSeq };
}

/** A held answer whose state a failed write took back: the same header and response code, error 41. */
function takenBack(framed: Buffer, opts: HostServerOptions): Buffer {
  const head = framed.subarray(2, 2 + opts.headerLength + 2);
  opts.log.debug(`host: ${quoteForLog(head.subarray(opts.headerLength).toString('latin1'))} → 41 (the state file could not be written)`);
  return frame(Buffer.concat([head, Buffer.from('41', 'latin1')]));
}

function serveConnection(socket: Socket, opts: HostServerOptions): void {
  const device = opts.device;
  const splitter = new FrameSplitter(opts.headerLength + 2);
  /** answers in request order, not yet written to the socket */
  const held: Held[] = [];
  /** a turn is queued with setImmediate */
  let scheduled = false;
  /** waiting for 'drain': the client is not reading its answers */
  let blocked = false;
  /** a callback waits for the first held answer's write */
  let waiting = false;
  let closed = false;

  const schedule = (): void => {
    if (scheduled || blocked || closed) return;
    scheduled = true;
    setImmediate(turn);
  };

  /** Writes the held answers that may go: in order, each once its state is durable. */
  const release = (): void => {
    if (closed) return;
    const out: Buffer[] = [];
    while (held.length) {
      const h = held[0];
      if (!h.data) break;
      const fate = device.fate(h.seq);
      if (fate === 'pending') {
        if (!waiting) {
          waiting = true;
          device.onSettled(h.seq, () => {
            waiting = false;
            workerDone();
          });
        }
        break;
      }
      held.shift();
      out.push(fate === 'failed' ? takenBack(h.data, opts) : h.data);
    }
    if (out.length) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    if (socket.writableLength > MAX_UNSENT_BYTES) {
      blocked = true;
      socket.pause();
    }
  };

  const workerDone = (): void => {
    release();
    // a turn may have stopped at MAX_HELD_ANSWERS
    if (splitter.buffered > 0) schedule();
  };

  const turn = (): void => {
    scheduled = false;
    if (closed || blocked) return;
    const t0 = performance.now();
    let done = 0;
    let more = false;
    for (;;) {
      // Answers waiting for a state write: read on (their writes batch), up to a bound.
      if (held.length >= MAX_HELD_ANSWERS) break;
      if (done >= TURN_FRAMES || (done > 0 && performance.now() - t0 >= TURN_MS)) {
        more = true;
        break;
      }
      const ev = splitter.next();
      if (!ev) break;
      held.push(answerOf(ev, opts, workerDone));
      done++;
    }
    release();
    if (blocked) return;
    if (more) schedule();
    else if (splitter.buffered <= MAX_BUFFERED_INPUT && socket.isPaused()) socket.resume();
  };

  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    closed = true;
    held.length = 0;
    splitter.clear();
  });
  socket.on('drain', () => {
    if (!blocked) return;
    blocked = false;
    if (splitter.buffered <= MAX_BUFFERED_INPUT) socket.resume();
    schedule();
  });
  socket.on('data', (chunk: Buffer) => {
    splitter.push(chunk);
    if (splitter.buffered > MAX_BUFFERED_INPUT) socket.pause();
    // The first turn runs at once (no extra loop pass for a lone request); later turns yield.
    if (!scheduled && !blocked) turn();
  });
  // "In progress" = complete requests waiting for their turn, or answers waiting for a write; a
  // client that neither sends nor reads for the whole timeout is closed even with unread answers.
  closeWhenIdle(socket, opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_S * 1000, () => scheduled || held.length > 0);
}

export type ListenerRole = 'host' | 'management' | 'TLS host';

/** Listens; a refusal names the listener and the address (EADDRINUSE and the like). */
export function listen(server: Server, port: number, host: string, role: ListenerRole = 'host'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const why = e.code === 'EADDRINUSE' ? 'is already in use (EADDRINUSE): stop what listens there or choose another port' : `cannot be opened (${e.code ?? e.message})`;
      reject(new Error(`${role} port ${host}:${port} ${why}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function gateOf(opts: HostServerOptions): ConnectionGate {
  return opts.gate ?? new ConnectionGate(DEFAULT_MAX_CONNECTIONS, 'host', opts.log);
}

export function createHostServer(opts: HostServerOptions): Server {
  const gate = gateOf(opts);
  return createServer((s) => {
    if (gate.admit(s)) serveConnection(s, opts);
  });
}

export function createHostTlsServer(opts: HostServerOptions, tls: Pick<TlsOptions, 'cert' | 'key'>): Server {
  const gate = gateOf(opts);
  const server = createTlsServer({ ...tls, minVersion: 'TLSv1.2' }, (s) => serveConnection(s, opts));
  // Counted at TCP accept, before the handshake: a connection that never completes one holds a
  // descriptor too. (tls.Server's own 'connection' listener runs first and wraps the socket.)
  server.on('connection', (raw: Socket) => void gate.admit(raw));
  return server;
}
