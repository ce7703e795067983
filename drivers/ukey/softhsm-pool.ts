/**
 * A pool of SoftHSM2 tokens for CI: a per-run SOFTHSM2_CONF directory, N tokens made with
 * softhsm2-util, opened through the PKCS#11 driver, deleted afterwards.
 *
 * SoftHSM2 reads SOFTHSM2_CONF once, at C_Initialize, so the pool sets it in this process before
 * loading the module, and only one pool per process can be live (Playwright workers are separate
 * processes, so parallel workers each have their own).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from '../../crypto/index.ts';
import { openPkcs11Token, type Pkcs11TokenOptions } from './pkcs11.ts';
import { Pkcs11Module } from './pkcs11-module.ts';
import { FACTORY_USER_PIN, TokenError, type Token } from './token.ts';

const run = promisify(execFile);

export const SOFTHSM2_MODULE = process.env.EVSM_SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

/** Whether softhsm2-util and the module are installed; `reason` is one line for test.skip. */
export function softHsmAvailable(modulePath = SOFTHSM2_MODULE): { ok: boolean; reason: string } {
  const onPath = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'softhsm2-util')));
  if (!onPath) return { ok: false, reason: 'softhsm2-util is not installed (apt-get install softhsm2)' };
  if (!existsSync(modulePath)) return { ok: false, reason: `the SoftHSM2 module ${modulePath} is missing (apt-get install softhsm2)` };
  return { ok: true, reason: '' };
}

export interface SoftHsmPoolOptions extends Pkcs11TokenOptions {
  /** How many tokens. */
  count: number;
  /** Run directory (made if missing, removed by dispose); default a new temporary directory. */
  dir?: string;
  /** Token labels are `<prefix>-<n>` (n from 1). */
  labelPrefix?: string;
  /** User PIN of every token; default the factory PIN 12345678. */
  userPin?: string;
  modulePath?: string;
}

export interface PoolMember {
  index: number;
  label: string;
  serial: string;
  slotId: number;
}

export class SoftHsmPool {
  private readonly opened = new Set<Token>();
  private disposed = false;

  private constructor(
    readonly dir: string,
    readonly conf: string,
    readonly modulePath: string,
    readonly members: PoolMember[],
    private readonly userPin: string,
    private readonly soPin: string,
    private readonly tokenOptions: Pkcs11TokenOptions,
    private readonly module: Pkcs11Module,
    private readonly previousConf: string | undefined,
  ) {}

  static async create(opts: SoftHsmPoolOptions): Promise<SoftHsmPool> {
    const modulePath = opts.modulePath ?? SOFTHSM2_MODULE;
    const avail = softHsmAvailable(modulePath);
    if (!avail.ok) throw new TokenError('unsupported', avail.reason);
    if (Pkcs11Module.isLoaded(modulePath)) {
      throw new TokenError('unsupported', 'a SoftHSM2 pool (or token) is already open in this process: dispose it first');
    }
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'evsm-softhsm-')));
    const tokens = join(dir, 'tokens');
    await mkdir(tokens, { recursive: true, mode: 0o700 });
    const conf = join(dir, 'softhsm2.conf');
    await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`, { mode: 0o600 });
    const env = { ...process.env, SOFTHSM2_CONF: conf };
    const prefix = opts.labelPrefix ?? 'evsm-ukey';
    const userPin = opts.userPin ?? FACTORY_USER_PIN;
    // The SO PIN is random per run and lives only in this object; CI never needs to type it.
    const soPin = randomBytes(8).toString('hex');
    try {
      for (let i = 1; i <= opts.count; i++) {
        // PINs on softhsm2-util's command line are visible to local `ps` for a moment: CI-only PINs.
        await run('softhsm2-util', ['--init-token', '--free', '--label', `${prefix}-${i}`, '--pin', userPin, '--so-pin', soPin], { env });
      }
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      const msg = e instanceof Error ? (e as Error & { stderr?: string }).stderr?.trim() || e.message.split('\n')[0] : String(e);
      throw new TokenError('device', `softhsm2-util could not create the pool tokens: ${msg.replaceAll(userPin, '***').replaceAll(soPin, '***')}`);
    }
    const previousConf = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = conf;
    const module = Pkcs11Module.load(modulePath);
    const members = module
      .slots(true)
      .filter((s) => s.initialized && s.label?.startsWith(`${prefix}-`))
      .map((s) => ({ index: Number(s.label!.slice(prefix.length + 1)), label: s.label!, serial: s.serial!, slotId: s.slotId }))
      .sort((a, b) => a.index - b.index);
    const { count: _c, dir: _d, labelPrefix: _l, userPin: _u, modulePath: _m, ...tokenOptions } = opts;
    return new SoftHsmPool(dir, conf, modulePath, members, userPin, soPin, tokenOptions, module, previousConf);
  }

  /** Opens member `index` (1-based); the pool closes it on dispose if the caller did not. */
  open(index: number): Token {
    if (this.disposed) throw new TokenError('closed', 'the SoftHSM2 pool was disposed');
    const m = this.members.find((x) => x.index === index);
    if (!m) throw new TokenError('device', `the pool has no token ${index} (it has ${this.members.length})`);
    const t = openPkcs11Token(this.modulePath, m.slotId, this.tokenOptions);
    this.opened.add(t);
    return t;
  }

  /** PINs of the pool's tokens, for the CI token source and tests only; never log them. */
  credentials(): { userPin: string; soPin: string } {
    return { userPin: this.userPin, soPin: this.soPin };
  }

  /** Closes every token, finalizes the module, deletes the tokens and the run directory. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.opened) await t.close().catch(() => undefined);
    this.module.finalizeNow();
    const env = { ...process.env, SOFTHSM2_CONF: this.conf };
    for (const m of this.members) {
      await run('softhsm2-util', ['--delete-token', '--serial', m.serial], { env }).catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
    if (this.previousConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = this.previousConf;
  }
}
