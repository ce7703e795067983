/**
 * Replaying a transcript against a fresh test device (docs/conformance.md, "Replay rules"):
 * every recorded request is sent again, in order, on one connection, and the answer is compared
 * with the one the SDK accepted.
 *
 * Exact comparison, except where the recorded answer was random:
 *  - CR (random bytes), E3 (SM2 encryption), JA (random PIN), A0 mode 1 and every A0/E7 (a fresh
 *    key): same response code, error code and length; E5 (SM2 signature): same code and error, a
 *    well-formed signature field within 2 bytes of the recorded length (DER varies);
 *  - NC: all but the 12-character serial;
 *  - KG: all but the update time (and the check value of a key A0 made);
 *  - any request that names a stored index whose key was random at recording time (A0/E7 with a
 *    store part taints the index; A6 with a store part and KF clean it again): same code, error and length.
 *  - a decryption or verification (E4, E6, D1, CY, S4, D4, CC, JE, JG) with such an index: only
 *    the response code (the key differs, so the outcome may);
 *  - H1/H2 answer a hash context the device made up: same code, error and length, and the replay
 *    puts the live context into the later H2/H3 requests in place of the recorded one.
 * Requests that carry a random key's cryptogram are exact: the DMK is the same, so the replayed
 * device decrypts the recorded cryptogram to the recorded key.
 */
import { createConnection, type Socket } from 'node:net';
import { FrameSplitter, frame } from './frames.ts';
import type { Transcript } from './transcript.ts';

export interface Mismatch {
  call: string;
  exchange: number;
  request: string;
  expected: string;
  got: string;
  rule: string;
}

type Rule = 'exact' | 'shape' | 'code' | 'signature' | 'nc' | 'kg' | 'kg-cv';

const KEY_LENGTH: Record<string, number> = { Z: 8, X: 16, U: 16, P: 16, R: 16, L: 16, Y: 24, T: 24, M: 24, N: 32 };
const SM2_COMMANDS = new Set(['E2', 'E3', 'E4', 'E5', 'E6', 'E7']);
const RANDOM_COMMANDS = new Set(['CR', 'E3', 'JA']);
/** Commands that decrypt or verify: with another key the outcome itself changes (an error code). */
const KEY_VERDICT_COMMANDS = new Set(['E4', 'E6', 'D1', 'CY', 'S4', 'D4', 'CC', 'JE', 'JG']);
/** Commands whose answer carries a hash context (len 4n + context) the next request sends back. */
const CONTEXT_COMMANDS = new Set(['H1', 'H2']);

/** Index of a store part (`K` + 4 digits + 2-digit label length) starting at pos, if any. */
function storeIndexAt(req: string, pos: number): number | undefined {
  const m = /^K(\d{4})\d{2}/.exec(req.slice(pos));
  return m ? Number(m[1]) : undefined;
}

/** Length of a key reference at pos: K + 4 digits, or flag + hex of the flag's key length. */
function keyRefLength(req: string, pos: number): number {
  if (req[pos] === 'K') return 5;
  return 1 + 2 * (KEY_LENGTH[req[pos]] ?? 16);
}

/** A0: mode(1) type(3) flag(1) [mode 1: ZMK ref + ZMK flag] [store]. */
function a0StoreIndex(req: string): number | undefined {
  let pos = 7;
  if (req[2] === '1') pos += keyRefLength(req, pos) + 1;
  return storeIndexAt(req, pos);
}

/** A6: type(3) ZMK ref, key under ZMK, flag(1) [store]: where the store part would start. */
function a6StorePos(req: string): number {
  let pos = 5;
  pos += keyRefLength(req, pos);
  pos += keyRefLength(req, pos);
  return pos + 1;
}

export class ReplayState {
  private readonly tainted = { sym: new Set<number>(), sm2: new Set<number>() };

