import { constantTimeEqual, randomBytes, wipe, xorBytes } from './bytes.ts';

export class DuplicateComponentError extends Error {
  constructor(readonly first: number, readonly second: number) {
    super(`component ${second + 1} is the same as component ${first + 1}: each component may be used only once`);
    this.name = 'DuplicateComponentError';
  }
}

/** Splits a key into n random components whose XOR is the key (n >= 2). */
export function splitXor(key: Uint8Array, n: number): Buffer[] {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`a key needs at least 2 components, got ${n}`);
  const parts: Buffer[] = [];
  let acc: Buffer = Buffer.from(key);
  for (let i = 0; i < n - 1; i++) {
    const r = randomBytes(key.length);
    parts.push(r);
    const next = xorBytes(acc, r);
    wipe(acc);
    acc = next;
  }
  parts.push(acc);
  return parts;
}

/** Index of an earlier component equal to `candidate`, or -1. Constant time per comparison. */
export function findDuplicate(existing: readonly Uint8Array[], candidate: Uint8Array): number {
  let found = -1;
  existing.forEach((c, i) => {
    if (found < 0 && constantTimeEqual(c, candidate)) found = i;
  });
  return found;
}

/** XOR of the components, in any order; a repeated component is an error, never a silent zero. */
export function combineXor(components: readonly Uint8Array[]): Buffer {
  if (components.length < 2) throw new RangeError(`a key needs at least 2 components, got ${components.length}`);
  const len = components[0].length;
  for (let i = 0; i < components.length; i++) {
    if (components[i].length !== len) throw new RangeError(`component ${i + 1} is ${components[i].length} bytes, component 1 is ${len}`);
    const dup = findDuplicate(components.slice(0, i), components[i]);
    if (dup >= 0) throw new DuplicateComponentError(dup, i);
  }
  let acc: Buffer = Buffer.alloc(len);
  for (const c of components) {
    const next = xorBytes(acc, c);
    wipe(acc);
    acc = next;
  }
  return acc;
}
