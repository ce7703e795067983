/**
 * The authorization-policy value card (docs/station.md, value kind `policy`): what the station
 * accepts as the policy a person reads off VsmManager's 设备信息, over the real station server
 * and the worker-side client (no browser: the page posts the same answer body).
 */
import { test, expect } from '@playwright/test';
import { StationClient } from '../harness/station/client.ts';
import { checkValue } from '../harness/station/protocol.ts';
import { startStation, type Station } from '../harness/station/server.ts';
import { AUTH_POLICY_QUESTION } from '../harness/operator/vsm-manager.ts';
import { stationVsmManager } from '../harness/station/index.ts';

test('station policy value: m-of-n normalized, anything else refused with the words for the page', () => {
  for (const [typed, taken] of [['2-of-3', '2-of-3'], [' 2 of 3 ', '2-of-3'], ['1/1', '1-of-1'], ['2 - of - 3', '2-of-3']]) expect(checkValue('policy', typed), typed).toBe(taken);
  for (const typed of ['3-of-2', '0-of-3', 'two of three', '2-of-', '2,3', '']) expect(() => checkValue('policy', typed), typed).toThrow(/授权策略|authorization policy/);
  expect(() => checkValue('policy', '3-of-2')).toThrow('"3-of-2" 不是授权策略 is not an authorization policy');
});

let station: Station;
test.afterEach(async () => {
  await station?.close();
});

test('station policy value: the policy card of the station VsmManager is refused while malformed and handed to the worker normalized', async () => {
  station = await startStation({ log: () => undefined });
  const client = new StationClient(station.url, { timeoutSeconds: 30, pollMs: 200 });
  const read = stationVsmManager(client).readAuthPolicy('A');
  // The page's view of the card: a value card of kind policy with the question's words.
  let prompt: { id: string; valueKind?: string; text: { en: string } } | undefined;
  for (let i = 0; i < 100 && !prompt; i++) {
    const s = (await (await fetch(`${station.url}api/state`)).json()) as { prompts: Array<{ id: string; valueKind?: string; text: { en: string } }> };
    prompt = s.prompts[0];
    if (!prompt) await new Promise((r) => setTimeout(r, 50));
  }
  expect(prompt?.valueKind).toBe('policy');
  expect(prompt?.text.en).toBe(AUTH_POLICY_QUESTION.en);
  const answer = (value: string) =>
    fetch(`${station.url}api/prompts/${prompt!.id}/answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer: { kind: 'value', value } }) });
  const bad = await answer('3 of 2');
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toContain('is not an authorization policy');
  expect((await answer('2 of 3')).status).toBe(200);
  expect(await read).toBe('2-of-3');
});
