/**
 * The operator station in one import (docs/station.md).
 *
 * Runner process:  `startStation({ port, title })` → `{ url, close }`; set EVSM_STATION_URL for the
 *                  workers (`startStationForRun` does both); the reporter `./reporter.ts` shows progress.
 * Worker process:  `new StationClient(url, { timeoutSeconds })`, then `stationOperator(client)`,
 *                  `stationVsmManager(client)`, `stationTokenSource({ station: client, locator, pins })`.
 */
import { startStation, type Station, type StationOptions } from './server.ts';
import { STATION_URL_ENV } from './client.ts';

export { startStation, type Station, type StationOptions } from './server.ts';
export { StationClient, StationUnavailable, OperatorCannot, stationOperator, stationVsmManager, STATION_URL_ENV, type StationClientOptions, type StationOperator } from './client.ts';
export { StationTokenSource, stationTokenSource, type StationTokenSourceOptions } from './token-source.ts';
export { checkAnswer, checkValue, AnswerError, type Answer, type PromptSpec, type PromptView, type StationState, type ValueKind } from './protocol.ts';

/**
 * For a runner (a Playwright global setup, `evsm-lab run`): starts the station, prints its URL
 * and sets EVSM_STATION_URL so workers started afterwards find it. Returns the teardown.
 */
export async function startStationForRun(options: StationOptions = {}): Promise<{ station: Station; teardown: () => Promise<void> }> {
  const station = await startStation(options);
  process.env[STATION_URL_ENV] = station.url;
  return {
    station,
    async teardown() {
      if (process.env[STATION_URL_ENV] === station.url) delete process.env[STATION_URL_ENV];
      await station.close();
    },
  };
}
