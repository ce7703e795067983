/**
 * The operator rehearsal's scripted bench operator (lab/rehearsal-operator.json): it answers
 * each VsmManager prompt by doing what the person would do in VsmManager, through the emulator's
 * management port, which only the rehearsal knows (`rehearsal.operatorManagementPorts`); the
 * harness code under test has no management connection to these devices. It uses the same UKEYs
 * the harness named in the prompt, as a person would insert them, and carries the procedure out
 * with the harness's management driver (harness/procedures/management-driver.ts), without test steps.
 */
import { ManagementError, ManagerClient } from '../../drivers/evsm/manager/index.ts';
import type { Token } from '../../drivers/ukey/index.ts';
import { Evidence } from '../evidence/evidence.ts';
import { invoke, type LoginTokenSource } from '../procedures/driver.ts';
import { ManagementDriver } from '../procedures/management-driver.ts';
import type { ManagerAction, VsmManagerOperator } from '../procedures/operator-driver.ts';
import { DIRECT_RUNNER } from '../procedures/runner.ts';
import { managerPrompt } from './vsm-manager.ts';

export interface ScriptedBenchOptions {
  /** Management endpoint of a device, as the rehearsal started it; undefined when it has none. */
  endpoint(device: string): { host: string; port: number } | undefined;
  /** The test's token source (the pool): logs tokens in as a person enters the PIN. */
  tokens: LoginTokenSource;
  log?: (line: string) => void;
}

/** Hands out exactly the UKEYs the prompt named, in order, as the person inserts them. */
export function replayTokens(queue: readonly Token[], tokens: LoginTokenSource): LoginTokenSource {
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

export function scriptedVsmManager(options: ScriptedBenchOptions): VsmManagerOperator {
  async function connected<T>(device: string, fn: (management: ManagerClient) => Promise<T>): Promise<T> {
    const endpoint = options.endpoint(device);
    if (!endpoint) throw new Error(`scripted bench operator: the rehearsal names no management port for device ${device}`);
    const management = await ManagerClient.connect(endpoint);
    try {
      return await fn(management);
    } finally {
      management.close();
    }
  }
  return {
    async perform(request) {
      options.log?.(`[operator prompt answered by scripted bench operator] ${request.device}: ${managerPrompt(request).en}`);
      const action = request.action;
      if (!action) return { how: 'answered' };
      try {
        await connected(request.device, (management) => act(action, { name: request.device, management }, options.tokens));
      } catch (e) {
        // What a person reads off VsmManager's error dialog and types in; anything else is a rehearsal fault.
        if (!(e instanceof ManagementError) || e.code === 'TRANSPORT' || e.code === 'TIMEOUT') throw e;
        options.log?.(`[scripted bench operator reports] ${request.device}: VsmManager refused: ${e.code}`);
        return { how: 'answered', refused: { code: e.code, message: e.message } };
      }
      return { how: 'answered' };
    },
    // what a person reads off VsmManager's 获取 DMK 校验值 screen
    readDmkKcv: (device) => connected(device, async (management) => (await management.getDmkKcv()).dmkKcv),
    // what a person reads off VsmManager's 设备信息 (device info) screen
    readAuthPolicy: (device) =>
      connected(device, async (management) => {
        const { auth } = await management.getInfo();
        return auth ? `${auth.m}-of-${auth.n}` : 'none';
      }),
  };
}

/** The VsmManager operation itself: the management driver with the UKEYs the prompt named, its own steps not recorded. */
function act(action: ManagerAction, device: { name: string; management: ManagerClient }, tokens: LoginTokenSource): Promise<void> {
  const file = action.file ?? '';
  const driver = new ManagementDriver(device, { evidence: new Evidence(), tokens: replayTokens(action.blanks, tokens), runner: DIRECT_RUNNER, outputPath: () => file });
  return invoke(driver, action);
}
