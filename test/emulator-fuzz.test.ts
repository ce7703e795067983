/**
 * Fuzzing both ports of the emulator program (issue 13 part 5), seeded and bounded:
 *  - host port: random frames, and mutations of valid requests of every command the emulator
 *    speaks, pipelined and cut into random chunks. 0 crashes, 0 hangs, one well-framed answer per
 *    frame, in order, with the request's header, a response code of command + 1 and an error code
 *    from the SDK's table (no fields after an error);
 *  - management port: random and mutated JSON requests of every operation: exactly one final
 *    answer per request, in request order, with the request's id.
 * Change SEED to explore; a failure prints the seed and the frame that broke it.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMPLEMENTED_COMMANDS } from '../emulators/evsm/host/dispatch.ts';
import { bundledEmulator, killAllEmulators, launchEmulator, seeded, storeKeyRequest, type EmulatorChild } from './support/emulator-process.ts';

const SEED = Number(process.env.EVSM_FUZZ_SEED ?? 20261201);
const H = 4;
/** Error codes the vendor SDK knows (protocol decision 2). */
const SDK_CODES = new Set(
  [[0, 10], [12, 43], [45, 45], [49, 49], [51, 58], [65, 65], [67, 70], [74, 87], [90, 94], [96, 99]].flatMap(([a, b]) =>
    Array.from({ length: b - a + 1 }, (_, i) => String(a + i).padStart(2, '0')),
  ),
);

let dir: string;
let emu: EmulatorChild;

test.describe.configure({ mode: 'serial', timeout: 30_000 });

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evsm-fuzz-'));
  const comps = join(dir, 'components.txt');
  writeFileSync(comps, '# fuzz device\n0123456789ABCDEFFEDCBA9876543210\n00112233445566778899AABBCCDDEEFF\n', { mode: 0o600 });
  emu = await launchEmulator(['--port', '0', '--data', join(dir, 'dev'), '--header-length', String(H), '--dmk-components-file', comps], { program: await bundledEmulator() });
});

test.afterAll(() => {
  killAllEmulators();
  rmSync(dir, { recursive: true, force: true });
});

function frameOf(body: Buffer): Buffer {
  const f = Buffer.alloc(2 + body.length);
  f.writeUInt16BE(body.length, 0);
  body.copy(f, 2);
  return f;
}

