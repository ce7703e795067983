/**
 * SM2 operations per second: the crypto core (crypto/sm2.ts: OpenSSL for multiples of G,
 * @noble/curves for other points, sm-crypto-v2 for the signature equation, Z_A and the KDF) beside
 * the reference (crypto/reference.ts, sm-crypto), in one run, with the ratio core/reference.
 *
 *   node --import tsx bench/sm2.ts [--seconds S]     (S per measurement, default 2)
 *
 * "same key" is the usual case on a device (an operator's auth key, a device's transport key,
 * whose point table the core keeps); "new key each time" is the worst case for the core.
 */
import {
  sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, sm2Sign, sm2Verify, SM2_DEFAULT_USER_ID, type Sm2KeyPair,
} from '../crypto/index.ts';
import { refSm2Decrypt, refSm2Encrypt, refSm2Sign, refSm2Verify } from '../crypto/reference.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Calls `f` for `seconds` and returns calls per second (one warm-up call first). */
function rate(seconds: number, f: (i: number) => void): number {
  f(0);
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) f(++n);
  return (n * 1000) / (performance.now() - t0);
}

interface Row {
  op: string;
  core: (i: number) => void;
  reference: (i: number) => void;
}

function rows(kp: Sm2KeyPair, fresh: Sm2KeyPair[]): Row[] {
  const msg = Buffer.from('device challenge 0001: 32 bytes.');
  const secret = Buffer.alloc(16, 0x5a); // a share or a key component
  const id = SM2_DEFAULT_USER_ID;
  const coreSig = sm2Sign(kp.privateKey, msg);
  const refSig = refSm2Sign(kp.privateKey, msg, id);
  const coreCt = sm2Encrypt(kp.publicKey, secret);
  const refCt = refSm2Encrypt(kp.publicKey, secret);
  const freshSigs = fresh.map((k) => sm2Sign(k.privateKey, msg));
  const must = (ok: boolean | undefined): void => {
    if (!ok) throw new Error('bench/sm2: an operation gave a wrong answer');
  };
  return [
    { op: 'sign', core: () => void sm2Sign(kp.privateKey, msg), reference: () => void refSm2Sign(kp.privateKey, msg, id) },
    // each library verifies the other's signature and decrypts the other's ciphertext
    { op: 'verify (same key)', core: () => must(sm2Verify(kp.publicKey, msg, refSig)), reference: () => must(refSm2Verify(kp.publicKey, msg, coreSig, id)) },
    {
      op: 'verify (new key each time)',
      core: (i) => must(sm2Verify(fresh[i % fresh.length].publicKey, msg, freshSigs[i % fresh.length])),
      reference: (i) => must(refSm2Verify(fresh[i % fresh.length].publicKey, msg, freshSigs[i % fresh.length], id)),
    },
    { op: 'encrypt 16 B (same key)', core: () => void sm2Encrypt(kp.publicKey, secret), reference: () => void refSm2Encrypt(kp.publicKey, secret) },
    { op: 'decrypt 16 B', core: () => must(sm2Decrypt(kp.privateKey, refCt).equals(secret)), reference: () => must(refSm2Decrypt(kp.privateKey, coreCt)?.equals(secret)) },
  ];
}

function main(): void {
  const seconds = option('--seconds', 2);
  const kp = sm2GenerateKeyPair();
  // More keys than the core's 64-entry point cache, so "new key" never hits it.
  const fresh = Array.from({ length: 200 }, () => sm2GenerateKeyPair());
  console.log(`bench/sm2: node ${process.version}, ${seconds} s per measurement; core = crypto/sm2.ts (OpenSSL + @noble/curves + sm-crypto-v2), reference = sm-crypto`);
  console.log(`${'operation'.padEnd(28)} ${'core/s'.padStart(9)} ${'reference/s'.padStart(12)} ${'ratio'.padStart(7)}`);
  for (const row of rows(kp, fresh)) {
    const core = rate(seconds, row.core);
    const reference = rate(seconds, row.reference);
    console.log(`${row.op.padEnd(28)} ${core.toFixed(0).padStart(9)} ${reference.toFixed(0).padStart(12)} ${(core / reference).toFixed(1).padStart(6)}×`);
  }
}

main();
