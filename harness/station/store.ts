/**
 * The token store of a station-mode bench (harness/operator/select.ts): kept beside the station
 * rather than in harness/tokens/pool-source.ts, which the procedures import, so the station's own
 * imports (its VsmManager prompts) make no cycle.
 */
import type { PinProvider, Token, TokenLocator } from '../../drivers/ukey/index.ts';
import { startUsbWatcher, tracked, type TokenStore } from '../tokens/pool-source.ts';
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
      return tracked(source, options.pins?.user, opened);
    },
    reset,
    async close() {
      await reset();
      watcher?.stop();
    },
  };
}
