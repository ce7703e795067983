/**
 * A cheap, honest load generator for the host port (bench/throughput-raw.ts): raw SJJ1310 frames
 * (2-byte length + header + command + fields) built before the clock starts, a window of N
 * requests in flight per connection, and every answer checked before it counts: well framed,
 * with the header of the request it answers (each request of a connection carries its own
 * header, so an answer out of order or lost shows), the expected response code and error `00`,
 * and the expected length (or the exact bytes, for an answer that does not change).
 *
 * Run in the bench's process (runLoad), or as a process of its own so the emulator's CPU and the
 * client's are measured apart:
 *
 *   node --import tsx bench/throughput-load.ts '<LoadSpec as JSON>'   → one LoadResult JSON line
 */
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Distinct headers per connection: request i of connection c carries header (c, i mod RING). */
export const RING = 1000;

export interface LoadSpec {
  port: number;
  /** header length the emulator was started with (≥ 6: 2 digits of connection + 4 of sequence) */
  headerLength: number;
  connections: number;
  /** requests in flight per connection (1 = closed loop, as the SDK does) */
  window: number;
  ms: number;
  /**
   * The request after its header, latin1 (e.g. `KG2040`). `{i}` in it is replaced by the
   * request's 4-digit store index for a store command: 1 + (c × 125 + i) mod 2000.
   */
  request: string;
  /** what every answer must be after its header: the response code + `00` ... */
  answerPrefix: string;
  /** ... and this many bytes long after the header */
  answerLength: number;
  /** the exact bytes after the header (latin1), when the answer never changes (KG) */
  exact?: string;
}

export interface LoadResult {
  /** answers checked and counted while the clock ran */
  answers: number;
  ms: number;
  rate: number;
  /** answers that failed a check (any is a failure of the run) */
  bad: number;
  /** the first bad answer, in hex (at most 64 bytes; the bench's answers hold no clear keys) */
  firstBad?: string;
  /** CPU time of the process that ran the load, while the clock ran */
  clientCpuMs: number;
}

const storeIndex = (c: number, i: number) => String(1 + ((c * 125 + i) % 2000)).padStart(4, '0');

function header(spec: LoadSpec, c: number, i: number): string {
  return (String(c).padStart(2, '0') + String(i).padStart(4, '0')).padStart(spec.headerLength, '0');
}

/** RING frames of one connection, back to back in one buffer; every frame has the same size. */
function ringOf(spec: LoadSpec, c: number): { all: Buffer; size: number } {
  const frames = Array.from({ length: RING }, (_, i) => {
    const body = Buffer.from(header(spec, c, i) + spec.request.replace('{i}', storeIndex(c, i)), 'latin1');
    const f = Buffer.alloc(2 + body.length);
    f.writeUInt16BE(body.length, 0);
    body.copy(f, 2);
    return f;
  });
  const size = frames[0].length;
  if (frames.some((f) => f.length !== size)) throw new Error('every request of a ring must have the same size');
  return { all: Buffer.concat(frames), size };
}

interface Conn {
  socket: Socket;
  ring: { all: Buffer; size: number };
  /** expected header + answer, per ring position, for the checks */
  heads: Buffer[];
  sent: number;
  got: number;
  inFlight: number;
  rest: Buffer | undefined;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.headerLength < 6) throw new Error('the load generator needs a header of at least 6 characters');
  const prefix = Buffer.from(spec.answerPrefix, 'latin1');
  const exact = spec.exact !== undefined ? Buffer.from(spec.exact, 'latin1') : undefined;
  const H = spec.headerLength;
  const bodyLength = H + spec.answerLength;
  let running = false;
  let counting = false;
  let answers = 0;
  let bad = 0;
  let firstBad: string | undefined;
  let drained: () => void = () => undefined;
  let open = 0;

  const send = (cn: Conn, n: number): void => {
    const { all, size } = cn.ring;
    // Up to two slices of the ring (it wraps), corked into one write.
    cn.socket.cork();
    while (n > 0) {
      const pos = cn.sent % RING;
      const k = Math.min(n, RING - pos);
      cn.socket.write(all.subarray(pos * size, (pos + k) * size));
      cn.sent += k;
      cn.inFlight += k;
      n -= k;
    }
    cn.socket.uncork();
  };

  const check = (cn: Conn, b: Buffer, off: number, len: number): void => {
    if (cn.inFlight <= 0) {
      bad++;
      firstBad ??= 'an answer with no request waiting for it';
      return;
    }
    const want = cn.heads[cn.got % RING];
    let ok = len === bodyLength && b.compare(want, 0, H, off, off + H) === 0;
    if (ok) ok = exact ? b.compare(exact, 0, exact.length, off + H, off + len) === 0 : b.compare(prefix, 0, prefix.length, off + H, off + H + prefix.length) === 0;
    cn.got++;
    cn.inFlight--;
    if (!ok) {
      bad++;
      firstBad ??= b.subarray(off, off + Math.min(len, 64)).toString('hex');
    } else if (counting) answers++;
  };

  const conns: Conn[] = await Promise.all(
    Array.from({ length: spec.connections }, (_, c) => {
      const ring = ringOf(spec, c);
      const heads = Array.from({ length: RING }, (_, i) => Buffer.from(header(spec, c, i), 'latin1'));
      return new Promise<Conn>((resolve, reject) => {
        const socket = connect(spec.port, '127.0.0.1');
        socket.setNoDelay(true);
        const cn: Conn = { socket, ring, heads, sent: 0, got: 0, inFlight: 0, rest: undefined };
        socket.once('connect', () => {
          open++;
          resolve(cn);
        });
        socket.once('error', reject);
        socket.on('close', () => {
          open--;
          drained();
        });
        socket.on('data', (chunk: Buffer) => {
          let b = chunk;
          if (cn.rest) {
            b = Buffer.concat([cn.rest, chunk]);
            cn.rest = undefined;
          }
          let off = 0;
          const before = cn.got;
          while (b.length - off >= 2) {
            const len = b.readUInt16BE(off);
            if (b.length - off - 2 < len) break;
            check(cn, b, off + 2, len);
            off += 2 + len;
          }
          if (off < b.length) cn.rest = Buffer.from(b.subarray(off));
          if (running) send(cn, cn.got - before);
          else if (cn.inFlight === 0) drained();
        });
      });
    }),
  );

  // Warm-up: a few windows on every connection, not counted.
  running = true;
  for (const cn of conns) send(cn, spec.window);
  await new Promise((r) => setTimeout(r, Math.min(300, spec.ms / 4)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, spec.ms));
  counting = false;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  running = false;
  // Let the answers in flight come back (checked, not counted), then close; one that does not
  // come within the run's length again (at least 1 s) is counted bad.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(1000, spec.ms));
    drained = () => {
      if (open === 0 || conns.every((cn) => cn.inFlight === 0)) {
        clearTimeout(timer);
        resolve();
      }
    };
    drained();
  });
  const lost = conns.reduce((n, cn) => n + cn.inFlight, 0);
  for (const cn of conns) cn.socket.destroy();
  if (lost > 0) {
    bad += lost;
    firstBad ??= `${lost} requests never answered`;
  }
  return { answers, ms, rate: answers / (ms / 1000), bad, firstBad, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

// As a process of its own: the spec on the command line, the result on stdout.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  runLoad(spec).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: Error) => {
      console.error(`throughput-load: ${e.message}`);
      process.exit(1);
    },
  );
}
