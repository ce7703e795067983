/**
 * evsm-lab report — builds the Allure HTML and the certification report of a run, and checks
 * certification reports. See docs/reports.md.
 *
 *   evsm-lab report [--results DIR] [--out DIR] [--sign-key FILE | --sign-key-env NAME] [--lab-name NAME] [--only allure|certification]
 *   evsm-lab report verify FILE.html|FILE.pdf [--public-key FILE]
 *   evsm-lab report keygen --out DIR
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hex, sm2GenerateKeyPair, wipe } from '../../crypto/index.ts';
import { buildReports } from '../../reports/build.ts';
import { verifyCertificationFile } from '../../reports/certification/verify.ts';
import { keyFingerprint, readPublicKey } from '../../reports/seal.ts';

const USAGE = [
  'usage: evsm-lab report [--results DIR] [--out DIR] [--sign-key FILE | --sign-key-env NAME] [--lab-name NAME] [--only allure|certification]',
  '       evsm-lab report verify FILE.html|FILE.pdf [--public-key FILE]',
  '       evsm-lab report keygen --out DIR',
];

class UsageError extends Error {}

/** Splits `--name value` options from positional arguments; unknown options are a usage error. */
function parse(args: string[], known: string[]): { opts: Map<string, string>; rest: string[] } {
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const [name, inline] = a.split(/=(.*)/s, 2);
    if (!known.includes(name)) throw new UsageError(`unknown option ${name}`);
    const v = inline ?? args[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    opts.set(name, v);
  }
  return { opts, rest };
}

function show(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

async function build(args: string[]): Promise<number> {
  const { opts, rest } = parse(args, ['--results', '--out', '--sign-key', '--sign-key-env', '--lab-name', '--only']);
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
  const only = opts.get('--only');
  if (only !== undefined && only !== 'allure' && only !== 'certification') throw new UsageError('--only takes allure or certification');
  if (opts.has('--sign-key') && opts.has('--sign-key-env')) throw new UsageError('give --sign-key or --sign-key-env, not both');
  const signKey = opts.get('--sign-key') ?? (opts.has('--sign-key-env') ? `env:${opts.get('--sign-key-env')}` : undefined);
  const outcomes = await buildReports({
    results: opts.get('--results'),
    out: opts.get('--out'),
    signKey,
    labName: opts.get('--lab-name'),
    only: only as 'allure' | 'certification' | undefined,
  });
  for (const o of outcomes) {
    const label = o.part.padEnd(13);
    console.log(o.ok ? `report: ${label} ${show(o.path ?? '')}  (${o.message})` : `report: ${label} not built: ${o.message}`);
  }
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

function verify(args: string[]): number {
  const { opts, rest } = parse(args, ['--public-key']);
  if (rest.length !== 1) throw new UsageError('verify takes one file');
  const file = rest[0];
  const pub = opts.get('--public-key');
  const trusted = pub ? readPublicKey(pub) : undefined;
  const checks = verifyCertificationFile(file, trusted);
  console.log(`verify ${show(file)}`);
  for (const c of checks) console.log(`  ${c.name.padEnd(10)} ${c.ok ? 'OK    ' : 'FAILED'} ${c.detail}`);
  const ok = checks.every((c) => c.ok);
  console.log(ok ? 'verified' : `NOT VERIFIED: ${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed`);
  return ok ? 0 : 1;
}

function keygen(args: string[]): number {
  const { opts, rest } = parse(args, ['--out']);
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
  const dir = opts.get('--out');
  if (!dir) throw new UsageError('keygen needs --out DIR');
  const keyFile = join(dir, 'lab-sm2.key');
  const pubFile = join(dir, 'lab-sm2.pub');
  if (existsSync(keyFile)) throw new UsageError(`${keyFile} exists; not overwriting a lab key`);
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = sm2GenerateKeyPair();
  writeFileSync(keyFile, `${hex(privateKey)}\n`, { mode: 0o600 });
  wipe(privateKey);
  writeFileSync(pubFile, `${hex(publicKey)}\n`);
  console.log(`report: private key ${show(keyFile)} (mode 600, keep it off the bench share), public key ${show(pubFile)}, fingerprint ${keyFingerprint(publicKey)}`);
  return 0;
}

export async function main(args: string[]): Promise<number> {
  try {
    if (args[0] === 'verify') return verify(args.slice(1));
    if (args[0] === 'keygen') return keygen(args.slice(1));
    if (args[0] === '--help' || args[0] === '-h') {
      console.log(USAGE.join('\n'));
      return 0;
    }
    return await build(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`evsm-lab report: ${e.message}`);
      console.error(USAGE.join('\n'));
      return 2;
    }
    // Expected failures (missing files, bad keys) are one line; their messages never carry key material.
    console.error(`evsm-lab report: ${(e as Error).message}`);
    return 1;
  }
}
