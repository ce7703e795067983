/**
 * Host worker threads (`--workers N`, docs/emulator.md "Worker threads"): commands that only read
 * the device state and spend their time in crypto run on a pool of worker threads, so they use
 * more cores. The main thread keeps everything else: it owns the one state (every write is
 * made there, persisted by group commit), reads the sockets, splits frames and sends the answers
 * in request order per connection.
 *
 * Each worker holds a read-only copy of the state (WorkerDeviceView). Before a request is posted
 * to a worker whose copy is older than the live state, the live state is posted first; messages
 * to a worker arrive in order, so the request is answered on the state the main thread had when
 * it took the request, exactly what an in-thread answer would have seen. A command that tried to
 * write on a worker is refused 41 there (none of WORKER_COMMANDS writes); a worker that dies has
 * its requests answered 41 and the pool goes on without it (in-thread when none is left).
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { Device } from '../device/device.ts';
import type { DeviceState } from '../device/state-types.ts';
import { WorkerDeviceView } from '../device/view.ts';
import { dispatch, responseCode } from './dispatch.ts';
import { frame } from './frame.ts';
import { type Logger, silentLogger } from '../log.ts';

/**
 * Commands sent to the workers when there are any: SM2 sign, verify, encrypt, decrypt, about a
 * millisecond of CPU each, far more than a thread hop. The symmetric commands (S3/S4, D3/D4,
 * S0/D0/D1, CC) were measured on workers too (bench/host-throughput.ts) and were slower there (a
 * hop costs more than an SM4 operation, and framing and sockets stay on the main thread), so they
 * stay in the main thread. Never a command that writes.
 */
export const WORKER_COMMANDS: ReadonlySet<string> = new Set(['E3', 'E4', 'E5', 'E6']);

/** `workerData.role` of a host worker: program.ts starts the worker side when it sees it. */
export const WORKER_ROLE = 'evsm-host-worker';

export interface WorkerAnswer {
  /** the framed answer */
  data: Buffer;
  /** the newest change the command read (the server holds the answer until it is durable) */
  seen: number;
  command: string;
  error: string;
  reason?: string;
}

type ToWorker = { t: 'state'; state: DeviceState; keys: number; root: number } | { t: 'req'; id: number; body: Uint8Array; headerLength: number };
type FromWorker = { t: 'ready' } | { t: 'answer'; id: number; answer: Uint8Array; seen: number; command: string; error: string; reason?: string };

interface Slot {
  worker: Worker;
  /** the state object last posted to it */
  loaded: DeviceState | null;
  pending: Map<number, { cb: (a: WorkerAnswer) => void; failed: Buffer }>;
  alive: boolean;
  /** its module is loaded and it listens (until then requests stay in the main thread) */
  ready: boolean;
}

export class HostWorkers {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  private started = false;

  /**
   * The threads start with the first request for one of WORKER_COMMANDS (a device that is never
   * asked for SM2 never pays for them); requests are answered in the main thread until a worker
   * says it is ready, so nothing waits for a thread to load.
   */
  constructor(
    private readonly device: Device,
    private readonly count: number,
    private readonly script: string | URL,
    private readonly log: Logger = silentLogger,
  ) {}

  private start(): void {
    this.started = true;
    for (let i = 0; i < this.count; i++) this.slots.push(this.spawn(this.script));
  }

  private spawn(script: string | URL): Slot {
    const worker = String(script).endsWith('.ts')
      ? // From source: tsx's loader hooks are not inherited by a worker; it registers them first.
        new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(String(new URL(String(script), 'file:///')))}); });`, {
          eval: true,
          workerData: { role: WORKER_ROLE },
        })
      : new Worker(script, { workerData: { role: WORKER_ROLE } });
    const slot: Slot = { worker, loaded: null, pending: new Map(), alive: true, ready: false };
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        slot.ready = true;
        if (this.slots.every((s) => s.ready)) this.log.info(`${this.count} host worker threads ready for ${[...WORKER_COMMANDS].join(' ')}`);
        return;
      }
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      p.cb({ data: Buffer.from(m.answer.buffer, m.answer.byteOffset, m.answer.byteLength), seen: m.seen, command: m.command, error: m.error, reason: m.reason });
    });
    const die = (e?: unknown): void => {
      if (!slot.alive) return;
      if (!this.closing) this.log.info(`host worker thread stopped (${e instanceof Error ? e.message.split('\n')[0] : `exit ${String(e)}`}); its requests are answered 41, new ones go to the others`);
      slot.alive = false;
      for (const [, p] of slot.pending) p.cb({ data: p.failed, seen: 0, command: '??', error: '41', reason: 'host worker thread stopped' });
      slot.pending.clear();
    };
    worker.on('error', die);
    worker.on('exit', die);
    // An idle pool must not keep the process alive after the listeners close.
    worker.unref();
    return slot;
  }

  /** True when `command` goes to a worker (the command is on the list and a worker is ready). */
  takes(command: string): boolean {
    if (!WORKER_COMMANDS.has(command)) return false;
    if (!this.started) this.start();
    return this.slots.some((s) => s.alive && s.ready);
  }

  /** Posts one request (header + command + fields); `cb` gets its answer. The caller wipes `body`. */
  run(body: Buffer, headerLength: number, cb: (a: WorkerAnswer) => void): void {
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.alive && s.ready && (!slot || s.pending.size < slot.pending.size)) slot = s;
    if (!slot) throw new Error('no host worker thread left');
    const live = this.device.snapshot;
    if (slot.loaded !== live) {
      const seqs = this.device.changeSeqs;
      slot.worker.postMessage({ t: 'state', state: live, keys: seqs.keys, root: seqs.root } satisfies ToWorker);
      slot.loaded = live;
    }
    const id = this.nextId++;
    const header = body.subarray(0, headerLength);
    const command = body.subarray(headerLength, headerLength + 2).toString('latin1');
    const failed = frame(Buffer.concat([header, Buffer.from(responseCode(command) + '41', 'latin1')]));
    slot.pending.set(id, { cb, failed });
    slot.worker.postMessage({ t: 'req', id, body, headerLength } satisfies ToWorker);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** The worker side: keeps the posted state, answers requests with the same dispatch as the main thread. */
export function runHostWorker(): void {
  const port = parentPort;
  if (!port || (workerData as { role?: string } | null)?.role !== WORKER_ROLE) throw new Error('runHostWorker: not a host worker thread');
  let view: WorkerDeviceView | null = null;
  port.postMessage({ t: 'ready' } satisfies FromWorker);
  port.on('message', (m: ToWorker) => {
    if (m.t === 'state') {
      if (view) view.load(m.state, m.keys, m.root);
      else view = new WorkerDeviceView(m.state, m.keys, m.root);
      return;
    }
    const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
    const v = view as WorkerDeviceView;
    v.beginCommand();
    // The handlers are typed with Device; the view has every member they use (a write throws 41).
    const r = dispatch({ device: v as unknown as Device }, body, m.headerLength);
    body.fill(0);
    const answer = r.framed ?? frame(r.answer);
    port.postMessage({ t: 'answer', id: m.id, answer, seen: v.seenSeq, command: r.command, error: r.error, reason: r.reason } satisfies FromWorker);
  });
}
