/**
 * The worker side of the operator station (docs/station.md): a Playwright worker (or any
 * process) poses prompts to the station over 127.0.0.1 and waits for the answers by long-poll.
 *
 *  - `StationClient`: the protocol itself (prompt, wait, progress, notices).
 *  - `stationOperator(url)`: the harness `Operator` (confirm/ask) on the station.
 *  - `stationVsmManager(client)`: VsmManager steps with structured answers (completed, refused
 *    CODE message, the DMK check value read off the screen), for the operator path.
 *  - `stationTokenSource(...)` (token-source.ts): "insert KBK UKEY 2 of 3" with live detection and
 *    the PIN typed into the page.
 *
 * A prompt waits at most `timeoutSeconds`; time the station spends paused with the prompt held
 * does not count (and is added to the running test's timeout).
 */
import { test } from '@playwright/test';
import { relative } from 'node:path';
import { extendTestTimeout } from '../lab/test-clock.ts';
import type { Operator } from '../operator/operator.ts';
import { AUTH_POLICY_QUESTION, DMK_KCV_QUESTION, managerPrompt, OUTCOME_QUESTION, type VsmManagerOperator } from '../operator/vsm-manager.ts';
import type { Text } from '../procedures/types.ts';
import type { Answer, AnswerPoll, PinRequest, PromptContext, PromptSpec, RunProgress, Sighting, ValueKind } from './protocol.ts';

/** The variable a runner sets for its workers once the station listens (its URL). */
export const STATION_URL_ENV = 'EVSM_STATION_URL';

export interface StationClientOptions {
  /** How long one prompt waits for the person (default 300 s, the lab file's operator.timeoutSeconds). */
  timeoutSeconds?: number;
  /** How long one long-poll is held open (default 20 s; the station caps it at 25 s). */
  pollMs?: number;
}

export class StationUnavailable extends Error {}

/** The person answered 无法完成 "cannot do it", with a reason: the step fails with it. */
export class OperatorCannot extends Error {}

export function cannot(reason: string, what: Text): OperatorCannot {
  return new OperatorCannot(`the operator at the station could not do it: ${reason} ("${what.en.split('\n')[0]}")`);
}

/** The running test's title and file, when called inside a test (else nothing). */
function testContext(): PromptContext {
  try {
    const info = test.info();
    return { test: info.titlePath.slice(1).join(' › ') || info.title, file: relative(process.cwd(), info.file) };
  } catch {
    return {};
  }
}

