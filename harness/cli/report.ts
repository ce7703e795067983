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
import { verifyCertificationFile, type VerifyCheck } from '../../reports/certification/verify.ts';
import { keyFingerprint, readPublicKey } from '../../reports/seal.ts';
import { isUsage, parseOptions, runVerb, UsageError, type Verb } from './usage.ts';

const SYNOPSIS = [
  'usage: evsm-lab report [--results DIR] [--out DIR] [--sign-key FILE | --sign-key-env NAME] [--lab-name NAME] [--only allure|certification]',
  '       evsm-lab report verify FILE.html|FILE.pdf [--public-key FILE]',
  '       evsm-lab report keygen --out DIR',
].join('\n');

const HELP = `${SYNOPSIS}

Builds the Allure HTML report and the certification report (HTML + PDF, sealed with SM3 and
signed with SM2 when a key is given) from a run's results; checks a certification report;
makes a lab signing key. docs/reports.md has the details.

  --results DIR       the run's output root (default: $EVSM_LAB_OUTPUT, else lab-output)
  --out DIR           where the reports go (default: the same root)
  --sign-key FILE     the lab's SM2 private key file (64 hex digits): sign the certification report
  --sign-key-env NAME the same key from an environment variable
  --lab-name NAME     the lab printed on the reports (default: $EVSM_LAB_NAME, else evsm-lab)
  --only PART         allure or certification: build only that one
  verify FILE         checks a certification report (.html, or .pdf with its .seal.json)
    --public-key FILE   demand a signature by this lab key (without it: integrity, not origin)
  keygen --out DIR    writes lab-sm2.key (mode 600) and lab-sm2.pub; never overwrites

Exit status: 0 when everything asked for was built or verified, 1 when not, 2 for a usage error.

Example:
  npx evsm-lab report keygen --out ~/.evsm-lab
  npx evsm-lab report --sign-key ~/.evsm-lab/lab-sm2.key --lab-name "Acme Test Lab"
  npx evsm-lab report verify lab-output/certification/certification.html --public-key ~/.evsm-lab/lab-sm2.pub`;

/** Splits `--name value` options from positional arguments; unknown options are a usage error. */
function parse(args: string[], known: string[]): { opts: Map<string, string>; rest: string[] } {
  const parsed = parseOptions(args, Object.fromEntries(known.map((k) => [k, 'value' as const])));
  const opts = new Map([...parsed.values].map(([k, v]) => [k, v[0]]));
  return { opts, rest: [...parsed.positional, ...parsed.passThrough] };
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
  console.log(ok ? verdict(checks) : `NOT VERIFIED: ${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed`);
  return ok ? 0 : 1;
}

/** What a passed verification proves: integrity always; origin only with a signature, and by whose key. */
export function verdict(checks: VerifyCheck[]): string {
  const sig = checks.find((c) => c.name === 'signature');
  if (!sig?.signedBy) return 'verified (unsigned): digest and text match the embedded results; without a signature nothing says who made the report';
  if (sig.byGivenKey) return `verified (signed by the given lab key ${sig.signedBy})`;
  return `verified (signed by key ${sig.signedBy}, the key the report carries; give --public-key to check it is the lab's)`;
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

async function report(args: string[]): Promise<number> {
  try {
    if (args[0] === 'verify') return verify(args.slice(1));
    if (args[0] === 'keygen') return keygen(args.slice(1));
    return await build(args);
  } catch (e) {
    if (isUsage(e)) throw e;
    // Expected failures (missing files, bad keys) are one line; their messages never carry key material.
    console.error(`evsm-lab report: ${(e as Error).message}`);
    return 1;
  }
}

export const REPORT: Verb = { name: 'report', synopsis: SYNOPSIS, help: HELP, run: report };

/** `evsm-lab report …` with the CLI's help and usage-error conventions. */
export function main(args: string[]): Promise<number> {
  return runVerb(REPORT, args);
}
