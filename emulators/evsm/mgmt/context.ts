/** What management operations work with. */
import type { Device } from '../device/device.ts';
import type { Logger } from '../log.ts';
import type { ChallengeOwner, Challenges } from './auth.ts';
import type { Params } from './params.ts';

export interface RecoverySession {
  n: number;
  components: Buffer[];
  wipedKeys: number;
}

export interface MgmtContext {
  device: Device;
  challenges: Challenges;
  log: Logger;
  recovery: RecoverySession | null;
  /** the connection of the operation running now (one runs at a time): owner of its challenges */
  caller: ChallengeOwner;
}

export interface Progress {
  (phase: string, done: number, total: number): void;
}

export type Op = (ctx: MgmtContext, params: Params, progress: Progress) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Per-key pause for long operations: lets progress events out, and lets tests kill mid-way. */
export async function step(): Promise<void> {
  const ms = Number(process.env.EVSM_EMULATOR_STEP_DELAY_MS ?? '0');
  await new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
}
