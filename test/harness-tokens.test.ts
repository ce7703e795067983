import { test, expect } from '@playwright/test';
import { benchStore, virtualStore } from '../harness/tokens/pool-source.ts';

test('virtual store: blank tokens per test, role lookups, reset gives blank tokens again', async () => {
  const store = virtualStore(4);
  try {
    const src = await store.source();
    const t1 = await src.acquire({ instruction: 'insert a blank UKEY', blank: true });
    expect(t1.loggedIn).toBe(true);
    await t1.writeRole({ role: 'kbk-share', deviceId: 'DEV', number: 2, total: 3, backupId: 'X' });
    const t2 = await src.acquire({ instruction: 'insert another blank UKEY', blank: true });
    expect(t2.identity.serial).not.toBe(t1.identity.serial);
    await t1.logout();
    await src.loginToken(t1);
    expect(t1.loggedIn).toBe(true);
    await store.reset();
    await src.close();
    const next = await store.source();
    const again = await next.acquire({ instruction: 'insert a blank UKEY', blank: true });
    expect(await again.readRole()).toBeUndefined();
    await next.close();
  } finally {
    await store.close();
  }
});

test('bench store on a machine without a USB bus: one line, then it polls PKCS#11 slots', async () => {
  const lines: string[] = [];
  const store = await benchStore('/usr/lib/softhsm/libsofthsm2.so', 1000, [{ vid: 0x096e, pid: 0x0703, name: 'test model' }], (l) => lines.push(l));
  await store.close();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hardware: (USB watcher on 1 token model|no USB events \(.+\); polling PKCS#11 slots instead$)/);
});
