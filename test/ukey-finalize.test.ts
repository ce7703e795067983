/**
 * C_Finalize on exit: a process that opens a PKCS#11 token and ends without closing it (normal
 * end, or an uncaught error) still finalizes the module cleanly, and the token stays usable.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { SoftHsmPool, softHsmAvailable } from '../drivers/ukey/softhsm-pool.ts';
import { FACTORY_USER_PIN } from '../drivers/ukey/token.ts';

const avail = softHsmAvailable();

test('a process that never closes its token exits cleanly (the exit hook runs C_Finalize)', async () => {
  test.skip(!avail.ok, avail.reason);
  const pool = await SoftHsmPool.create({ count: 1 });
  try {
    const { slotId } = pool.members[0];
    for (const ending of ['', "throw new Error('scenario failed');"]) {
      const script = `
        import { openPkcs11Token } from './drivers/ukey/pkcs11.ts';
        import { Pkcs11Module } from './drivers/ukey/pkcs11-module.ts';
        const t = openPkcs11Token(${JSON.stringify(pool.modulePath)}, ${slotId});
        await t.login(${JSON.stringify(FACTORY_USER_PIN)});
        // Registered after the driver's own exit hook, so it runs after it.
        process.on('exit', () => process.stdout.write(Pkcs11Module.isLoaded(${JSON.stringify(pool.modulePath)}) ? 'still loaded\\n' : 'finalized\\n'));
        ${ending}`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, SOFTHSM2_CONF: pool.conf },
        encoding: 'utf8',
      });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status).toBe(ending === '' ? 0 : 1);
      expect(r.stdout).toContain('finalized');
      if (ending !== '') expect(r.stderr).toContain('scenario failed');
    }
    // The token is intact for this process.
    const t = pool.open(1);
    await t.login(FACTORY_USER_PIN);
    expect(await t.readRole()).toBeUndefined();
  } finally {
    await pool.dispose();
  }
});
