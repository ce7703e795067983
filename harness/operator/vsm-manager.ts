/**
 * The VsmManager side of the operator driver (harness/procedures/operator-driver.ts) for a bench
 * device without a management port: the harness cannot drive VsmManager, so each management step
 * of a procedure is shown to the operator (step id, zh/en instruction, the concrete parameters:
 * token serials, key indices, file) and the harness waits for the confirmation. What the step did
 * is then verified over the host protocol (docs/harness.md, "Operator-driven VsmManager steps").
 *
 *  - `promptingVsmManager` (a real bench): each step goes to the bench `Operator` (the terminal).
 *  - `scriptedVsmManager` (harness/operator/scripted-bench.ts, the operator rehearsal): a scripted
 *    operator does the VsmManager part itself through the emulator's management port.
 */
import { parseAuthPolicy, type ManagerOutcome, type ManagerStepRequest, type VsmManagerOperator } from '../procedures/operator-driver.ts';
import type { Text } from '../procedures/types.ts';
import type { Operator } from './operator.ts';

export type { ManagerAction, ManagerOutcome, ManagerStepRequest, VsmManagerOperator } from '../procedures/operator-driver.ts';

/** The question for the DMK check value VsmManager shows. */
export const DMK_KCV_QUESTION: Text = {
  zh: '在 VsmManager 中选择 获取 DMK 校验值，输入显示的校验值（16 位十六进制）。',
  en: 'In VsmManager choose 获取 DMK 校验值 (get DMK check value) and type the value it shows (16 hex digits).',
};

/** 16 hex digits, upper-cased; anything else is refused so a typo is not taken as a result. */
export function parseKcv(answer: string): string {
  const v = answer.trim().replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-F]{16}$/.test(v)) throw new Error(`"${answer.trim()}" is not a check value: 16 hex digits as VsmManager shows them`);
  return v;
}

/** The question for the authorization policy VsmManager shows (its device info). */
export const AUTH_POLICY_QUESTION: Text = {
  zh: '在 VsmManager 中打开 设备信息，输入显示的授权控制机制（m-of-n，如 3选2 输入 2-of-3）。',
  en: 'In VsmManager open 设备信息 (device info) and type the authorization policy it shows, as m-of-n (e.g. 2-of-3).',
};

/** An answer to AUTH_POLICY_QUESTION, normalized to `m-of-n`; anything else throws (parseAuthPolicy). */
export function normalizeAuthPolicy(answer: string): string {
  const { m, n } = parseAuthPolicy(answer);
  return `${m}-of-${n}`;
}

/** The question asked after an action step. */
export const OUTCOME_QUESTION: Text = {
  zh: 'VsmManager 是否拒绝了该操作？已完成请直接回车；否则输入显示的错误码和信息（如 KBK_SHARES not enough shares）。',
  en: 'Did VsmManager refuse the operation? Press Enter if it completed; otherwise type the error code and message it showed (e.g. KBK_SHARES not enough shares).',
};

/** "CODE message" typed by the operator → a refusal; '' → completed. */
export function parseOutcome(answer: string): ManagerOutcome['refused'] {
  const a = answer.trim();
  if (!a) return undefined;
  const [code, ...rest] = a.split(/\s+/);
  return { code: code.toUpperCase(), message: rest.join(' ') || 'refused (reported by the operator)' };
}

/** The text an operator sees for one step: id, instruction, parameters (no secrets: serials, indices, paths). */
export function managerPrompt(request: ManagerStepRequest): Text {
  const params = request.params.length ? `\n  ${request.params.join('\n  ')}` : '';
  return {
    zh: `[${request.step.id}] VsmManager: ${request.step.text.zh}${params}`,
    en: `[${request.step.id}] VsmManager: ${request.step.text.en}${params}`,
  };
}

/** A real bench: every VsmManager step is prompted to the person (through any `Operator`: console, station page) and confirmed. */
export function promptingVsmManager(operator: Operator): VsmManagerOperator {
  return {
    async perform(request) {
      const how = (await operator.confirm(managerPrompt(request), request.device)) === 'prompted' ? 'prompted' : 'answered';
      if (!request.action) return { how };
      const refused = parseOutcome(await operator.ask(OUTCOME_QUESTION, request.device));
      return refused ? { how, refused } : { how };
    },
    readDmkKcv: (device) => askValue(operator, DMK_KCV_QUESTION, device, parseKcv),
    readAuthPolicy: (device) => askValue(operator, AUTH_POLICY_QUESTION, device, normalizeAuthPolicy),
  };
}

/**
 * A value read off VsmManager's screen: a typo gets the question again (three times, saying why
 * the last answer was not taken), rather than failing a scenario a person was doing well.
 */
async function askValue(operator: Operator, question: Text, device: string, parse: (answer: string) => string): Promise<string> {
  let asked = question;
  for (let attempt = 1; ; attempt++) {
    try {
      return parse(await operator.ask(asked, device));
    } catch (e) {
      if (attempt >= 3) throw e;
      const why = (e as Error).message;
      asked = { zh: `${question.zh}\n（上次的回答无效 not taken: ${why}）`, en: `${question.en}\n(not taken: ${why})` };
    }
  }
}
