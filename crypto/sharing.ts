/**
 * m-of-n secret sharing (Shamir, via shamir-secret-sharing) with each share wrapped in an
 * envelope so that a corrupted, foreign or repeated share fails loudly instead of yielding a
 * wrong key. Envelope layout (docs/crypto.md):
 *   "ESH1" | setId(8) | threshold(1) | count(1) | number(1) | secretCheck(8) | len(2) | share(len) | checksum(8)
 * secretCheck = HMAC-SM3(secret, "evsm-lab/share-check")[0..8]; checksum = SM3(all before it)[0..8].
 */
import { combine, split } from 'shamir-secret-sharing';
import { constantTimeEqual, randomBytes, wipe } from './bytes.ts';
import { hmacSm3, sm3 } from './sm3.ts';

const MAGIC = Buffer.from('ESH1', 'ascii');
const HEADER = 4 + 8 + 1 + 1 + 1 + 8 + 2;
const CHECKSUM = 8;

export class ShareError extends Error {
  constructor(readonly code: 'corrupted' | 'insufficient' | 'mixed' | 'repeated' | 'mismatch', message: string) {
    super(message);
    this.name = 'ShareError';
  }
}

export interface ShareInfo {
  setId: string;
  threshold: number;
  count: number;
  number: number;
}

function secretCheck(secret: Uint8Array): Buffer {
  return hmacSm3(secret, Buffer.from('evsm-lab/share-check')).subarray(0, 8);
}

export async function splitSecret(secret: Uint8Array, count: number, threshold: number): Promise<Buffer[]> {
  if (!(threshold >= 2 && count >= threshold && count <= 255)) throw new RangeError(`cannot split ${threshold}-of-${count}`);
  const raw = await split(new Uint8Array(secret), count, threshold);
  const setId = randomBytes(8);
  const check = secretCheck(secret);
  return raw.map((share, i) => {
    const body = Buffer.alloc(HEADER + share.length);
    MAGIC.copy(body, 0);
    setId.copy(body, 4);
    body[12] = threshold;
    body[13] = count;
    body[14] = i + 1;
    check.copy(body, 15);
    body.writeUInt16BE(share.length, 23);
    Buffer.from(share).copy(body, HEADER);
    wipe(share);
    return Buffer.concat([body, sm3(body).subarray(0, CHECKSUM)]);
  });
}

/** Reads an envelope's public header; throws ShareError('corrupted') if its checksum fails. */
export function inspectShare(envelope: Uint8Array, label = 'share'): ShareInfo {
  parse(envelope, label);
  const e = Buffer.from(envelope);
  return { setId: e.subarray(4, 12).toString('hex'), threshold: e[12], count: e[13], number: e[14] };
}

function parse(envelope: Uint8Array, label: string): { info: Buffer; check: Buffer; share: Buffer } {
  const e = Buffer.from(envelope);
  const corrupted = (): ShareError => new ShareError('corrupted', `${label} is corrupted or is not a key share (its checksum does not match)`);
  if (e.length < HEADER + CHECKSUM || !e.subarray(0, 4).equals(MAGIC)) throw corrupted();
  const len = e.readUInt16BE(23);
  if (e.length !== HEADER + len + CHECKSUM) throw corrupted();
  const body = e.subarray(0, HEADER + len);
  if (!constantTimeEqual(sm3(body).subarray(0, CHECKSUM), e.subarray(HEADER + len))) throw corrupted();
  return { info: e.subarray(4, 15), check: e.subarray(15, 23), share: e.subarray(HEADER, HEADER + len) };
}

/** Rebuilds the secret from at least `threshold` distinct envelopes of one split. */
export async function combineShares(envelopes: readonly Uint8Array[]): Promise<Buffer> {
  const parsed = envelopes.map((e, i) => parse(e, `share ${i + 1} given`));
  if (parsed.length === 0) throw new ShareError('insufficient', 'no shares given');
  const first = parsed[0].info;
  const threshold = first[8];
  const seen = new Set<number>();
  for (const p of parsed) {
    if (!p.info.subarray(0, 8).equals(first.subarray(0, 8)) || !constantTimeEqual(p.check, parsed[0].check)) {
      throw new ShareError('mixed', 'the shares come from different splits (different backups or keys)');
    }
    const number = p.info[10];
    if (seen.has(number)) throw new ShareError('repeated', `share ${number} was given twice: use distinct shares`);
    seen.add(number);
  }
  if (seen.size < threshold) {
    throw new ShareError('insufficient', `${seen.size} of ${threshold} required shares given: ${threshold} distinct shares of ${first[9]} are needed`);
  }
  const secret = Buffer.from(await combine(parsed.map((p) => new Uint8Array(p.share))));
  if (!constantTimeEqual(secretCheck(secret), parsed[0].check)) {
    wipe(secret);
    throw new ShareError('mismatch', 'the shares do not rebuild the original secret (a share was altered)');
  }
  return secret;
}
