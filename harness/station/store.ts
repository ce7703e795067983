/**
 * The token store of a station-mode bench (harness/operator/select.ts): kept beside the station
 * rather than in harness/tokens/pool-source.ts, which the procedures import, so the station's own
 * imports (its VsmManager prompts) make no cycle.
 */
import type { PinProvider, Token, TokenLocator } from '../../drivers/ukey/index.ts';
import { startUsbWatcher, tracked, type TokenStore } from '../tokens/pool-source.ts';
import type { Text } from '../procedures/types.ts';
import type { StationClient } from './client.ts';
import { stationTokenSource } from './token-source.ts';

/**
 * A bench whose operator is at the station page (operator.mode "station", docs/station.md): the
 * UKEY layer's search over `locator` (the vendor's PKCS#11 module on a bench, a virtual UKEY folder
 * in the station rehearsal), shown on the page with live detection; PINs from the lab file's
 * variables, else typed into the page's masked field. Each token prompt extends the test's
 * timeout itself (harness/station/token-source.ts).
 */
export async function stationStore(options: {
  station: StationClient;
  locator: TokenLocator;
  timeoutMs: number;
  usb: ReadonlyArray<{ vid: number; pid: number; name: string }>;
  log: (line: string) => void;
  pins?: { provider: PinProvider; user: string | undefined };
}): Promise<TokenStore> {
  const opened: Token[] = [];
  const watcher = await startUsbWatcher(options.usb, options.log);
  const reset = async (): Promise<void> => {
    for (const t of opened.splice(0)) await t.close().catch(() => undefined);
  };
  return {
    kind: 'bench',
    async source() {
      const source = stationTokenSource({
        station: options.station,
        locator: options.locator,
        timeoutMs: options.timeoutMs,
        ...(options.pins ? { pins: options.pins.provider } : {}),
        ...(watcher ? { inserts: watcher } : {}),
      });
      const held = tracked(source, options.pins?.user, opened);
      return {
        ...held,
        // A token the test holds that needs its PIN again (KS-07): from the lab file's variable, else typed on the page.
        loginToken: (token) => (token.loggedIn || options.pins?.user !== undefined ? held.loginToken(token) : loginAtStation(options.station, token)),
      };
    },
    reset,
    async close() {
      await reset();
      watcher?.stop();
    },
  };
}

/**
 * The PIN of a UKEY the test already holds (it stays inserted), asked on the page as a token card
 * that shows it detected and the masked PIN field; one attempt, so a refused PIN (a locked UKEY)
 * is the token's own error.
 */
async function loginAtStation(station: StationClient, token: Token): Promise<void> {
  const { serial, label } = token.identity;
  const text: Text = { zh: `请再次输入 UKEY "${label}"（序列号 ${serial}）的口令`, en: `Enter the PIN of UKEY "${label}" (serial ${serial}) again; it stays inserted` };
  const id = await station.open({ kind: 'token', device: '', text, expect: `UKEY serial ${serial} (inserted)`, serial });
  try {
    await station.seen(id, [{ serial, label, status: 'fits' }]);
    await station.askPin(id, { serial, label, kind: 'user', attempt: 1 });
    const answer = await station.wait(id, text);
    if (answer.kind !== 'pin') throw new Error(`operator station: expected the PIN of UKEY serial ${serial}, got a "${answer.kind}" answer`);
    await token.login(answer.pin);
  } finally {
    await station.withdraw(id, `PIN of UKEY serial ${serial} entered`);
  }
}
