/**
 * Random bytes for new keys (A0, and every command that makes a key with newKey): drawn from
 * node:crypto's CSPRNG (randomFillSync, OpenSSL's DRBG) in blocks of POOL_BYTES instead of one
 * call per key. One call per 16-byte key cost about as much as the rest of A0's crypto together
 * (its fixed cost per call dwarfs 16 bytes of output); one call per 4 KiB costs a few hundredths
 * of a microsecond per key. The bytes are the same CSPRNG output either way.
 *
 * Every byte is handed out once: it is copied to the caller's buffer and zeroed in the pool at
 * once, so the pool holds only bytes no key has used yet (never a key that was made). A worker
 * thread has its own pool (module state is per thread).
 */
import { randomFillSync } from 'node:crypto';

export const POOL_BYTES = 4096;

const pool = Buffer.alloc(POOL_BYTES);
/** bytes of the pool already handed out (POOL_BYTES: the pool is empty) */
let used = POOL_BYTES;

/** n fresh random bytes (n ≤ POOL_BYTES), in a buffer of the caller's (it wipes it). */
export function keyRandom(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > POOL_BYTES) throw new RangeError(`keyRandom takes 0-${POOL_BYTES} bytes, not ${n}`);
  const out = Buffer.allocUnsafeSlow(n);
  let filled = 0;
  while (filled < n) {
    if (used === POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    const k = Math.min(n - filled, POOL_BYTES - used);
    pool.copy(out, filled, used, used + k);
    pool.fill(0, used, used + k);
    used += k;
    filled += k;
  }
  return out;
}