/** Reads length-prefixed answers off a socket, in order. */
class Answers {
  private buf = Buffer.alloc(0);
  readonly got: Buffer[] = [];
  private wake: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket, prefix: 2 | 4) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        if (this.buf.length < prefix) break;
        const n = prefix === 2 ? this.buf.readUInt16BE(0) : this.buf.readUInt32BE(0);
        if (this.buf.length < prefix + n) break;
        this.got.push(Buffer.from(this.buf.subarray(prefix, prefix + n)));
        this.buf = this.buf.subarray(prefix + n);
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Resolves when `count` answers are in; rejects after `ms` (a hang) or on close. */
  async waitFor(count: number, ms: number, what: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.got.length < count) {
      if (this.closed) throw new Error(`connection closed after ${this.got.length}/${count} answers; ${what()}`);
      if (Date.now() > deadline) throw new Error(`hang: ${this.got.length}/${count} answers after ${ms} ms; ${what()}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }
}

async function open(port: number, prefix: 2 | 4): Promise<Answers> {
  const s = connect(port, '127.0.0.1');
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  s.setNoDelay(true);
  return new Answers(s, prefix);
}

/** Writes `bytes` cut into random chunks, some right after another, some after a pause. */
async function writeSplit(s: Socket, bytes: Buffer, rnd: ReturnType<typeof seeded>): Promise<void> {
  for (let off = 0; off < bytes.length; ) {
    const n = 1 + rnd.int(rnd.next() < 0.3 ? 8 : 4096);
    s.write(bytes.subarray(off, off + n));
    off += n;
    if (rnd.next() < 0.05) await new Promise((r) => setTimeout(r, 1));
  }
}

// ---------------------------------------------------------------- host port

/** Valid requests (after the header) of the SJJ1310 commands and of the kept payShield/extension ones. */
function hostSamples(): string[] {
  const zmk = 'K0001';
  return [
    'NC', 'CR0016', 'CR0001', 'CR4096', 'B20003abc', 'N0008', 'N0256', 'NO', 'NO00',
    storeKeyRequest(7, 'fz'), 'A0000AXK000104test', 'A00000X', 'A00008PK000203zak', `A01000X${zmk}X`,
    'KG0001', 'KG0002', 'KG2048', 'KF01K0007',
    'A6001K0001X00112233445566778899AABBCCDDEEFFXK000703imp', 'A8001K0001K0002X',
    'S30000AK00010000010008000000Af', 'S30100AK000200000100030abc1111111111111111',
    'S40000AK00010000010008\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008',
    'D30000AK0001000001000A00112233445566778899',
    'S00108008K000300000400081122334455667788' + '1122334455667788', 'D00108008K0003000004000811223344556677881122334455667788',
    'D10108008K0003000004000A1122334455667788990000000000000000001234567812345678',
    'CCK0004K0005120123456789ABCDEF0101123456789012', 'BA123456F123456789012', 'JEK00040123456789ABCDEF01123456789012',
    'JGK00040112345678901201234567', 'JA12345678901206', 'TI1K00041K0005120123456789ABCDEF0112345678901201123456789012',
    'CWK00064123456789012345;8701101', 'CYK00061234123456789012345;8701101',
    'E707K000903sm2', 'E707', 'E2K0009', 'E3070008000000Af;K00090', 'E520070000;0008000000Af;K00091',
    'H12000000000', 'H106', 'H20000000300abc', 'H3', '3C200003abc;00000000', '3C010003abc;', '3C020003abc;',
    'X4', 'X40001', 'X8', 'XK00APB0123456789ABCDEFFEDCBA98765432100112233445566778899AABBCCDDEEFF',
    'X2', 'X00001008P1', 'BU00AP' + '0'.repeat(32), 'M6', 'M8', 'M0', 'M2',
  ];
}

function mutate(s: Buffer, rnd: ReturnType<typeof seeded>): Buffer {
  const b = Buffer.from(s);
  switch (rnd.int(7)) {
    case 0: // flip a byte
      if (b.length) b[rnd.int(b.length)] ^= 1 << rnd.int(8);
      return b;
    case 1: // truncate
      return b.subarray(0, rnd.int(b.length + 1));
    case 2: // append random bytes
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + rnd.int(40) }, () => rnd.int(256)))]);
    case 3: // replace a character with a digit, letter or separator
      if (b.length) b[rnd.int(b.length)] = rnd.pick([0x30, 0x39, 0x41, 0x46, 0x4b, 0x3b, 0x20, 0x00, 0xff, 0x5a]);
      return b;
    case 4: // duplicate a slice
      {
        const i = rnd.int(b.length + 1);
        const j = Math.min(b.length, i + rnd.int(16));
        return Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)]);
      }
    case 5: // a digit field made huge
      return Buffer.from(b.toString('latin1').replace(/\d{4}/, '9999'), 'latin1');
    default: // delete a slice
      {
        const i = rnd.int(b.length + 1);
        return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + rnd.int(8)))]);
      }
  }
}

function randomBody(rnd: ReturnType<typeof seeded>): Buffer {
  const r = rnd.next();
  // Mostly a known command with random fields; sometimes 0-3 bytes; rarely over the size limit.
  if (r < 0.05) return Buffer.from(Array.from({ length: rnd.int(H + 3) }, () => rnd.int(256)));
  if (r < 0.07) return Buffer.alloc(32769 + rnd.int(2000), 0x41);
  const cmd = rnd.next() < 0.85 ? rnd.pick(IMPLEMENTED_COMMANDS) : String.fromCharCode(rnd.int(256), rnd.int(256));
  const alphabet = rnd.pick(['0123456789', '0123456789ABCDEF', 'KXPUTZRMN0123456789;', null]);
  const len = rnd.int(rnd.next() < 0.1 ? 3000 : 80);
  const fields = alphabet ? Buffer.from(Array.from({ length: len }, () => alphabet.charCodeAt(rnd.int(alphabet.length)))) : Buffer.from(Array.from({ length: len }, () => rnd.int(256)));
  return Buffer.concat([Buffer.from(cmd, 'latin1'), fields]);
}

/** Checks one answer against its request; returns a message when it is wrong. */
function checkAnswer(req: Buffer, ans: Buffer): string | undefined {
  const header = Buffer.alloc(H, 0x20);
  req.copy(header, 0, 0, Math.min(H, req.length));
  if (!ans.subarray(0, H).equals(header)) return `header ${JSON.stringify(ans.subarray(0, H).toString('latin1'))} is not the request's`;
  if (ans.length < H + 4) return `answer of ${ans.length} bytes is shorter than header + code + error`;
  const code = ans.subarray(H, H + 2).toString('latin1');
  const err = ans.subarray(H + 2, H + 4).toString('latin1');
  if (!SDK_CODES.has(err)) return `error code ${JSON.stringify(err)} is not in the SDK's table`;
  if (req.length >= H + 2) {
    const cmd = req.subarray(H, H + 2);
    const expectCode = String.fromCharCode(cmd[0], (cmd[1] + 1) & 0xff);
    if (req.length <= 32768 && code !== expectCode) return `response code ${JSON.stringify(code)} for command ${JSON.stringify(cmd.toString('latin1'))}`;
  }
  if (err !== '00' && ans.length !== H + 4) return `error ${err} answer carries ${ans.length - H - 4} bytes of fields`;
  return undefined;
}

test('host port: 0 crashes, 0 hangs, one well-framed answer per frame with its header', async () => {
  const rnd = seeded(SEED);
  // Keys the samples refer to: ZMK 1, ZEK 2, ZAK 3, ZPK 4 and 5, CVK 6 (when the protocol has them).
  const setup = await open(emu.ready.port, 2);
  const seeds = [[1, '000', 'X'], [2, '00A', 'X'], [3, '008', 'X'], [4, '001', 'X'], [5, '001', 'P'], [6, '402', 'X']] as const;
  for (const [i, type, flag] of seeds) setup.socket.write(frameOf(Buffer.from(`SEED${storeKeyRequest(i, 'seed', type, flag)}`, 'latin1')));
  setup.socket.write(frameOf(Buffer.from('SEEDE707K000903sm2', 'latin1')));
  await setup.waitFor(seeds.length + 1, 5000, () => 'seeding keys');
  setup.socket.destroy();

  const samples = hostSamples().map((s) => Buffer.from(s, 'latin1'));
  let frames = 0;
  const t0 = Date.now();
  const conns = await Promise.all(Array.from({ length: 4 }, () => open(emu.ready.port, 2)));
  const sentOn = conns.map(() => [] as Buffer[]);
  for (let batch = 0; Date.now() - t0 < 12_000 && batch < 500; batch++) {
    const c = batch % conns.length;
    const reqs: Buffer[] = [];
    for (let k = 0; k < 40; k++) {
      const header = Buffer.from(String(rnd.int(10 ** H)).padStart(H, '0'), 'latin1');
      const body = rnd.next() < 0.6 ? mutate(rnd.pick(samples), rnd) : rnd.next() < 0.5 ? rnd.pick(samples) : randomBody(rnd);
      reqs.push(body.length > 65535 - H ? body.subarray(0, 65535) : Buffer.concat([header, body]).subarray(0, 65535));
    }
    sentOn[c].push(...reqs);
    await writeSplit(conns[c].socket, Buffer.concat(reqs.map(frameOf)), rnd);
    frames += reqs.length;
    if (batch % conns.length === conns.length - 1) {
      for (let j = 0; j < conns.length; j++) {
        await conns[j].waitFor(sentOn[j].length, 10_000, () => `seed ${SEED}, connection ${j}`);
      }
    }
  }
  for (let j = 0; j < conns.length; j++) await conns[j].waitFor(sentOn[j].length, 10_000, () => `seed ${SEED}, connection ${j}`);
  const problems: string[] = [];
  conns.forEach((c, j) => {
    expect(c.got.length).toBe(sentOn[j].length);
    sentOn[j].forEach((req, i) => {
      const why = checkAnswer(req, c.got[i]);
      if (why && problems.length < 5) problems.push(`${why}; request ${JSON.stringify(req.subarray(0, 80).toString('latin1'))} → ${JSON.stringify(c.got[i].subarray(0, 60).toString('latin1'))}`);
    });
  });
  test.info().annotations.push({ type: 'host fuzz', description: `seed ${SEED}: ${frames} frames in ${Date.now() - t0} ms on ${conns.length} connections` });
  expect(problems, `seed ${SEED}`).toEqual([]);
  for (const c of conns) c.socket.destroy();
  // Still alive, and nothing crashed on the way.
  expect(emu.child.exitCode).toBeNull();
  expect(emu.stderr()).not.toMatch(/TypeError|RangeError|ReferenceError|at .*\.ts:\d+/);
});

test('host port: a raw garbage stream never crashes or stalls the device', async () => {
  const rnd = seeded(SEED + 1);
  const c = await open(emu.ready.port, 2);
  const garbage = Buffer.from(Array.from({ length: 400_000 }, () => rnd.int(256)));
  await writeSplit(c.socket, garbage, rnd);
  // Whatever the stream decoded to, a valid frame after it is answered (the stream may be waiting
  // inside a long frame: close it and ask on a new connection).
  c.socket.destroy();
  const d = await open(emu.ready.port, 2);
  d.socket.write(frameOf(Buffer.from('0000NC', 'latin1')));
  await d.waitFor(1, 5000, () => 'NC after garbage');
  expect(d.got[0].subarray(0, 8).toString('latin1')).toBe('0000ND00');
  d.socket.destroy();
  expect(emu.child.exitCode).toBeNull();
});

// ---------------------------------------------------------------- management port

const OP_NAMES = [
  'getInfo', 'getChallenge', 'getDmkKcv', 'getAuthInfo', 'originalInit', 'recoveryBegin', 'importComponent', 'combine',
  'syncAuth', 'newAuth', 'exportDmkComponents', 'backupExport', 'restoreImport',
];

function randomValue(rnd: ReturnType<typeof seeded>, depth = 0): unknown {
  switch (rnd.int(depth > 2 ? 5 : 8)) {
    case 0: return rnd.int(20) - 5;
    case 1: return rnd.pick(['', '04', 'ZZ', '00'.repeat(65), 'ab'.repeat(rnd.int(200)), 'x\ny']);
    case 2: return rnd.next() < 0.5;
    case 3: return null;
    case 4: return rnd.next() * 1e12;
    case 5: return Array.from({ length: rnd.int(4) }, () => randomValue(rnd, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rnd.int(4) }, () => [rnd.pick(['components', 'threshold', 'authPublicKeys', 'recipientPublicKey', 'recipientPublicKeys', 'encrypted', 'authInfo', 'publicKey', 'shares', 'backup', 'indices', 'authorization', 'confirmWipe', 'challenge', 'signatures']), randomValue(rnd, depth + 1)]));
  }
}

