/**
 * Host-protocol throughput of the EVSM emulator with SDK-style calls (the vendor SDK's requests,
 * byte for byte, through drivers/evsm's `client.sdk`), over 1 and 16 connections, against the same
 * operations on SoftHSM2 through pkcs11js in this process, in the same run, as ratios.
 *
 *   node --import tsx bench/host-throughput.ts [--seconds 2]
 *
 * Emulator side: one emulator process started with `--init`; N clients with one persistent
 * connection each (linkNum=-1), each closed-loop (one request in flight). SoftHSM2 side: one
 * session, synchronous calls in this process (pkcs11js has no parallelism to offer here, so its
 * figure is the same for 1 and 16). SoftHSM2 has no SM4 or SM2: the equivalents are AES-128 and
 * ECDSA P-256, named in the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvsmClient } from '../drivers/evsm/index.ts';
import { loopbackHost } from '../harness/targets/bench.ts';
import { EmulatorProcess } from '../harness/targets/emulator-process.ts';
import { clearFromComponents, sm4PinBlock } from '../harness/reference.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 2) || 2;
const CONNECTIONS = [1, 16] as const;
const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const DATA64 = Buffer.alloc(64, 0x5a);
const ACCOUNT = '400000123456';
/** A test PIN for the PIN-translate figure (public test data). */
const TEST_PIN = '1234';
const SM2_USER_ID = Buffer.from('1234567812345678');
/** Public test components of the CC source ZPK (not secrets). */
const ZPK_PARTS = ['11112222333344445555666677778888', '0123456789ABCDEF0123456789ABCDEF'];

type Op = (client: EvsmClient, worker: number, i: number) => Promise<unknown>;

