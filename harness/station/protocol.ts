/**
 * The operator station's wire shapes (docs/station.md), shared by the station server (runner
 * process), its page and the worker-side client. Everything here is JSON over HTTP on 127.0.0.1.
 *
 * A prompt is created by a worker, shown on the page, answered by the person, and the answer is
 * handed to the worker that waits for it (long-poll). Answers are checked by the station before
 * they are accepted: a bad one is refused with a message for the page and changes nothing.
 *
 * The PIN is the one secret that passes through the station: it travels in the page's POST body
 * and in the answer handed to the waiting worker, and nowhere else (not in the state the page
 * reads, not in a log line, not in a URL); the station forgets it once the worker has it.
 */
import { describeRole } from '../../drivers/ukey/role.ts';
import type { RoleExpectation } from '../../drivers/ukey/token.ts';
import { normalizeAuthPolicy, parseKcv } from '../operator/vsm-manager.ts';
import type { Text } from '../procedures/types.ts';

/** What a value read off VsmManager's screen looks like; the station refuses anything else. */
export type ValueKind = 'kcv' | 'policy' | 'count' | 'progress' | 'text';

/**
 * Prompt kinds:
 *  - `confirm`: do what the text says, then 完成 Done;
 *  - `outcome`: how a VsmManager operation ended: completed, or refused with the code and message shown;
 *  - `value`:   a value read off the screen (`valueKind`);
 *  - `text`:    a free answer, '' allowed (Operator.ask with a question the station has no form for);
 *  - `token`:   insert a UKEY (live detection from the worker) and, once it fits, type its PIN.
 * Every kind also takes `cannot` with a reason (a token prompt: "I do not have this UKEY"): the
 * step fails at once with it.
 */
export type PromptKind = 'confirm' | 'outcome' | 'value' | 'text' | 'token';

/** Where the run is when the prompt is shown (all optional, for the page only). */
export interface PromptContext {
  /** The test (scenario) title, e.g. "KS-01 backup export and restore import". */
  test?: string;
  /** The spec file, e.g. "scenarios/key-sync.spec.ts". */
  file?: string;
  /** The procedure step id, e.g. "backup-export.choose-keys". */
  step?: string;
}

/** A worker's request for a new prompt (POST /api/prompts). */
export interface PromptSpec {
  kind: PromptKind;
  /** The device the step is for ('' when none). */
  device: string;
  text: Text;
  context?: PromptContext;
  /** For `value`. */
  valueKind?: ValueKind;
  /** For `token`: what must be inserted, in words ("KBK share 2 of 3 of backup X (device A)"). */
  expect?: string;
  /** For `token`: the serial, when the harness knows which UKEY it wants. */
  serial?: string;
  /** How long the worker waits once the prompt is shown; the page counts it down. */
  timeoutSeconds?: number;
}

/** A sighting's statuses (the server accepts exactly these). */
export const SIGHTING_STATUSES = ['checking', 'fits', 'wrong', 'unreadable', 'in-use'] as const;
/** The most sightings one report (POST …/seen) may carry. */
export const MAX_SIGHTINGS = 64;

/** What the token layer sees in the slots now, reported by the worker (POST …/seen). */
export interface Sighting {
  serial: string;
  label: string;
  /**
   * `checking`: present, role not read yet; `fits`: the wanted token; `wrong`: refused (message says
   * why); `unreadable`: cannot be opened; `in-use`: taken at an earlier prompt of this run and still
   * held (it is not offered again, so without this it would read "checking" for ever).
   */
  status: (typeof SIGHTING_STATUSES)[number];
  message?: string;
}

/** The PIN the worker waits for (POST …/pin): which token, which attempt. */
export interface PinRequest {
  serial: string;
  label: string;
  kind: 'user' | 'so';
  attempt: number;
}

/** A prompt as the page reads it (GET /api/state). Never holds a PIN. */
export interface PromptView extends PromptSpec {
  id: string;
  createdAt: string;
  /** When the page first showed it (creation, or the resume that released it). */
  shownAt?: string;
  /** `open`: waiting for the person; `answered`: the worker has not collected the answer yet. */
  state: 'open' | 'answered';
  /** Token prompts: what the slots hold now. */
  seen?: Sighting[];
  /** Token prompts: set while a PIN is wanted. */
  pin?: PinRequest;
  /** Lines from the token layer ("PIN incorrect, 2 tries left"). */
  notes: string[];
}

export interface RunProgress {
  title: string;
  total: number;
  done: number;
  failed: number;
  current?: { test: string; file?: string };
}

/** GET /api/state: everything the page shows. */
export interface StationState {
  version: number;
  paused: boolean;
  run: RunProgress;
  prompts: PromptView[];
  /** Prompts created while paused, not shown until resumed. */
  held: number;
  notices: string[];
}

/** Structured answers (POST /api/prompts/ID/answer from the page; handed to the worker). */
export type Answer =
  | { kind: 'completed' }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'value'; valueKind: ValueKind; value: string }
  | { kind: 'text'; value: string }
  /** The person cannot do what is asked (a device will not switch on, VsmManager shows no such value): the step fails with the reason. */
  | { kind: 'cannot'; reason: string }
  | { kind: 'pin'; pin: string };

/** GET /api/prompts/ID/answer: the worker's long-poll. */
export type AnswerPoll = { state: 'pending'; held: boolean } | { state: 'answered'; answer: Answer };

