/**
 * Warm spares (harness/targets/spares.ts): a test takes a device started before it asked, never
 * one that served another test; a spare that failed is replaced by a fresh start; closing stops
 * every spare, including one still starting.
 */
import { test, expect } from '@playwright/test';
import { Spares } from '../harness/targets/spares.ts';

interface Fake {
  id: number;
  name: string;
}

/** `failing`: which start calls (1 = the first) fail. */
function harness(failing: number[] = []) {
  const started: Fake[] = [];
  const stopped: number[] = [];
  let n = 0;
  let calls = 0;
  const spares = new Spares<Fake>(
    async (name) => {
      await new Promise((r) => setTimeout(r, 5));
      if (failing.includes(++calls)) throw new Error('start failed');
      const d = { id: ++n, name };
      started.push(d);
      return d;
    },
    async (d) => {
      stopped.push(d.id);
    },
  );
  return { spares, started, stopped };
}

test('each take hands out a device no one had, and starts the next spare for that name', async () => {
  const { spares, started, stopped } = harness();
  const a1 = await spares.take('A');
  expect(a1).toEqual({ id: 1, name: 'A' });
  await new Promise((r) => setTimeout(r, 20));
  expect(started.map((d) => d.id)).toEqual([1, 2]); // the spare began while "the test" ran
  const a2 = await spares.take('A');
  expect(a2.id).toBe(2);
  const b1 = await spares.take('B');
  expect(b1.name).toBe('B');
  const taken = [a1, a2, b1].map((d) => d.id);
  expect(new Set(taken).size).toBe(3);
  await spares.close();
  // the spares of A and B (started, never taken) are stopped; taken devices are the caller's
  expect(stopped.sort()).toEqual(started.map((d) => d.id).filter((id) => !taken.includes(id)).sort());
  expect(stopped).toHaveLength(2);
});

test('a spare that failed to start is replaced by a fresh start; a first start that fails is the caller\'s error', async () => {
  const first = harness([1]);
  await expect(first.spares.take('A')).rejects.toThrow('start failed');
  await first.spares.close();
  // call 1 gives the device, call 2 (the spare) fails: the next take starts afresh (call 3)
  const { spares, started, stopped } = harness([2]);
  expect((await spares.take('A')).id).toBe(1);
  await new Promise((r) => setTimeout(r, 20));
  expect((await spares.take('A')).id).toBe(2);
  expect(started.map((d) => d.id)).toEqual([1, 2]); // the spare from call 4 is still starting
  await spares.close();
  expect(stopped).toEqual([3]); // close waited for it and stopped it
});

test('close waits for a spare still starting and stops it', async () => {
  const { spares, stopped, started } = harness();
  await spares.take('C');
  await spares.close(); // the spare for C is mid-start here
  expect(started.map((d) => d.id)).toEqual([1, 2]);
  expect(stopped).toEqual([2]);
});
