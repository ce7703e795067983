/**
 * What a scenario proved, collected while it runs and attached (JSON) when it ends. Attachment
 * names follow the report's convention (reports/evidence.ts): `kcv-table` (KCV per device and
 * index), `dmk-kcv`, `devices`, `token-serials`, `host-transcript`, `procedure-steps`.
 */
import type { TestInfo } from '@playwright/test';
import { Transcript } from './transcript.ts';

export interface DeviceFacts {
  name: string;
  model: string;
  serial: string;
  host: string;
  port: number;
  target: string;
}

export interface KcvRow {
  device: string;
  index: number;
  type?: string;
  algorithm?: string;
  kcv: string | null;
  /** KCV computed independently (sm-crypto) from a known clear key, when there is one. */
  reference?: string;
}

export interface TokenUse {
  serial: string;
  label: string;
  role: string;
  /** e.g. `KBK 1/3`, `component 2/3`. */
  as: string;
  step: string;
}

export interface StepRecord {
  id: string;
  kind: string;
  device: string;
  /** `performed` by the harness, `prompted` to the operator, `answered` by the token pool. */
  how: 'performed' | 'prompted' | 'answered';
  ms: number;
}

export class Evidence {
  readonly transcript = new Transcript();
  readonly devices = new Map<string, DeviceFacts>();
  readonly kcvs: KcvRow[] = [];
  readonly dmkKcvs: Array<{ device: string; kcv: string; when: string }> = [];
  readonly tokens: TokenUse[] = [];
  readonly steps: StepRecord[] = [];
  /** Named facts a scenario wants in the report (counts, progress, refusals). */
  readonly facts: Record<string, unknown> = {};

  device(f: DeviceFacts): void {
    this.devices.set(f.name, f);
  }

  kcv(row: KcvRow): void {
    this.kcvs.push(row);
  }

  token(use: TokenUse): void {
    this.tokens.push(use);
  }

  fact(name: string, value: unknown): void {
    this.facts[name] = value;
  }

  async attach(info: TestInfo): Promise<void> {
    const json = (name: string, v: unknown) => info.attach(name, { body: JSON.stringify(v, null, 2), contentType: 'application/json' });
    if (this.devices.size) await json('devices', [...this.devices.values()]);
    if (this.kcvs.length) await json('kcv-table', this.kcvs);
    if (this.dmkKcvs.length) await json('dmk-kcv', this.dmkKcvs);
    if (this.tokens.length) await json('token-serials', this.tokens);
    if (this.steps.length) await json('procedure-steps', this.steps);
    if (Object.keys(this.facts).length) await json('facts', this.facts);
    if (this.transcript.entries.length) await json('host-transcript', this.transcript.toJSON());
  }
}
