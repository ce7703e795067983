/**
 * Software stand-ins for tokens, for the emulator's tests (test/emulator-*.test.ts): raw SM2 key pairs
 * play the component, auth and KBK tokens. The harness uses real/virtual tokens instead.
 */
import { hex, sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, type Sm2KeyPair } from '../../crypto/index.ts';
import { keySigner, type ManagerClient, type OriginalInitResult, type Signer } from '../../drivers/evsm/manager/index.ts';

export interface SoftToken {
  pair: Sm2KeyPair;
  publicKey: string;
  signer: Signer;
}

export function softToken(): SoftToken {
  const pair = sm2GenerateKeyPair();
  return { pair, publicKey: hex(pair.publicKey), signer: keySigner(pair.privateKey) };
}

/** Decrypts an item sealed to `token` and seals it again to another public key (device key). */
export function reseal(token: SoftToken, sealedHex: string, toPublicKey: string): string {
  const clear = sm2Decrypt(token.pair.privateKey, Buffer.from(sealedHex, 'hex'));
  try {
    return hex(sm2Encrypt(Buffer.from(toPublicKey, 'hex'), clear));
  } finally {
    clear.fill(0);
  }
}

export interface SoftCeremony {
  componentTokens: SoftToken[];
  authTokens: SoftToken[];
  init: OriginalInitResult;
}

/** Original init with n component tokens and an m-of-k auth set of soft tokens. */
export async function softOriginalInit(mgr: ManagerClient, n = 2, m = 2, k = 3): Promise<SoftCeremony> {
  const componentTokens = Array.from({ length: n }, softToken);
  const authTokens = Array.from({ length: k }, softToken);
  const init = await mgr.originalInit({
    components: n,
    threshold: m,
    authPublicKeys: authTokens.map((t) => t.publicKey),
    recipientPublicKeys: componentTokens.map((t) => t.publicKey),
  });
  return { componentTokens, authTokens, init };
}

/** Recovery init of `mgr`'s device from the ceremony's component tokens, in the given order. */
export async function softRecovery(mgr: ManagerClient, c: SoftCeremony, order?: number[]): Promise<string> {
  const begin = await mgr.recoveryBegin({ components: c.componentTokens.length, confirmWipe: true });
  for (const i of order ?? c.componentTokens.map((_, j) => j)) {
    await mgr.importComponent({ encrypted: reseal(c.componentTokens[i], c.init.components[i].encrypted, begin.devicePublicKey) });
  }
  return (await mgr.combine()).dmkKcv;
}
