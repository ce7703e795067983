/**
 * The key store's list update (device/view.ts withEntry, device/device.ts byIndex) gives exactly
 * what the whole-list filter and sort gave before: on sorted lists (the state's), on unsorted ones
 * and on lists with an index twice (a state file edited by hand), for replacements and inserts.
 */
import { test, expect } from '@playwright/test';
import { byIndex, withEntry } from '../emulators/evsm/device/view.ts';
import { seeded } from './support/emulator-process.ts';

type K = { index: number; tag: string };
const before = (list: K[], e: K): K[] => [...list.filter((k) => k.index !== e.index), e].sort((a, b) => a.index - b.index);

test('withEntry + byIndex = filter + sort, on 3,000 seeded lists of every shape', () => {
  const rnd = seeded(4242);
  const problems: string[] = [];
  for (let round = 0; round < 3000; round++) {
    const n = rnd.int(40);
    const shape = round % 3; // 0 sorted, 1 shuffled, 2 with repeats
    let list: K[] = Array.from({ length: n }, (_, i) => ({ index: shape === 2 ? 1 + rnd.int(20) : 1 + i * 2 + rnd.int(2), tag: `old${i}` }));
    if (shape === 0) list = byIndex(list).filter((k, i, a) => i === 0 || a[i - 1].index !== k.index);
    if (shape === 1) list.sort(() => rnd.int(3) - 1);
    const e = { index: 1 + rnd.int(90), tag: 'new' };
    const copy = JSON.stringify(list);
    const got = JSON.stringify(byIndex(withEntry(list, e)));
    if (got !== JSON.stringify(before(list, e))) problems.push(`round ${round}: ${copy} + ${JSON.stringify(e)} → ${got}`);
    // The input is never changed (the state's arrays are shared with readers).
    if (JSON.stringify(list) !== copy) problems.push(`round ${round}: the input list was changed`);
  }
  expect(problems.slice(0, 3)).toEqual([]);
});
