/**
 * `evsm-lab ukey blank` (docs/cli.md): the blanks a person rehearsing by hand "inserts" into the
 * slot folder. They must be real virtual UKEYs the token layer opens (factory PIN, no role
 * record), PINs must never be printed, and a bad command line must make nothing.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../harness/cli/main.ts';
import { FACTORY_USER_PIN, openVirtualTokens } from '../drivers/ukey/index.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-ukey-'));
});
test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('ukey blank makes N blank virtual UKEYs with the factory PIN, one line each, labels numbered on', async () => {
  const r = await cli('ukey', 'blank', '--dir', dir, '--count', '2');
  expect(r.code, r.err).toBe(0);
  const lines = r.out.split('\n');
  expect(lines).toHaveLength(2);
  for (const [i, l] of lines.entries()) expect(l).toMatch(new RegExp(`^ukey blank serial=[0-9A-F]{16} label=UKEY-${i + 1} file=.*\\.ukey\\.json$`));
  const more = await cli('ukey', 'blank', '--dir', dir, '--label', 'KBK');
  expect(more.out).toMatch(/label=KBK-3 /);
  const tokens = await openVirtualTokens(dir);
  expect(tokens).toHaveLength(3);
  for (const t of tokens) {
    await t.login(FACTORY_USER_PIN);
    expect(await t.readRole(), 'a blank has no role record').toBeUndefined();
    await t.close();
  }
  expect(r.out + more.out).not.toContain(FACTORY_USER_PIN);
});

test('ukey blank takes the PIN from the variable --pin-env names, never prints it; bad command lines make nothing and exit 2', async () => {
  process.env.CLI_UKEY_TEST_PIN = '40881735';
  try {
    const r = await cli('ukey', 'blank', '--dir', dir, '--pin-env', 'CLI_UKEY_TEST_PIN');
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).not.toContain('40881735');
    const [t] = await openVirtualTokens(dir);
    await expect(t.login(FACTORY_USER_PIN)).rejects.toMatchObject({ code: 'pin-incorrect' });
    await t.login('40881735');
    await t.close();
  } finally {
    delete process.env.CLI_UKEY_TEST_PIN;
  }
  const before = readdirSync(dir).length;
  for (const [argv, says] of [
    [['ukey', 'blank', '--dir', join(dir, 'nope')], /no such directory/],
    [['ukey', 'blank', '--dir', dir, '--count', '0'], /--count "0" is not a number from 1 to 500/],
    [['ukey', 'blank', '--dir', dir, '--count', '9999'], /not a number from 1 to 500/],
    [['ukey', 'blank', '--dir', dir, '--pin-env', 'CLI_UKEY_UNSET_VAR'], /CLI_UKEY_UNSET_VAR: that environment variable is not set/],
    [['ukey', 'blank', '--dir', dir, '--label', 'a b'], /--label "a b"/],
    [['ukey', 'make', '--dir', dir], /unknown ukey action "make"/],
    [['ukey', 'blank'], /--dir DIR is needed/],
  ] as const) {
    const r = await cli(...argv);
    expect(r.code, argv.join(' ')).toBe(2);
    expect(r.err).toMatch(says);
  }
  expect(readdirSync(dir).length, 'a refused command line wrote no file').toBe(before);
});