export class StationClient {
  readonly url: string;
  readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(url: string, options: StationClientOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(u.hostname)) throw new StationUnavailable(`the operator station must be on http://127.0.0.1:PORT/, not ${url}`);
    this.url = u.origin;
    this.timeoutMs = (options.timeoutSeconds ?? 300) * 1000;
    this.pollMs = options.pollMs ?? 20_000;
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(this.url + path, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
    } catch (e) {
      throw new StationUnavailable(`operator station ${this.url}/ is not reachable (${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message})`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new StationUnavailable(`${this.url}/ answered HTTP ${res.status} with something that is not the station's JSON: is another program on that port?`);
    }
    if (res.status >= 400) {
      const err = (json as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`;
      throw Object.assign(new Error(`operator station: ${err}`), { status: res.status });
    }
    return { status: res.status, json };
  }

  /**
   * Creates a prompt; returns its id. The test's title and file are added when known, and the
   * running test's timeout grows by the prompt's own (harness/lab/test-clock.ts), so a scenario
   * with many prompts never times out while each is answered in time: do not wrap these
   * operators in `promptClock` as well.
   */
  async open(spec: PromptSpec): Promise<string> {
    extendTestTimeout(this.timeoutMs);
    const context = { ...testContext(), ...spec.context };
    const { json } = await this.call('POST', '/api/prompts', { timeoutSeconds: Math.round(this.timeoutMs / 1000), ...spec, context });
    return (json as { id: string }).id;
  }

  /** Waits for the answer to prompt `id`; withdraws the prompt and throws after the timeout. */
  async wait(id: string, what: Text): Promise<Answer> {
    let deadline = Date.now() + this.timeoutMs;
    let failures = 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.withdraw(id, 'no answer in time');
        throw new Error(`no answer at the operator station within ${Math.round(this.timeoutMs / 1000)} s ("${what.en.split('\n')[0]}")`);
      }
      const started = Date.now();
      let poll: AnswerPoll;
      try {
        poll = await this.poll(id, Math.min(this.pollMs, left));
        failures = 0;
      } catch (e) {
        // A station that went away for a moment (runner busy) is asked again; a withdrawn prompt is not.
        if ((e as { status?: number }).status === 404 || ++failures > 3) throw e;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (poll.state === 'answered') {
        if (poll.answer.kind === 'cannot') throw cannot(poll.answer.reason, what);
        return poll.answer;
      }
      if (poll.held) {
        // Paused: the person has not seen the prompt yet; the wait does not count.
        const spent = Date.now() - started;
        deadline += spent;
        extendTestTimeout(spent);
      }
    }
  }

  /** One long-poll for the answer to prompt `id` (at most `waitMs`, default the client's pollMs). */
  async poll(id: string, waitMs = this.pollMs): Promise<AnswerPoll> {
    return (await this.call('GET', `/api/prompts/${id}/answer?waitMs=${waitMs}`)).json as AnswerPoll;
  }

  /** One prompt from start to answer. */
  async prompt(spec: PromptSpec): Promise<Answer> {
    return this.wait(await this.open(spec), spec.text);
  }

  async withdraw(id: string, reason: string): Promise<void> {
    await this.call('DELETE', `/api/prompts/${id}`, { reason }).catch(() => undefined);
  }

  /** What the token layer sees now (token prompts). */
  async seen(id: string, tokens: Sighting[]): Promise<void> {
    await this.call('POST', `/api/prompts/${id}/seen`, { tokens });
  }

  /** Shows the PIN field for the token that fits; the PIN arrives as the prompt's answer (never logged here or there). */
  async askPin(id: string, request: PinRequest): Promise<void> {
    await this.call('POST', `/api/prompts/${id}/pin`, request);
  }

  async note(id: string, line: string): Promise<void> {
    await this.call('POST', `/api/prompts/${id}/note`, { line });
  }

  async notice(line: string): Promise<void> {
    await this.call('POST', '/api/notice', { line });
  }

  async progress(p: Partial<Omit<RunProgress, 'current'>> & { current?: RunProgress['current'] | null }): Promise<void> {
    await this.call('POST', '/api/progress', p);
  }

  async pause(paused: boolean): Promise<void> {
    await this.call('POST', '/api/pause', { paused });
  }

  // Structured questions.

  async confirm(text: Text, device: string, step?: string): Promise<void> {
    await this.prompt({ kind: 'confirm', device, text, context: step ? { step } : undefined });
  }

  /** How a VsmManager operation ended: undefined when completed, else the code and message shown. */
  async outcome(text: Text, device: string, step?: string): Promise<{ code: string; message: string } | undefined> {
    const a = await this.prompt({ kind: 'outcome', device, text, context: step ? { step } : undefined });
    return a.kind === 'refused' ? { code: a.code, message: a.message } : undefined;
  }

  /** A value read off the screen, already checked by the station (a KCV is 16 upper-case hex digits). */
  async value(text: Text, device: string, valueKind: ValueKind, step?: string): Promise<string> {
    const a = await this.prompt({ kind: 'value', device, text, valueKind, context: step ? { step } : undefined });
    if (a.kind !== 'value') throw new Error(`operator station: a ${a.kind} answer where a value was asked`);
    return a.value;
  }

  async text(text: Text, device: string): Promise<string> {
    const a = await this.prompt({ kind: 'text', device, text });
    return a.kind === 'text' ? a.value : '';
  }
}

/**
 * The harness `Operator` with mode `station`: assignable to `Operator` once the lab file's
 * `operator.mode` knows "station" (harness/lab/lab-file.ts `OperatorMode`).
 */
export type StationOperator = Omit<Operator, 'mode'> & { readonly mode: 'station' };

const same = (a: Text, b: Text): boolean => a.en === b.en && a.zh === b.zh;

/**
 * The harness `Operator` on the station. `ask` recognises the questions it has forms for (how a
 * VsmManager operation ended, the DMK check value) and answers them in the words the console
 * operator would have typed, so callers written for `consoleOperator` work unchanged.
 */
export function stationOperator(station: StationClient | string, options: StationClientOptions = {}): StationOperator {
  const client = typeof station === 'string' ? new StationClient(station, options) : station;
  return {
    mode: 'station',
    async confirm(what, device) {
      await client.confirm(what, device);
      return 'prompted';
    },
    async ask(question, device) {
      if (same(question, OUTCOME_QUESTION)) {
        const refused = await client.outcome(question, device);
        return refused ? `${refused.code} ${refused.message}` : '';
      }
      if (same(question, DMK_KCV_QUESTION)) return client.value(question, device, 'kcv');
      if (same(question, AUTH_POLICY_QUESTION)) return client.value(question, device, 'policy');
      return client.text(question, device);
    },
  };
}

/**
 * VsmManager steps on the station: a plain step is one 完成 Done; the step where VsmManager carries
 * the operation out is one outcome question (completed / refused with code and message), so the
 * person answers once, with what the screen shows.
 */
export function stationVsmManager(client: StationClient): VsmManagerOperator {
  return {
    async perform(request) {
      const text = managerPrompt(request);
      if (!request.action) {
        await client.confirm(text, request.device, request.step.id);
        return { how: 'prompted' };
      }
      const refused = await client.outcome(text, request.device, request.step.id);
      return refused ? { how: 'prompted', refused } : { how: 'prompted' };
    },
    readDmkKcv(device) {
      return client.value(DMK_KCV_QUESTION, device, 'kcv');
    },
    readAuthPolicy(device) {
      return client.value(AUTH_POLICY_QUESTION, device, 'policy');
    },
  };
}
