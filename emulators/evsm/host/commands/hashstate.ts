/**
 * Hashes whose running state travels in the H1/H2/H3 context, so that any device can take the
 * next step: the SDK sends the H1, H2 and H3 of one generateHASH call round robin to its hosts,
 * and re-sends a timed-out H2 (to the same or another host). A context holds the whole state, so
 * every step is a pure function of its request: a re-sent H2 gets the same answer anywhere.
 * SHA-1, SHA-2 and MD5 are @noble/hashes' Merkle-Damgård classes; SM3 is the same base class with
 * the GB/T 32905-2016 compression function (tests compare it with OpenSSL's SM3 on random
 * data in random chunks). Context (ours, opaque to the SDK): `EVHC` + alg 2n + length 8B +
 * pos 1B + state words 4B each + the pos buffered bytes.
 */
import { HashMD } from '@noble/hashes/_md';
import { md5, sha1 } from '@noble/hashes/legacy';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2';
import { HostError } from '../../errors.ts';

/** What the contexts need of a noble Merkle-Damgård hash (get/set are its state accessors). */
interface Md {
  update(data: Uint8Array): Md;
  digest(): Uint8Array;
  get(): number[];
  set(...words: number[]): void;
  buffer: Uint8Array;
  pos: number;
  length: number;
  blockLen: number;
}

const rotl = (x: number, n: number): number => ((x << (n & 31)) | (x >>> (32 - (n & 31)))) >>> 0;
const P0 = (x: number): number => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0;
const P1 = (x: number): number => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0;
const SM3_IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
const W = new Uint32Array(68);

/** SM3 (GB/T 32905-2016 5.3: message expansion and compression) on noble's Merkle-Damgård base. */
class Sm3 extends HashMD<Sm3> {
  private v = Uint32Array.from(SM3_IV);
  constructor() {
    super(64, 32, 8, false);
  }
  protected get(): number[] {
    return Array.from(this.v);
  }
  protected set(...words: number[]): void {
    this.v = Uint32Array.from(words.map((w) => w >>> 0));
  }
  protected process(view: DataView, offset: number): void {
    for (let i = 0; i < 16; i++, offset += 4) W[i] = view.getUint32(offset, false);
    for (let j = 16; j < 68; j++) W[j] = P1(W[j - 16] ^ W[j - 9] ^ rotl(W[j - 3], 15)) ^ rotl(W[j - 13], 7) ^ W[j - 6];
    let [A, B, C, D, E, F, G, H] = this.v;
    for (let j = 0; j < 64; j++) {
      const T = j < 16 ? 0x79cc4519 : 0x7a879d8a;
      const a12 = rotl(A, 12);
      const SS1 = rotl((a12 + E + rotl(T, j % 32)) >>> 0, 7);
      const SS2 = (SS1 ^ a12) >>> 0;
      const FF = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
      const GG = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
      const TT1 = (FF + D + SS2 + ((W[j] ^ W[j + 4]) >>> 0)) >>> 0;
      const TT2 = (GG + H + SS1 + W[j]) >>> 0;
      D = C;
      C = rotl(B, 9);
      B = A;
      A = TT1;
      H = G;
      G = rotl(F, 19);
      F = E;
      E = P0(TT2);
    }
    const v = this.v;
    this.v = Uint32Array.from([A ^ v[0], B ^ v[1], C ^ v[2], D ^ v[3], E ^ v[4], F ^ v[5], G ^ v[6], H ^ v[7]].map((w) => w >>> 0));
  }
  protected roundClean(): void {
    W.fill(0);
  }
  destroy(): void {
    this.v.fill(0);
    this.buffer.fill(0);
  }
}

const CREATE: Readonly<Record<string, () => Md>> = {
  '01': () => sha1.create() as unknown as Md,
  '02': () => md5.create() as unknown as Md,
  '05': () => sha224.create() as unknown as Md,
  '06': () => sha256.create() as unknown as Md,
  '07': () => sha384.create() as unknown as Md,
  '08': () => sha512.create() as unknown as Md,
  '20': () => new Sm3() as unknown as Md,
};

export interface HashContext {
  alg: string;
  md: Md;
}

/** A running hash of a supported algorithm (the caller checked `alg`). */
export function newContext(alg: string): HashContext {
  return { alg, md: CREATE[alg]() };
}

const MAGIC = Buffer.from('EVHC', 'latin1');

export function saveContext(c: HashContext): Buffer {
  const words = c.md.get();
  const out = Buffer.alloc(6 + 8 + 1 + 4 * words.length + c.md.pos);
  MAGIC.copy(out, 0);
  out.write(c.alg, 4, 'latin1');
  out.writeBigUInt64BE(BigInt(c.md.length), 6);
  out[14] = c.md.pos;
  words.forEach((w, i) => out.writeUInt32BE(w >>> 0, 15 + 4 * i));
  Buffer.from(c.md.buffer.subarray(0, c.md.pos)).copy(out, 15 + 4 * words.length);
  return out;
}

/** A context from an H1/H2 answer → the running hash; anything else → 15. */
export function loadContext(b: Buffer): HashContext {
  const bad = (): HostError => new HostError('15', 'not a hash context (the context of an H1 or H2 answer)');
  if (b.length < 15 || !b.subarray(0, 4).equals(MAGIC)) throw bad();
  const alg = b.subarray(4, 6).toString('latin1');
  if (!Object.prototype.hasOwnProperty.call(CREATE, alg)) throw bad();
  const md = CREATE[alg]();
  const nWords = md.get().length;
  const pos = b[14];
  const length = Number(b.readBigUInt64BE(6));
  if (b.length !== 15 + 4 * nWords + pos || pos >= md.blockLen || length % md.blockLen !== pos || length > 2 ** 50) throw bad();
  md.set(...Array.from({ length: nWords }, (_, i) => b.readUInt32BE(15 + 4 * i) | 0));
  md.buffer.set(b.subarray(15 + 4 * nWords));
  md.pos = pos;
  md.length = length;
  return { alg, md };
}
