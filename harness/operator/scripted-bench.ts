/**
 * The operator rehearsal's scripted bench operator (lab/rehearsal-operator.json): it answers
 * each VsmManager prompt by doing what the person would do in VsmManager, through the emulator's
 * management port, which only the rehearsal knows (`rehearsal.operatorManagementPorts`); the
 * harness code under test has no management connection to these devices. It uses the same UKEYs
 * the harness named in the prompt, as a person would insert them, and performs the operation with
 * the harness's own automatic procedures (harness/procedures/perform.ts), without test steps.
 */
import { ManagementError, ManagerClient } from '../../drivers/evsm/manager/index.ts';
import type { Token, TokenSource } from '../../drivers/ukey/token.ts';
import { Evidence } from '../evidence/evidence.ts';
import { Procedures } from '../procedures/perform.ts';
import type { Procedure } from '../procedures/types.ts';
import { managerPrompt, type ManagerAction, type VsmManagerOperator } from './vsm-manager.ts';

export interface ScriptedBenchOptions {
  /** Management endpoint of a device, as the rehearsal started it; undefined when it has none. */
  endpoint(device: string): { host: string; port: number } | undefined;
  /** The test's token source (the pool): logs tokens in as a person enters the PIN. */
  tokens: TokenSource & { loginToken(token: Token): Promise<void> };
  log?: (line: string) => void;
}

/** Hands out exactly the UKEYs the prompt named, in order, as the person inserts them. */
export function replayTokens(queue: readonly Token[], tokens: ScriptedBenchOptions['tokens']): TokenSource & { loginToken(token: Token): Promise<void> } {
  const left = [...queue];
  return {
    async acquire(request) {
      const t = left.shift();
      if (!t) throw new Error(`scripted bench operator: no UKEY left for "${request.instruction}"`);
      if (!t.loggedIn) await tokens.loginToken(t);
      return t;
    },
    async release() {},
    async close() {},
    loginToken: (t) => tokens.loginToken(t),
  };
}

/** Steps done directly: the harness already shows each step; the operator's clicks are not steps. */
const direct = { step: <T>(_p: Procedure, _s: string, _d: string, perform: () => Promise<T>): Promise<T> => perform() };

export function scriptedVsmManager(options: ScriptedBenchOptions): VsmManagerOperator {
  return {
    async perform(request) {
      options.log?.(`[operator prompt answered by scripted bench operator] ${request.device}: ${managerPrompt(request).en}`);
      if (!request.action) return { how: 'answered' };
      const endpoint = options.endpoint(request.device);
      if (!endpoint) throw new Error(`scripted bench operator: the rehearsal names no management port for device ${request.device}`);
      const management = await ManagerClient.connect(endpoint);
      try {
        await act(request.action, { name: request.device, management }, options.tokens);
      } catch (e) {
        // What a person reads off VsmManager's error dialog and types in; anything else is a rehearsal fault.
        if (!(e instanceof ManagementError) || e.code === 'TRANSPORT' || e.code === 'TIMEOUT') throw e;
        options.log?.(`[scripted bench operator reports] ${request.device}: VsmManager refused: ${e.code}`);
        return { how: 'answered', refused: { code: e.code, message: e.message } };
      } finally {
        management.close();
      }
      return { how: 'answered' };
    },
    async readDmkKcv(device) {
      // what a person reads off VsmManager's 获取 DMK 校验值 screen
      const endpoint = options.endpoint(device);
      if (!endpoint) throw new Error(`scripted bench operator: the rehearsal names no management port for device ${device}`);
      const management = await ManagerClient.connect(endpoint);
      try {
        return (await management.getDmkKcv()).dmkKcv;
      } finally {
        management.close();
      }
    },
  };
}

async function act(action: ManagerAction, device: { name: string; management: ManagerClient }, tokens: ScriptedBenchOptions['tokens']): Promise<void> {
  const proc = (queue: Token[], file = '') =>
    new Procedures({ evidence: new Evidence(), tokens: replayTokens(queue, tokens), runner: direct, outputPath: () => file });
  switch (action.kind) {
    case 'original-init':
      await proc([...action.components, ...action.authTokens]).originalInit(device, { components: action.components.length, threshold: action.threshold, authTokens: action.authTokens.length });
      return;
    case 'recovery-init':
      await proc([]).recoveryInit(device, { components: action.components, auth: { sync: action.syncAuthFrom } });
      return;
    case 'backup-export':
      await proc(action.kbk, action.file).backupExport(device, { indices: action.indices, auth: action.auth, to: 'file' });
      return;
    case 'restore-import':
      await proc([]).restoreImport(device, { kbk: action.kbk, backup: { file: action.file }, auth: action.auth });
      return;
  }
}