/** The id the device must answer a frame with: its id when it parses as a request, else null. */
function expectedId(text: string): string | number | null {
  try {
    const v = JSON.parse(text) as { id?: unknown; op?: unknown };
    return typeof v?.id === 'string' || typeof v?.id === 'number' ? v.id : null;
  } catch {
    return null;
  }
}

test('management port: one final answer per request, in order, with its id', async () => {
  const rnd = seeded(SEED + 2);
  const c = await open(emu.ready.mgmtPort, 4);
  const texts: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const op = rnd.next() < 0.9 ? rnd.pick(OP_NAMES) : rnd.pick(['', 'x\n2026-01-01 forged', 'constructor', '__proto__', 'toString', 'a'.repeat(300)]);
    const req: Record<string, unknown> = { id: rnd.next() < 0.9 ? i + 1 : rnd.pick([`s${i}`, null, {}, [i]]), op, params: rnd.next() < 0.9 ? randomValue(rnd) : rnd.pick([null, 5, 'p']) };
    if (rnd.next() < 0.1) delete req.op;
    let text = JSON.stringify(req);
    if (rnd.next() < 0.3) text = mutate(Buffer.from(text, 'utf8'), rnd).toString('utf8');
    texts.push(text);
  }
  const frames = texts.map((t) => {
    const b = Buffer.from(t, 'utf8');
    const h = Buffer.alloc(4);
    h.writeUInt32BE(b.length, 0);
    return Buffer.concat([h, b]);
  });
  const t0 = Date.now();
  await writeSplit(c.socket, Buffer.concat(frames), rnd);
  // Progress events are not answers: count final ones (they carry "ok").
  const finals = (): Array<{ id: unknown; ok: boolean }> => c.got.map((g) => JSON.parse(g.toString('utf8')) as { id: unknown; ok?: boolean; event?: string }).filter((r) => r.event === undefined) as Array<{ id: unknown; ok: boolean }>;
  const deadline = Date.now() + 20_000;
  while (finals().length < texts.length && Date.now() < deadline && !c.closed) await new Promise((r) => setTimeout(r, 50));
  const got = finals();
  test.info().annotations.push({ type: 'management fuzz', description: `seed ${SEED + 2}: ${texts.length} requests answered in ${Date.now() - t0} ms` });
  expect(got.length, `seed ${SEED + 2}: final answers`).toBe(texts.length);
  expect(got.map((r) => r.id)).toEqual(texts.map(expectedId));
  // Nothing a client sent forged a line of the device log.
  expect(emu.stderr().split('\n').some((l) => l.startsWith('2026-01-01 forged'))).toBe(false);
  c.socket.destroy();
  expect(emu.child.exitCode).toBeNull();
});
