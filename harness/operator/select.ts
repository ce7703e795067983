/**
 * The one place a lab file's operator settings (`operator.mode`, `operator.timeoutSeconds`) become
 * the ones who answer a bench's prompts: confirmations (reset, power), token prompts (insert a UKEY,
 * its PIN), and VsmManager's steps on a device without a management port. A new mode is one more
 * case here (the switch is exhaustive).
 */
import { pkcs11Locator, type TokenLocator } from '../../drivers/ukey/index.ts';
import type { LabFile } from '../lab/lab-file.ts';
import { labPins } from '../lab/lab-file.ts';
import { promptClock } from '../lab/test-clock.ts';
import type { VsmManagerOperator } from '../procedures/operator-driver.ts';
import type { LoginTokenSource } from '../tokens/pool-source.ts';
import { benchStore, softHsmStore, type TokenStore } from '../tokens/pool-source.ts';
import { stationStore } from '../station/store.ts';
import { StationClient, STATION_URL_ENV, stationOperator, stationVsmManager } from '../station/index.ts';
import { consoleOperator, poolOperator, type Operator } from './operator.ts';
import { promptingVsmManager } from './vsm-manager.ts';

export interface BenchAnswers {
  /** Confirmations: reset a device, switch it off and on. */
  readonly operator: Operator;
  /** Token prompts: the UKEYs and PINs. */
  tokenStore(): Promise<TokenStore>;
  /** VsmManager's steps on a device without a management port; undefined when nobody can do them (those scenarios skip). */
  vsmManager(tokens: LoginTokenSource): VsmManagerOperator | undefined;
}

export interface BenchAnswerOptions {
  /** Where the station mode looks for UKEYs (default: the lab's PKCS#11 module; the station rehearsal: its virtual UKEY folder). */
  tokenLocator?: () => TokenLocator;
  env?: NodeJS.ProcessEnv;
}

/** Who answers a lab's prompts, by its `operator` settings. */
export function benchAnswers(lab: LabFile, log: (line: string) => void = (line) => console.log(line), options: BenchAnswerOptions = {}): BenchAnswers {
  const { mode, timeoutSeconds } = lab.operator;
  switch (mode) {
    case 'station': {
      // The person at the station page (started by the runner, harness/station/run-setup.ts). Each
      // station prompt extends the test's timeout itself: no promptClock here.
      const url = (options.env ?? process.env)[STATION_URL_ENV];
      if (!url) throw new Error(`hardware: operator.mode is "station" but no operator station runs for this run (${STATION_URL_ENV} is unset; run through \`npx playwright test\` or \`evsm-lab run\`, which start it)`);
      const client = new StationClient(url, { timeoutSeconds });
      const locator = options.tokenLocator ?? (() => pkcs11Locator(lab.pkcs11Module));
      return {
        operator: stationOperator(client),
        tokenStore: () => stationStore({ station: client, locator: locator(), timeoutMs: timeoutSeconds * 1000, usb: lab.usb, log, pins: labPins(lab, options.env) }),
        vsmManager: () => stationVsmManager(client),
      };
    }
    case 'pool':
      // Rehearsal: answered at once, tokens from a SoftHSM2 pool on the lab's module; no one to do VsmManager steps.
      return { operator: poolOperator(), tokenStore: () => softHsmStore(lab.rehearsal?.tokens ?? 24, lab.pkcs11Module), vsmManager: () => undefined };
    case 'console': {
      // A person at the terminal; each prompt adds its own timeout to the test's (harness/lab/test-clock.ts).
      const operator = promptClock(consoleOperator(timeoutSeconds), timeoutSeconds);
      return {
        operator,
        tokenStore: () => benchStore(lab.pkcs11Module, timeoutSeconds * 1000, lab.usb, log, labPins(lab)),
        vsmManager: () => promptingVsmManager(operator),
      };
    }
  }
}
