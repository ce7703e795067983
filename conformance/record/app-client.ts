/**
 * The vendor SDK as an application client: our long-running Java program AppClient
 * (conformance/java/AppClient.java) calls hsmGeneralFinance.getInstance(config) once, then one
 * SDK call per JSON line on stdin, one answer line each (docs/conformance.md, "The application
 * client"). Used by the HA scenarios when the project's applicationClient is `vendor-sdk`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { compileConformance, findSdk } from './java.ts';

export interface SdkAnswer {
  id?: number;
  ok: boolean;
  result?: unknown;
  /** the device's error code as the SDK reported it (-1: not a TAException) */
  code?: number;
  message?: string;
  ms: number;
}

/** A call the SDK answered with an exception. */
export class SdkCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`vendor SDK: ${message} (code ${code})`);
  }
}

export class SdkAppClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (a: SdkAnswer) => void>();
  /** the SDK's own output lines and stderr (last 200), for diagnosis */
  readonly otherOutput: string[] = [];
  private exited: string | undefined;
  /** ms getInstance took, measured in the JVM (JVM start not included) */
  initMs = 0;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  /**
   * Starts AppClient on a cacipher.ini path or the `{…}` string form; resolves once
   * getInstance returned (rejects with the SDK's error when it threw). `cwd`: where the SDK
   * writes its log files.
   */
  static async open(config: string, o: { cwd?: string; readyTimeoutMs?: number } = {}): Promise<SdkAppClient> {
    const sdk = findSdk();
    if (!sdk.ok) throw new Error(sdk.reason);
    const classpath = compileConformance(sdk.jars);
    const child = spawn('java', ['-Dfile.encoding=UTF-8', '-cp', classpath, 'AppClient', '--config', config], { cwd: o.cwd ?? tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new SdkAppClient(child);
    const ready = new Promise<SdkAnswer & { ready?: boolean }>((resolve, reject) => {
      client.waiting.set(0, resolve);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`AppClient exited (${code ?? signal}) before getInstance returned: ${client.otherOutput.slice(-5).join(' | ')}`)));
    });
    createInterface({ input: child.stdout }).on('line', (line) => client.line(line));
    createInterface({ input: child.stderr }).on('line', (line) => client.keep(line));
    child.once('exit', (code, signal) => {
      client.exited = `AppClient exited (${code ?? signal})`;
      for (const [, w] of client.waiting) w({ ok: false, code: -1, message: client.exited, ms: 0 });
      client.waiting.clear();
    });
    const timeout = o.readyTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await Promise.race([ready, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`getInstance did not return within ${timeout} ms`)), timeout)))]);
      if (!r.ready) throw new SdkCallError(r.code ?? -1, `getInstance: ${r.message}`);
      client.initMs = r.ms;
      return client;
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private keep(line: string): void {
    this.otherOutput.push(line);
    if (this.otherOutput.length > 200) this.otherOutput.shift();
  }

  private line(line: string): void {
    if (!line.startsWith('@@APP ')) {
      if (line.trim() !== '') this.keep(line);
      return;
    }
    const a = JSON.parse(line.slice(6)) as SdkAnswer & { ready?: boolean };
    const id = a.ready !== undefined ? 0 : a.id;
    if (id === undefined) return this.keep(line);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.(a);
  }

  /** One SDK call; the answer line (ok or the SDK's exception). */
  call(op: string, fields: Record<string, string | number> = {}): Promise<SdkAnswer> {
    if (this.exited) return Promise.resolve({ ok: false, code: -1, message: this.exited, ms: 0 });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  /** generalCalMAC(1, 8, keyType, key, "", 0, "", pad, data, iv): the MAC hex, or throws SdkCallError. */
  async mac(keyType: string, key: string, data: Buffer, pad: number, iv: string): Promise<string> {
    const a = await this.call('mac', { keyType, key, pad, iv, data: data.toString('hex').toUpperCase() });
    if (!a.ok) throw new SdkCallError(a.code ?? -1, a.message ?? 'failed');
    return String(a.result).toUpperCase();
  }

  /** getDeviceSerial(): one serial per configured host, in the SDK's order. */
  async serials(): Promise<string[]> {
    const a = await this.call('serial');
    if (!a.ok) throw new SdkCallError(a.code ?? -1, a.message ?? 'failed');
    return String(a.result).split(',');
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ id: 0, op: 'quit' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
