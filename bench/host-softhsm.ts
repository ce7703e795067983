/**
 * SoftHSM2 through pkcs11js in the bench's own process: the in-process reference the host
 * throughput benches (bench/host-throughput.ts, bench/throughput-raw.ts) compare the emulator
 * with. One fresh token in a temporary directory, one session, synchronous calls. SoftHSM2 has
 * no SM4 or SM2: the equivalents are AES-128 and ECDSA P-256, named with each operation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export type SoftHsmOp = 'generateToken' | 'generateSession' | 'getAttribute' | 'encrypt' | 'cmac' | 'translate' | 'ecdsa';

/** What each operation is, for the tables. */
export const SOFTHSM_OPS: Record<SoftHsmOp, string> = {
  generateToken: 'C_GenerateKey AES-128, token object',
  generateSession: 'C_GenerateKey AES-128, session object (and C_DestroyObject)',
  getAttribute: 'C_GetAttributeValue (key type, label, check value)',
  encrypt: 'C_Encrypt 64 bytes, AES-128 ECB (with its init)',
  cmac: 'C_Sign 64 bytes, AES-128 CMAC (with its init)',
  translate: 'C_Decrypt + C_Encrypt one AES block, two keys',
  // SoftHSM2 2.6 has no CKM_ECDSA_SHA256: C_Digest (SHA-256) then C_Sign (CKM_ECDSA), both in the token.
  ecdsa: 'C_Digest SHA-256 + C_Sign CKM_ECDSA P-256, 64 bytes',
};

/** Calls per second of a synchronous `op` for `seconds` (after one call not timed). */
export function measureSync(op: () => void, seconds: number): number {
  op();
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    op();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

/** An open SoftHSM2 token with one logged-in session; measure() may be called between other work. */
export interface SoftHsm {
  /** calls/s of `op` for `seconds` */
  measure(op: SoftHsmOp, seconds: number): number;
  close(): void;
}

/** Opens a fresh SoftHSM2 token in a temporary directory (removed by close()). */
export async function openSoftHsm(): Promise<SoftHsm> {
  const tokenDir = mkdtempSync(join(tmpdir(), 'evsm-bench-softhsm-'));
  const conf = join(tokenDir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const USER_PIN = 'bench-user-pin';
  const { default: pkcs11js } = await import('pkcs11js');
  const p11 = new pkcs11js.PKCS11();
  let initialized = false;
  try {
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', 'bench-so-pin', '--pin', USER_PIN], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${init.error?.message ?? (init.stderr || init.stdout)}`);
    p11.load(SOFTHSM_MODULE);
    p11.C_Initialize();
    initialized = true;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === 'bench')!;
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p11.C_Login(session, pkcs11js.CKU_USER, USER_PIN);
    const aesTemplate = (label: string, token: boolean) => [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 16 },
      { type: pkcs11js.CKA_TOKEN, value: token },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_SIGN, value: true },
    ];
    const aesGen = { mechanism: pkcs11js.CKM_AES_KEY_GEN };
    const zek = p11.C_GenerateKey(session, aesGen, aesTemplate('bench zek', true));
    const zpk1 = p11.C_GenerateKey(session, aesGen, aesTemplate('bench zpk 1', true));
    const zpk2 = p11.C_GenerateKey(session, aesGen, aesTemplate('bench zpk 2', true));
    const ec = p11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06082A8648CE3D030107', 'hex') }, // P-256
        { type: pkcs11js.CKA_VERIFY, value: true },
      ],
      [
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_TOKEN, value: true },
      ],
    );
    const out = Buffer.alloc(256);
    const ecb = { mechanism: pkcs11js.CKM_AES_ECB };
    const encrypt = (key: Buffer, data: Buffer) => {
      p11.C_EncryptInit(session, ecb, key);
      return p11.C_Encrypt(session, data, out);
    };
    const DATA64 = Buffer.alloc(64, 0x5a);
    const block = Buffer.from(encrypt(zpk1, Buffer.alloc(16, 0x11)));
    let n = 0;
    const OPS: Record<SoftHsmOp, () => void> = {
      generateToken: () => void p11.C_GenerateKey(session, aesGen, aesTemplate(`bench ${n++}`, true)),
      generateSession: () => p11.C_DestroyObject(session, p11.C_GenerateKey(session, aesGen, aesTemplate('bench session', false))),
      getAttribute: () => void p11.C_GetAttributeValue(session, zek, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_CHECK_VALUE }]),
      encrypt: () => void encrypt(zek, DATA64),
      cmac: () => {
        p11.C_SignInit(session, { mechanism: pkcs11js.CKM_AES_CMAC }, zek);
        p11.C_Sign(session, DATA64, out);
      },
      translate: () => {
        p11.C_DecryptInit(session, ecb, zpk1);
        const clear = Buffer.from(p11.C_Decrypt(session, block, out));
        encrypt(zpk2, clear);
      },
      ecdsa: () => {
        p11.C_DigestInit(session, { mechanism: pkcs11js.CKM_SHA256 });
        const digest = Buffer.from(p11.C_Digest(session, DATA64, Buffer.alloc(32)));
        p11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, ec.privateKey);
        p11.C_Sign(session, digest, out);
      },
    };
    return {
      measure: (op, seconds) => measureSync(OPS[op], seconds),
      close: () => {
        p11.C_Logout(session);
        p11.C_CloseSession(session);
        p11.C_Finalize();
        rmSync(tokenDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (initialized) p11.C_Finalize();
    rmSync(tokenDir, { recursive: true, force: true });
    throw e;
  }
}

/** Rates (calls/s) of the asked operations on a fresh SoftHSM2 token, `seconds` each. */
export async function softHsmRates(ops: readonly SoftHsmOp[], seconds: number): Promise<Map<SoftHsmOp, number>> {
  const hsm = await openSoftHsm();
  try {
    return new Map(ops.map((op) => [op, hsm.measure(op, seconds)]));
  } finally {
    hsm.close();
  }
}
