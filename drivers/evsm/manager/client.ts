/**
 * Typed client of the EVSM management protocol (docs/management-protocol.md): what the
 * VsmManager operator tool does. Token-agnostic: it moves sealed components, share envelopes,
 * public keys and signatures; the harness glues tokens to it.
 */
import { connect, type Socket } from 'node:net';
import { buildAuthorization, type Signer } from './auth.ts';
import type {
  Authorization,
  BackupExportParams,
  BackupExportResult,
  Challenge,
  CombineResult,
  DeviceInfo,
  ExportDmkComponentsParams,
  ExportDmkComponentsResult,
  Hex,
  ImportComponentResult,
  ManagementErrorCode,
  NewAuthResult,
  OriginalInitParams,
  OriginalInitResult,
  ProgressEvent,
  RecoveryBeginParams,
  RecoveryBeginResult,
  RestoreImportParams,
  RestoreImportResult,
  SyncAuthResult,
} from './types.ts';

/** A refusal from the device (its code and message), or a transport failure (code TRANSPORT). */
export class ManagementError extends Error {
  constructor(
    readonly code: ManagementErrorCode | 'TRANSPORT' | 'TIMEOUT',
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${code}: ${message}`);
    this.name = 'ManagementError';
  }
}

interface Pending {
  op: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (e: ProgressEvent) => void;
  timer?: NodeJS.Timeout;
}

interface Reply {
  id?: number;
  event?: string;
  ok?: boolean;
  result?: unknown;
  error?: { code: ManagementErrorCode; message: string };
  phase?: string;
  done?: number;
  total?: number;
}

export interface ManagerConnectOptions {
  port: number;
  host?: string;
  /** ms without an answer or a progress event before an operation fails with TIMEOUT (default 120 000) */
  timeoutMs?: number;
}

/** Opens one TCP connection to a management port; a refused or unreachable port is a TRANSPORT error. */
function openSocket(host: string, port: number, op: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => reject(new ManagementError('TRANSPORT', op, `cannot reach the management port ${host}:${port}: ${e.message}`)));
  });
}

/**
 * One management connection. The device may close it between operations (its idle timeout, a
 * restart): the next call then connects again, because no state of the protocol lives in a
 * connection between operations (a challenge is fetched and spent by one authorize + call, and the
 * recovery session is the device's). Operations pending when the connection is lost fail at once
 * with TRANSPORT and the reason, never by waiting out their timeout.
 */
export class ManagerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  private closed = false;
  /** Why the current socket is gone (undefined while it is up). */
  private lost: string | undefined;
  private reconnecting: Promise<void> | undefined;

  private constructor(
    private socket: Socket,
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  static async connect(opts: ManagerConnectOptions): Promise<ManagerClient> {
    const host = opts.host ?? '127.0.0.1';
    return new ManagerClient(await openSocket(host, opts.port, 'connect'), host, opts.port, opts.timeoutMs ?? 120_000);
  }

  private attach(socket: Socket): void {
    this.buffered = Buffer.alloc(0);
    this.lost = undefined;
    socket.on('data', (d: Buffer) => {
      if (socket === this.socket) this.onData(d);
    });
    const gone = (why: string) => {
      if (socket !== this.socket || this.lost) return;
      this.lost = why;
      this.failAll(why);
    };
    socket.on('close', () => gone('connection closed by the device (its idle timeout, a restart or a crash)'));
    socket.on('error', (e) => gone(`connection to the device lost (${e.message}): it closed the connection, restarted or died`));
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  private failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ManagementError('TRANSPORT', p.op, why));
      this.pending.delete(id);
    }
  }

  /** A new socket when the device closed the last one; concurrent callers share one attempt. */
  private ensureConnected(op: string): Promise<void> {
    if (!this.lost) return Promise.resolve();
    this.reconnecting ??= openSocket(this.host, this.port, op)
      .then((s) => {
        if (this.closed) {
          s.destroy();
          return;
        }
        this.socket = s;
        this.attach(s);
      })
      .finally(() => {
        this.reconnecting = undefined;
      });
    return this.reconnecting;
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
    while (this.buffered.length >= 4) {
      const n = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + n) break;
      const text = this.buffered.subarray(4, 4 + n).toString('utf8');
      this.buffered = this.buffered.subarray(4 + n);
      let reply: Reply;
      try {
        reply = JSON.parse(text) as Reply;
      } catch {
        // The stream can no longer be trusted: fail everything and drop the connection.
        this.lost = 'the device sent a frame that is not JSON';
        this.failAll(this.lost);
        this.socket.destroy();
        return;
      }
      this.onReply(reply);
    }
  }

  private onReply(r: Reply): void {
    const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined;
    if (!p) return;
    if (r.event === 'progress') {
      this.arm(r.id as number, p); // a device that reports progress is alive: restart the clock
      p.onProgress?.({ phase: r.phase ?? '', done: r.done ?? 0, total: r.total ?? 0 });
      return;
    }
    this.pending.delete(r.id as number);
    clearTimeout(p.timer);
    if (r.ok) p.resolve(r.result);
    else p.reject(new ManagementError(r.error?.code ?? 'INTERNAL', p.op, r.error?.message ?? 'refused without a message'));
  }

  /** (Re)starts the no-answer timer of one pending operation. */
  private arm(id: number, p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.pending.delete(id);
      p.reject(new ManagementError('TIMEOUT', p.op, `no answer or progress within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
  }