  /** How to compare the answer to this request; updates the taint sets from the recorded answer. */
  classify(reqHex: string, recordedResponseHex: string): Rule {
    const req = Buffer.from(reqHex, 'hex').toString('latin1');
    const ok = Buffer.from(recordedResponseHex, 'hex').toString('latin1').slice(2, 4) === '00';
    const cmd = req.slice(0, 2);
    const space = SM2_COMMANDS.has(cmd) ? this.tainted.sm2 : this.tainted.sym;
    const refs = [...req.matchAll(/K(\d{4})/g)].map((m) => Number(m[1]));
    const touchesTainted = refs.some((i) => space.has(i));
    if (cmd === 'A0') {
      const idx = a0StoreIndex(req);
      if (ok && idx !== undefined) this.tainted.sym.add(idx);
      return 'shape';
    }
    if (cmd === 'E7') {
      const idx = storeIndexAt(req, 4);
      if (ok && idx !== undefined) this.tainted.sm2.add(idx);
      return 'shape';
    }
    if (cmd === 'A6') {
      const storePos = a6StorePos(req);
      const usesTainted = [...req.slice(0, storePos).matchAll(/K(\d{4})/g)].some((m) => space.has(Number(m[1])));
      const idx = storeIndexAt(req, storePos);
      if (ok && idx !== undefined) {
        if (usesTainted) this.tainted.sym.add(idx);
        else this.tainted.sym.delete(idx);
      }
      return usesTainted ? 'shape' : 'exact';
    }
    if (cmd === 'KF') {
      const rule: Rule = touchesTainted ? 'shape' : 'exact';
      if (ok) for (const i of refs) this.tainted.sym.delete(i);
      return rule;
    }
    if (cmd === 'NC') return 'nc';
    // KG names its index without the K: KG0001.
    if (cmd === 'KG') return this.tainted.sym.has(Number(req.slice(2, 6))) ? 'kg-cv' : 'kg';
    if (touchesTainted && KEY_VERDICT_COMMANDS.has(cmd)) return 'code';
    // A fresh signature each time; in DER its length varies by a byte or two.
    if (cmd === 'E5') return 'signature';
    if (RANDOM_COMMANDS.has(cmd) || CONTEXT_COMMANDS.has(cmd) || touchesTainted) return 'shape';
    return 'exact';
  }
}

/** Compares one answer; undefined when it matches under the rule. */
export function compare(rule: Rule, expectedHex: string, got: Buffer): string | undefined {
  const exp = Buffer.from(expectedHex, 'hex');
  const e = exp.toString('latin1');
  const g = got.toString('latin1');
  const codeAndError = e.slice(0, 4) === g.slice(0, 4);
  switch (rule) {
    case 'exact':
      return exp.equals(got) ? undefined : 'differs';
    case 'shape':
      return codeAndError && exp.length === got.length ? undefined : 'response code, error code or length differs';
    case 'signature': {
      const n = Number(g.slice(4, 8));
      return codeAndError && (e.slice(2, 4) !== '00' || (g.length === 8 + n && Math.abs(exp.length - got.length) <= 2)) ? undefined : 'not a signature answer of the recorded kind';
    }
    case 'code':
      return e.slice(0, 2) === g.slice(0, 2) ? undefined : 'response code differs';
    case 'nc':
      return exp.length === got.length && e.slice(0, -12) === g.slice(0, -12) ? undefined : 'differs before the serial';
    case 'kg':
      return exp.length === got.length && e.slice(0, -14) === g.slice(0, -14) ? undefined : 'differs before the update time';
    case 'kg-cv': {
      // KH00 + type(3) + flag(1) + CV(16) + label… + time: all but CV and time.
      const strip = (s: string): string => s.slice(0, 8) + s.slice(24, -14);
      return exp.length === got.length && strip(e) === strip(g) ? undefined : 'differs outside check value and update time';
    }
  }
}

/** One connection that sends frames one at a time. */
export class Wire {
  private readonly frames = new FrameSplitter();
  private waiting: ((b: Buffer) => void) | undefined;
  private readonly queue: Buffer[] = [];

