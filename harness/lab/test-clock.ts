/**
 * A hardware test's clock: the configured test timeout (120 s) is for the harness's own work; each
 * prompt a person is shown adds the lab file's `operator.timeoutSeconds`, the longest that prompt
 * may wait. So a scenario with 15 VsmManager steps never times out while the operator keeps to the
 * per-prompt limit, and an unanswered prompt still fails on its own timeout.
 */
import { test } from '@playwright/test';
import type { Operator } from '../operator/operator.ts';
import type { TokenOperator } from '../../drivers/ukey/index.ts';

/**
 * Node's timers hold at most 2^31 − 1 ms (a longer one fires at once); Playwright adds fractions
 * of elapsed time to the test's timer, so stay clearly below: about 23 days.
 */
export const MAX_TEST_TIMEOUT_MS = 2_000_000_000;

/** Adds `ms` to the running test's timeout; outside a test (doctor, a worker fixture) it does nothing. */
export function extendTestTimeout(ms: number): void {
  let info: ReturnType<typeof test.info>;
  try {
    info = test.info();
  } catch {
    return;
  }
  if (info.timeout === 0) return; // no timeout at all (--timeout 0): nothing to extend
  info.setTimeout(Math.min(info.timeout + ms, MAX_TEST_TIMEOUT_MS));
}

/** A confirmation operator whose every prompt extends the test's timeout by the prompt's own. */
export function promptClock(operator: Operator, timeoutSeconds: number): Operator {
  const ms = timeoutSeconds * 1000;
  return {
    mode: operator.mode,
    confirm(what, device) {
      extendTestTimeout(ms);
      return operator.confirm(what, device);
    },
    ask(question, device) {
      extendTestTimeout(ms);
      return operator.ask(question, device);
    },
  };
}

/**
 * The same for the UKEY layer's operator: each instruction ("insert KBK UKEY 2 of 3", then a wait
 * of up to `timeoutMs`) and each PIN question extends the test's timeout.
 */
export function tokenPromptClock(operator: TokenOperator, timeoutMs: number): TokenOperator {
  return {
    say(line) {
      extendTestTimeout(timeoutMs);
      operator.say(line);
    },
    askSecret(question) {
      extendTestTimeout(timeoutMs);
      return operator.askSecret(question);
    },
  };
}
