/**
 * One socket to one device (TCP or TLSv1.2), carrying one request at a time. Why one at a time:
 * Racal-style devices answer in order per connection, and a strict request/answer rhythm means an
 * answer is always the pending request's. The `msgheadlength` header is the same for every
 * request of a client (as the vendor SDK's), so after a read timeout the socket is destroyed: a
 * late answer must never be read as the next request's.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { EvsmHostError, EvsmProtocolError, type HostFailureReason } from '../errors.ts';
import type { HostConfig } from '../config/types.ts';
import { encodeFrame, FrameReader } from './frame.ts';

export interface ConnectTarget {
  /** `HOSTn host:port`, used in every message about this connection. */
  label: string;
  host: string;
  port: number;
  socketProtocol: HostConfig['socketProtocol'];
  tls?: HostConfig['tls'];
  /** The `msgheadlength` header sent after the length and echoed by the device ('' = none). */
  header: string;
}

interface Pending {
  header: string;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  sent: boolean;
}

/** Maps a socket error to the failure kinds the pool and failover reason about. */
export function classifySocketError(err: NodeJS.ErrnoException): HostFailureReason {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code)) return 'tls';
  return 'reset';
}

function tlsOptions(target: ConnectTarget): ConnectionOptions {
  const t = target.tls ?? {};
  const isIp = /^[\d.]+$|:/.test(target.host);
  const opts: ConnectionOptions = { host: target.host, port: target.port, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
  // Node rejects explicit `undefined` for some of these, so only set what is configured.
  if (t.caFile) opts.ca = readFileSync(t.caFile);
  if (t.certFile) opts.cert = readFileSync(t.certFile);
  if (t.keyFile) opts.key = readFileSync(t.keyFile);
  // SNI may not carry an IP address.
  const sni = t.serverName ?? (isIp ? undefined : target.host);
  if (sni) opts.servername = sni;
  if (t.serverName) {
    const wanted = t.serverName;
    // With an IP in `host`, the certificate is checked against the configured name instead.
    opts.checkServerIdentity = (_host, cert) => checkServerIdentity(wanted, cert);
  }
  return opts;
}

export class HostConnection {
  private readonly reader = new FrameReader();
  private pending: Pending | undefined;
  private closed = false;
  private readonly closeListeners: Array<(err: EvsmHostError) => void> = [];

  private constructor(
    readonly target: ConnectTarget,
    private readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(new EvsmHostError(target.label, classifySocketError(err), this.pending?.sent ?? false, err.message, err)),
    );
    socket.on('close', () =>
      this.fail(new EvsmHostError(target.label, 'closed', this.pending?.sent ?? false, 'connection closed by the device')),
    );
  }

  /** Opens a connection within `timeoutMs`; rejects with an EvsmHostError (refused, timeout, tls). */
  static open(target: ConnectTarget, timeoutMs: number): Promise<HostConnection> {
    return new Promise((resolve, reject) => {
      const secure = target.socketProtocol === 'TLSv1.2';
      let tlsOpts: ConnectionOptions | undefined;
      try {
        tlsOpts = secure ? tlsOptions(target) : undefined;
      } catch (err) {
        reject(new EvsmHostError(target.label, 'tls', false, `cannot read TLS files: ${(err as Error).message}`, err));
        return;
      }
      let socket: Socket;
      try {
        socket = tlsOpts ? tlsConnect(tlsOpts) : tcpConnect({ host: target.host, port: target.port });
      } catch (err) {
        // Bad TLS options throw synchronously; report them as this host's TLS failure.
        reject(new EvsmHostError(target.label, secure ? 'tls' : 'refused', false, (err as Error).message, err));
        return;
      }
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new EvsmHostError(target.label, 'connect-timeout', false, `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new EvsmHostError(target.label, classifySocketError(err), false, err.message, err));
      };
      socket.once('error', onError);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new HostConnection(target, socket));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  onClose(listener: (err: EvsmHostError) => void): void {
    this.closeListeners.push(listener);
  }

  /**
   * Sends one message (command code + fields, without header) and resolves with the answer after
   * the echoed header. Rejects with EvsmHostError on timeout, loss or an answer under 4 bytes
   * (the SDK too treats those as transport failures), EvsmProtocolError on a mismatched header.
   */
  request(message: Buffer, readTimeoutMs: number): Promise<Buffer> {
    if (this.closed) {
      return Promise.reject(new EvsmHostError(this.target.label, 'closed', false, 'connection already closed'));
    }
    if (this.pending) {
      return Promise.reject(new Error('HostConnection.request while another request is pending (pool bug)'));
    }
    const header = this.target.header;
    let frame: Buffer;
    try {
      frame = encodeFrame(Buffer.concat([Buffer.from(header, 'latin1'), message]));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new EvsmHostError(this.target.label, 'read-timeout', true, `no answer within ${readTimeoutMs} ms`));
      }, readTimeoutMs);
      // From the write on, the device may act on the request: failures now count as "sent".
      this.pending = { header, resolve, reject, timer, sent: true };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.fail(new EvsmHostError(this.target.label, 'client-closed', this.pending?.sent ?? false, 'closed by the client'));
  }

  /** Drops the connection because its host was marked down; a waiting request fails with `down`. */
  abandon(detail: string): void {
    this.fail(new EvsmHostError(this.target.label, 'down', this.pending?.sent ?? false, detail));
  }

  private onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      this.fail(new EvsmHostError(this.target.label, 'reset', true, (err as Error).message));
      return;
    }
    for (const message of messages) {
      const p = this.pending;
      if (!p) {
        // An answer nobody waits for means the stream is out of step: never guess, start afresh.
        this.fail(new EvsmHostError(this.target.label, 'reset', false, 'unsolicited answer from the device'));
        return;
      }
      const headerLength = p.header.length;
      const header = message.subarray(0, headerLength).toString('latin1');
      if (header !== p.header || message.length < headerLength) {
        // The caller learns the protocol fault; the pool learns the socket is gone.
        this.pending = undefined;
        clearTimeout(p.timer);
        p.reject(new EvsmProtocolError(`${this.target.label}: answer header "${header}" does not echo request header "${p.header}"`));
        this.fail(new EvsmHostError(this.target.label, 'reset', true, 'answer header mismatch; connection dropped'));
        return;
      }
      const body = message.subarray(headerLength);
      if (body.length < 4) {
        // Shorter than response code + error code: the SDK closes and reconnects; so do we.
        this.fail(new EvsmHostError(this.target.label, 'reset', true, `answer of ${body.length} bytes (under 4)`));
        return;
      }
      this.pending = undefined;
      clearTimeout(p.timer);
      p.resolve(body);
    }
  }

  private fail(err: EvsmHostError): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    if (!this.closed) {
      this.destroy();
      for (const l of this.closeListeners) l(err);
    }
  }

  private destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