  private constructor(private readonly socket: Socket, private readonly headerLength: number) {
    socket.on('data', (d: Buffer) => {
      for (const f of this.frames.push(d)) {
        const w = this.waiting;
        this.waiting = undefined;
        if (w) w(f);
        else this.queue.push(f);
      }
    });
  }

  static open(port: number, headerLength: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => resolve(new Wire(s, headerLength)));
      s.once('error', reject);
    });
  }

  /** Sends a payload (header of H bytes added), resolves with the answer after its header. */
  send(payload: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    const header = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUV'.slice(0, this.headerLength), 'latin1');
    this.socket.write(frame(Buffer.concat([header, payload])));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms to ${payload.toString('latin1').slice(0, 20)}`)), timeoutMs);
      const take = (f: Buffer): void => {
        clearTimeout(timer);
        if (!f.subarray(0, this.headerLength).equals(header)) reject(new Error(`header not echoed: ${f.subarray(0, this.headerLength).toString('latin1')}`));
        else resolve(f.subarray(this.headerLength));
      };
      const queued = this.queue.shift();
      if (queued) take(queued);
      else this.waiting = take;
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * H1 and H2 answer a context (len 4n + bytes) that the next H2/H3 sends back; the replayed device
 * makes up its own. Each recorded context is mapped to the live one and replaced in later requests.
 */
export class HashContexts {
  private readonly map: Array<[Buffer, Buffer]> = [];

  learn(request: Buffer, recorded: Buffer, live: Buffer): void {
    const cmd = request.subarray(0, 2).toString('latin1');
    if (!CONTEXT_COMMANDS.has(cmd)) return;
    const field = (answer: Buffer): Buffer | undefined => {
      if (answer.subarray(2, 4).toString('latin1') !== '00' || answer.length < 8) return undefined;
      const n = Number(answer.subarray(4, 8).toString('latin1'));
      return Number.isInteger(n) && answer.length >= 8 + n ? answer.subarray(4, 8 + n) : undefined;
    };
    const r = field(recorded);
    const l = field(live);
    if (r && l && !r.equals(l)) this.map.push([Buffer.from(r), Buffer.from(l)]);
  }

  apply(request: Buffer): Buffer {
    let out = request;
    for (const [from, to] of this.map) {
      const at = out.indexOf(from);
      if (at >= 0) out = Buffer.concat([out.subarray(0, at), to, out.subarray(at + from.length)]);
    }
    return out;
  }
}

function show(hexText: string): string {
  const s = Buffer.from(hexText, 'hex').toString('latin1');
  const printable = s.replace(/[^\x20-\x7e]/g, '.');
  return printable.length > 80 ? `${printable.slice(0, 80)}… (${s.length} bytes)` : printable;
}

/** Replays the whole transcript on one connection; returns every mismatch and the exchange count. */
export async function replay(t: Transcript, port: number): Promise<{ mismatches: Mismatch[]; exchanges: number }> {
  const wire = await Wire.open(port, t.headerLength);
  const state = new ReplayState();
  const contexts = new HashContexts();
  const mismatches: Mismatch[] = [];
  let exchanges = 0;
  try {
    const all = [{ call: '(setup)', exchanges: t.setup }, ...t.calls];
    for (const call of all) {
      for (let i = 0; i < call.exchanges.length; i++) {
        const x = call.exchanges[i];
        const rule = call.call === '(setup)' ? 'exact' : state.classify(x.request, x.response);
        const got = await wire.send(contexts.apply(Buffer.from(x.request, 'hex')));
        exchanges++;
        contexts.learn(Buffer.from(x.request, 'hex'), Buffer.from(x.response, 'hex'), got);
        const why = compare(rule, x.response, got);
        if (why) mismatches.push({ call: call.call, exchange: i, request: show(x.request), expected: show(x.response), got: show(got.toString('hex')), rule: `${rule}: ${why}` });
      }
    }
  } finally {
    wire.close();
  }
  return { mismatches, exchanges };
}