/** Closed loop on `clients` for `seconds`: operations per second. */
async function measure(clients: EvsmClient[], op: Op): Promise<number> {
  await Promise.all(clients.map((c, w) => op(c, w, 0))); // warm-up, and proof the op succeeds
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    clients.map(async (c, w) => {
      for (let i = 1; performance.now() < end; i++) {
        await op(c, w, i);
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function measureSync(op: () => void): number {
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

// ---- the emulator ----------------------------------------------------------------------------

const emulator = await EmulatorProcess.start({ name: 'BENCH', extraArgs: ['--init'] });
const connect = () =>
  EvsmClient.fromConfig({ logger: { categories: [], logPath: undefined }, hosts: [{ ...loopbackHost(1, emulator.port), linkNum: -1 }] }, { heartbeatIntervalMs: 600_000 });

/** The CC keys and PIN block, made once the emulator is up. */
const cc = { source: '', destination: '', pinBlock: '' };
/** Indices 1-2000 for A0-with-index: each of 16 workers cycles through its own 125. */
const storeIndex = (worker: number, i: number) => 1 + worker * 125 + (i % 125);

const OPS: Array<{ name: string; op: Op }> = [
  { name: 'A0 generate + store at an index (genWorkKey, SM4)', op: (c, w, i) => c.sdk.genWorkKey('00A', 'P', storeIndex(w, i), 'bench') },
  // KG as getKeyInfo sends it; the SDK caches per index, so the client's keyInfo (the same request) is timed.
  { name: 'KG key info (getKeyInfo)', op: (c) => c.keyInfo(2040) },
  { name: 'S3 encrypt 64 bytes, SM4 ECB (generalDataEnc)', op: (c) => c.sdk.generalDataEnc(0, '00A', 2040, null, 0, null, 5, DATA64, null) },
  { name: 'S0 MAC 64 bytes, SM4 CBC-MAC (generalCalMAC)', op: (c) => c.sdk.generalCalMAC(1, 8, '008', 2041, null, 0, null, 5, DATA64, '0'.repeat(32)) },
  { name: 'CC PIN translate ZPK→ZPK, SM4 (transferPinZPK12ZPK2)', op: (c) => c.sdk.transferPinZPK12ZPK2(cc.source, cc.destination, cc.pinBlock, 1, 1, ACCOUNT) },
  { name: 'E5 SM2 sign 64 bytes (genSM2Signature)', op: (c) => c.sdk.genSM2Signature(SM2_USER_ID, 0, DATA64, 1) },
];

const emulatorRates: number[][] = [];
/** Row → why the emulator refused it (printed instead of figures). */
const failures = new Map<number, string>();
try {
  const setup = await connect();
  // Keys at fixed indices: a data key (S3), a MAC key (S0), an SM2 key pair (E5). The ZPKs (CC) are
  // cryptograms, the source one formed from public test components (the XK extension) so the PIN
  // block can be made here as a terminal makes it.
  await setup.sdk.genWorkKey('00A', 'P', 2040, 'bench zek');
  await setup.sdk.genWorkKey('008', 'P', 2041, 'bench zak');
  cc.source = (await setup.formKey('ZPK', 'P', ZPK_PARTS)).keyUnderLmk;
  [cc.destination] = await setup.sdk.genWorkKey('001', 'P', 0, null);
  cc.pinBlock = sm4PinBlock(clearFromComponents(ZPK_PARTS), TEST_PIN, ACCOUNT);
  // A refusal here shows as that row's failure (E5 then reports it), not as a crashed bench.
  await setup.sdk.generateSm2KeyPair(1, 'bench sm2').catch((e: Error) => console.error(`E7 SM2 key pair: ${e.message}`));
  setup.close();

  for (const [i, { op }] of OPS.entries()) {
    const row: number[] = [];
    for (const n of CONNECTIONS) {
      const clients = await Promise.all(Array.from({ length: n }, connect));
      try {
        row.push(await measure(clients, op));
      } catch (e) {
        failures.set(i, (e as Error).message.split('\n')[0]);
        row.push(Number.NaN);
      } finally {
        for (const c of clients) c.close();
      }
    }
    emulatorRates.push(row);
  }
} finally {
  await emulator.stop();
}

// ---- SoftHSM2 through pkcs11js, in this process ------------------------------------------------

const tokenDir = mkdtempSync(join(tmpdir(), 'evsm-bench-softhsm-'));
const conf = join(tokenDir, 'softhsm2.conf');
writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = conf;
const USER_PIN = 'bench-user-pin';
const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', 'bench-so-pin', '--pin', USER_PIN], { encoding: 'utf8' });
if (init.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${init.stderr || init.stdout}`);

const { default: pkcs11js } = await import('pkcs11js');
const p11 = new pkcs11js.PKCS11();
p11.load(SOFTHSM_MODULE);
p11.C_Initialize();
const softhsmRates: Array<{ what: string; rate: number }> = [];
try {
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
  const block = Buffer.from(encrypt(zpk1, Buffer.alloc(16, 0x11)));
  let n = 0;
  const SOFT: Array<[string, () => void]> = [
    ['C_GenerateKey AES-128, token object', () => void p11.C_GenerateKey(session, aesGen, aesTemplate(`bench ${n++}`, true))],
    ['C_GetAttributeValue (key type, label, check value)', () => void p11.C_GetAttributeValue(session, zek, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_CHECK_VALUE }])],
    ['C_Encrypt 64 bytes, AES-128 ECB (with its init)', () => void encrypt(zek, DATA64)],
    ['C_Sign 64 bytes, AES-128 CMAC (with its init)', () => {
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_AES_CMAC }, zek);
      p11.C_Sign(session, DATA64, out);
    }],
    ['C_Decrypt + C_Encrypt one AES block, two keys', () => {
      p11.C_DecryptInit(session, ecb, zpk1);
      const clear = Buffer.from(p11.C_Decrypt(session, block, out));
      encrypt(zpk2, clear);
    }],
    // SoftHSM2 2.6 has no CKM_ECDSA_SHA256: C_Digest (SHA-256) then C_Sign (CKM_ECDSA), both in the token.
    ['C_Digest SHA-256 + C_Sign CKM_ECDSA P-256, 64 bytes', () => {
      p11.C_DigestInit(session, { mechanism: pkcs11js.CKM_SHA256 });
      const digest = Buffer.from(p11.C_Digest(session, DATA64, Buffer.alloc(32)));
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, ec.privateKey);
      p11.C_Sign(session, digest, out);
    }],
  ];
  for (const [what, op] of SOFT) softhsmRates.push({ what, rate: measureSync(op) });
  p11.C_Logout(session);
  p11.C_CloseSession(session);
} finally {
  p11.C_Finalize();
  rmSync(tokenDir, { recursive: true, force: true });
}

// ---- report ------------------------------------------------------------------------------------

const r = (x: number) => String(Math.round(x));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
console.log(`EVSM emulator (SDK-style calls) vs SoftHSM2 ${SOFTHSM_MODULE} in-process — ${seconds} s per figure, closed loop, 127.0.0.1, node ${process.version}`);
console.log('(SoftHSM2: one session, synchronous calls, so one figure serves both columns)');
console.log('| operation (emulator) | 1 conn (ops/s) | 16 conn (ops/s) | SoftHSM2 equivalent | SoftHSM2 (ops/s) | ratio 1 conn | ratio 16 conn |');
console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: |');
OPS.forEach(({ name }, i) => {
  const [one, sixteen] = emulatorRates[i];
  const soft = softhsmRates[i];
  if (failures.has(i)) return console.log(`| ${name} | failed: ${failures.get(i)} | | ${soft.what} | ${r(soft.rate)} | | |`);
  console.log(`| ${name} | ${r(one)} | ${r(sixteen)} | ${soft.what} | ${r(soft.rate)} | ${ratio(one, soft.rate)} | ${ratio(sixteen, soft.rate)} |`);
});
console.log('ratio = emulator ops/s ÷ SoftHSM2 ops/s (above 1: the emulator, over TCP, is faster than SoftHSM2 in-process).');