  /** Sends one operation; resolves with its result or rejects with ManagementError. */
  async call<T>(op: string, params: object = {}, onProgress?: (e: ProgressEvent) => void): Promise<T> {
    if (this.closed) throw new ManagementError('TRANSPORT', op, 'client is closed');
    await this.ensureConnected(op);
    if (this.closed) throw new ManagementError('TRANSPORT', op, 'client is closed'); // closed while it reconnected
    const id = this.nextId++;
    const body = Buffer.from(JSON.stringify({ id, op, params }), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { op, resolve: resolve as (v: unknown) => void, reject, onProgress };
      this.pending.set(id, p);
      this.arm(id, p);
      this.socket.write(Buffer.concat([head, body]));
    });
  }

  getInfo(): Promise<DeviceInfo> {
    return this.call('getInfo');
  }
  getChallenge(): Promise<Challenge> {
    return this.call('getChallenge');
  }
  getDmkKcv(): Promise<{ dmkKcv: string }> {
    return this.call('getDmkKcv');
  }
  getAuthInfo(): Promise<{ authInfo: Hex }> {
    return this.call('getAuthInfo');
  }
  originalInit(p: OriginalInitParams): Promise<OriginalInitResult> {
    return this.call('originalInit', p);
  }
  recoveryBegin(p: RecoveryBeginParams): Promise<RecoveryBeginResult> {
    return this.call('recoveryBegin', p);
  }
  importComponent(p: { encrypted: Hex }): Promise<ImportComponentResult> {
    return this.call('importComponent', p);
  }
  combine(): Promise<CombineResult> {
    return this.call('combine');
  }
  syncAuth(p: { authInfo: Hex }): Promise<SyncAuthResult> {
    return this.call('syncAuth', p);
  }
  newAuth(p: { publicKey: Hex }): Promise<NewAuthResult> {
    return this.call('newAuth', p);
  }
  exportDmkComponents(p: ExportDmkComponentsParams): Promise<ExportDmkComponentsResult> {
    return this.call('exportDmkComponents', p);
  }
  backupExport(p: BackupExportParams, onProgress?: (e: ProgressEvent) => void): Promise<BackupExportResult> {
    return this.call('backupExport', p, onProgress);
  }
  restoreImport(p: RestoreImportParams, onProgress?: (e: ProgressEvent) => void): Promise<RestoreImportResult> {
    return this.call('restoreImport', p, onProgress);
  }

  /** getInfo + getChallenge + signatures: a ready `authorization` for `op` on this device. */
  async authorize(op: string, signers: readonly Signer[]): Promise<Authorization> {
    const [{ deviceId }, { challenge }] = await Promise.all([this.getInfo(), this.getChallenge()]);
    return buildAuthorization(op, deviceId, challenge, signers);
  }
}
