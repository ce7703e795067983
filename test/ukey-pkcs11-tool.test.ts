/**
 * Interoperability with OpenSC's pkcs11-tool, both ways: a token written by the harness is
 * listed correctly, and a token prepared with pkcs11-tool as docs/ukey-layout.md says is read by
 * the harness. Skipped with a one-line reason when SoftHSM2 or pkcs11-tool is missing.
 */
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes, splitSecret } from '../crypto/index.ts';
import { SoftHsmPool, softHsmAvailable } from '../drivers/ukey/softhsm-pool.ts';
import { FACTORY_USER_PIN } from '../drivers/ukey/token.ts';

const run = promisify(execFile);
const softhsm = softHsmAvailable();
const hasTool = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'pkcs11-tool')));

test.describe('UKEY layout and pkcs11-tool', () => {
  test.skip(!softhsm.ok, softhsm.reason);
  test.skip(!hasTool, 'pkcs11-tool is not installed (apt-get install opensc)');

  let pool: SoftHsmPool;
  test.beforeEach(async () => {
    pool = await SoftHsmPool.create({ count: 1 });
  });
  test.afterEach(async () => {
    await pool?.dispose();
  });

  async function tool(...args: string[]): Promise<string> {
    const { stdout } = await run('pkcs11-tool', ['--module', pool.modulePath, '--token-label', 'evsm-ukey-1', ...args], {
      env: { ...process.env, SOFTHSM2_CONF: pool.conf },
    });
    return stdout;
  }

  /** pkcs11-tool's listing, split into one block per object. */
  function objects(listing: string): string[] {
    return listing.split(/\n(?=\S)/).filter((b) => b.trim() !== '');
  }

  test('a token written by the harness is listed correctly by pkcs11-tool --list-objects', async () => {
    const t = pool.open(1);
    await t.login(FACTORY_USER_PIN);
    await t.writeRole({ role: 'auth', deviceId: 'EVSM-A', number: 1, total: 3 });
    await t.generateAuthKey();
    await t.writeAuthInfo(Buffer.from('auth-info'));
    await t.writeDmkComponent(randomBytes(16));
    await t.writeKbkShare((await splitSecret(randomBytes(16), 3, 2))[0]);
    await t.writeBackup(randomBytes(4096));
    await t.close();

    const all = objects(await tool('--login', '--pin', FACTORY_USER_PIN, '--list-objects'));
    const find = (re: RegExp): string => {
      const hit = all.find((b) => re.test(b));
      expect(hit, `pkcs11-tool listing has ${re}`).toBeDefined();
      return hit!;
    };
    for (const label of ['evsm.role', 'evsm.auth-info', 'evsm.dmk-component', 'evsm.kbk-share', 'evsm.backup']) {
      const b = find(new RegExp(`^Data object[\\s\\S]*label:\\s+'${label.replace('.', '\\.')}'`));
      expect(b).toMatch(/application:\s+'evsm-lab'/);
      if (label === 'evsm.role') expect(b).not.toMatch(/flags:.*private/);
      else expect(b).toMatch(/flags:.*private/);
    }
    const priv = find(/^Private Key Object; EC[\s\S]*label:\s+evsm\.auth/);
    expect(priv).toMatch(/ID:\s+01/);
    expect(priv).toMatch(/Usage:\s+sign\b/);
    const pub = find(/^Public Key Object; EC[\s\S]*label:\s+evsm\.auth/);
    expect(pub).toMatch(/EC_PARAMS:\s+06082a811ccf5501822d/);

    // Without a login only the public objects show: the role record, the public key, the PIN counter.
    const publicOnly = objects(await tool('--list-objects'));
    const labels = publicOnly.map((b) => /label:\s+'?([\w.-]+)/.exec(b)?.[1]).sort();
    expect(labels).toEqual(['evsm.auth', 'evsm.pin-state', 'evsm.role']);

    // The role record reads back as its documented bytes.
    const role = await tool('--read-object', '--type', 'data', '--label', 'evsm.role');
    expect(JSON.parse(role)).toEqual({ format: 'evsm-lab/ukey-role@1', role: 'auth', deviceId: 'EVSM-A', number: 1, total: 3 });
  });

  test('a token prepared with pkcs11-tool per docs/ukey-layout.md is read by the harness', async () => {
    const dir = pool.dir;
    const component = randomBytes(16);
    const share = (await splitSecret(randomBytes(16), 3, 2))[2];
    // pkcs11-tool (OpenSC 0.2x) silently truncates --write-object input at 5000 bytes: larger
    // backups are written by the harness (docs/ukey-layout.md).
    const backup = randomBytes(4_000);
    await writeFile(join(dir, 'role.json'), '{"format":"evsm-lab/ukey-role@1","role":"kbk-share","deviceId":"EVSM-A","number":3,"total":3,"backupId":"B1"}\n');
    await writeFile(join(dir, 'component.bin'), component);
    await writeFile(join(dir, 'share.bin'), share);
    await writeFile(join(dir, 'backup.bin'), backup);
    const login = ['--login', '--pin', FACTORY_USER_PIN];
    await tool(...login, '--write-object', join(dir, 'role.json'), '--type', 'data', '--label', 'evsm.role', '--application-label', 'evsm-lab');
    await tool(...login, '--write-object', join(dir, 'component.bin'), '--type', 'data', '--label', 'evsm.dmk-component', '--application-label', 'evsm-lab', '--private');
    await tool(...login, '--write-object', join(dir, 'share.bin'), '--type', 'data', '--label', 'evsm.kbk-share', '--application-label', 'evsm-lab', '--private');
    await tool(...login, '--write-object', join(dir, 'backup.bin'), '--type', 'data', '--label', 'evsm.backup', '--application-label', 'evsm-lab', '--private');

    const t = pool.open(1);
    expect(await t.expectRole({ role: 'kbk-share', backupId: 'B1' })).toMatchObject({ number: 3, total: 3 });
    await expect(t.expectRole({ role: 'dmk-component' })).rejects.toThrow('this is KBK share 3 of 3 of backup B1 (device EVSM-A), not a DMK component');
    await t.login(FACTORY_USER_PIN);
    expect((await t.readDmkComponent()).equals(component)).toBe(true);
    expect((await t.readKbkShare()).equals(share)).toBe(true);
    expect((await t.readBackup()).equals(backup)).toBe(true);
    await t.close();
  });
});
