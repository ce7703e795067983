/** Port blocks for runs side by side (test/support/free-port.ts; the station rehearsal's parts use them). */
import { test, expect } from '@playwright/test';
import { createServer, type Server } from 'node:net';
import { canListen, freePortBlock } from './support/free-port.ts';

// Clear of the station rehearsal's blocks (27000 up), which may be in use by a part running beside this test.
const FIRST = 26000;

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('parts get disjoint blocks of consecutive ports; a block with a port in use gives way to the next one of the same part', async () => {
  const a = await freePortBlock({ first: FIRST, size: 10, block: 0, parts: 3, count: 6 });
  const b = await freePortBlock({ first: FIRST, size: 10, block: 1, parts: 3, count: 6 });
  expect(a).toEqual([0, 1, 2, 3, 4, 5].map((i) => FIRST + i));
  expect(b).toEqual([0, 1, 2, 3, 4, 5].map((i) => FIRST + 10 + i));
  // Another run holds a port of part 1's block: part 1 moves 3 blocks on, part 0 keeps its own.
  const other = await listenOn(FIRST + 13);
  try {
    expect(await canListen(FIRST + 13)).toBe(false);
    expect(await freePortBlock({ first: FIRST, size: 10, block: 1, parts: 3, count: 6 })).toEqual([0, 1, 2, 3, 4, 5].map((i) => FIRST + 40 + i));
    expect(await freePortBlock({ first: FIRST, size: 10, block: 0, parts: 3, count: 6 })).toEqual(a);
    await expect(freePortBlock({ first: FIRST, size: 10, block: 1, parts: 3, count: 6, tries: 1 })).rejects.toThrow(/no block of 6 free ports from 26000 for part 1/);
  } finally {
    other.close();
  }
  await expect(freePortBlock({ first: FIRST, size: 4, block: 0, parts: 3, count: 6 })).rejects.toThrow(/do not fit a block of 4/);
});