/** A refused answer: the message goes to the page as it is (zh and en). */
export class AnswerError extends Error {}

const CODE = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_TEXT = 500;

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new AnswerError(`${what} 缺失 missing`);
  return v;
}

/** Checks a value read off the screen; returns it normalized (KCV upper-case, no spaces). */
export function checkValue(kind: ValueKind, raw: string): string {
  const v = raw.trim();
  if (kind === 'kcv') {
    if (!v) throw new AnswerError('请输入 VsmManager 显示的校验值 Enter the check value VsmManager shows (16 hex digits)');
    try {
      return parseKcv(v);
    } catch {
      throw new AnswerError(`"${v.slice(0, 40)}" 不是校验值 is not a check value: 16 位十六进制 16 hex digits (0-9, A-F), as VsmManager shows it`);
    }
  }
  if (kind === 'policy') {
    if (!v) throw new AnswerError('请输入 VsmManager 设备信息显示的授权策略 Enter the authorization policy VsmManager\'s device info shows (m-of-n, e.g. 2-of-3)');
    try {
      return normalizeAuthPolicy(v);
    } catch {
      throw new AnswerError(`"${v.slice(0, 40)}" 不是授权策略 is not an authorization policy: m-of-n as VsmManager shows it, e.g. 2-of-3 (1 ≤ m ≤ n)`);
    }
  }
  if (kind === 'count') {
    if (!/^\d{1,7}$/.test(v)) throw new AnswerError(`"${v.slice(0, 40)}" 不是数目 is not a count: a whole number, e.g. 3`);
    return String(Number(v));
  }
  if (kind === 'progress') {
    const m = /^(\d{1,7})\s*\/\s*(\d{1,7})$/.exec(v);
    if (!m || Number(m[1]) > Number(m[2])) throw new AnswerError(`"${v.slice(0, 40)}" 不是进度 is not a progress end: done/total as the bar shows it, e.g. 3/3`);
    return `${Number(m[1])}/${Number(m[2])}`;
  }
  if (!v) throw new AnswerError('请填写 Fill in the value');
  if (v.length > MAX_TEXT) throw new AnswerError(`too long: at most ${MAX_TEXT} characters`);
  return v;
}

/**
 * Checks an answer from the page against the prompt it answers; returns the answer to hand to
 * the worker. Throws AnswerError (shown on the page; the prompt stays as it was).
 */
export function checkAnswer(prompt: PromptView, raw: unknown): Answer {
  if (typeof raw !== 'object' || raw === null) throw new AnswerError('no answer');
  const a = raw as Record<string, unknown>;
  const kind = a.kind;
  if (kind === 'cannot') {
    const reason = str(a.reason ?? '', '原因 reason').trim();
    if (!reason) throw new AnswerError('请说明原因 Say why it cannot be done (it goes into the test result)');
    if (reason.length > MAX_TEXT) throw new AnswerError(`reason too long: at most ${MAX_TEXT} characters`);
    return { kind, reason };
  }
  switch (prompt.kind) {
    case 'confirm':
      if (kind === 'completed') return { kind };
      break;
    case 'outcome':
      if (kind === 'completed') return { kind };
      if (kind === 'refused') {
        const code = str(a.code, '错误码 error code').trim();
        if (!code) throw new AnswerError('请输入 VsmManager 显示的错误码 Enter the error code VsmManager shows (e.g. KBK_SHARES)');
        if (!CODE.test(code)) throw new AnswerError(`"${code.slice(0, 40)}" 不是错误码 is not an error code: letters, digits and _ as VsmManager shows it (e.g. KBK_SHARES)`);
        const message = str(a.message ?? '', '信息 message').trim();
        if (message.length > MAX_TEXT) throw new AnswerError(`message too long: at most ${MAX_TEXT} characters`);
        return { kind, code: code.toUpperCase(), message: message || 'refused (reported by the operator)' };
      }
      break;
    case 'value':
      if (kind === 'value') return { kind, valueKind: prompt.valueKind ?? 'text', value: checkValue(prompt.valueKind ?? 'text', str(a.value, '值 value')) };
      break;
    case 'text':
      if (kind === 'text') {
        const value = str(a.value, '回答 answer').trim();
        if (value.length > MAX_TEXT) throw new AnswerError(`too long: at most ${MAX_TEXT} characters`);
        return { kind, value };
      }
      break;
    case 'token':
      if (kind === 'pin') {
        if (!prompt.pin) throw new AnswerError('还不需要口令 No PIN is wanted yet: insert the UKEY first');
        const pin = str(a.pin, '口令 PIN');
        if (!pin) throw new AnswerError('请输入 UKEY 口令 Enter the PIN of the UKEY');
        if (pin.length > 64) throw new AnswerError('口令过长 PIN too long: at most 64 characters');
        return { kind, pin };
      }
      break;
  }
  throw new AnswerError(`this prompt (${prompt.kind}) takes no "${String(kind).slice(0, 20)}" answer`);
}

/** The words for what a token request wants: "KBK share 2 of 3 of backup X (device A)", "a blank UKEY". */
export function expectedToken(request: { expect?: RoleExpectation; blank?: boolean }): string {
  if (request.expect) return describeRole(request.expect);
  return request.blank ? 'a blank UKEY (no role record)' : 'any UKEY';
}
