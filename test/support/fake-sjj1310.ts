/**
 * A small in-test device for the client's unit tests: it frames like an SJJ1310 (2-byte length,
 * `headerLength` echoed header), answers NC and the CR heartbeat by itself, echoes B2, and hands
 * every other command to a behaviour. No crypto; 127.0.0.1 only.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { FrameReader, encodeFrame } from '../../drivers/evsm/wire/frame.ts';
import { responseCodeFor } from '../../drivers/evsm/commands/codec.ts';

/** What follows the response code (`00` + fields, or an error code), or a special action. */
export type Reply = string | Buffer | 'silent' | 'hangup' | { raw: Buffer };
export type Behaviour = (code: string, body: Buffer, socket: Socket) => Reply;

export interface Received {
  code: string;
  /** The request without header, as text. */
  text: string;
  header: string;
  socket: Socket;
}

export class FakeSjj1310 {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  readonly received: Received[] = [];
  /** Connections accepted so far. */
  accepted = 0;
  /** Serial in the NC answer (the last 12 characters). */
  serial = 'ABCDEF123456';
  /** NC answer override after the response code (e.g. `68`). */
  ncReply: Reply | undefined;
  /** Heartbeat answer override after the response code (e.g. `41`, or 'silent'). */
  heartbeatReply: Reply | undefined;
  /** When set, answers carry this header instead of echoing the request's. */
  wrongHeader: string | undefined;

  constructor(
    private behaviour: Behaviour = () => '00',
    readonly headerLength = 0,
    tlsFiles?: { cert: string; key: string },
  ) {
    const onSocket = (socket: Socket): void => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const reader = new FrameReader();
      socket.on('data', (chunk) => {
        for (const msg of reader.push(chunk)) if (this.onMessage(msg, socket) === 'closed') return;
      });
    };
    this.server = tlsFiles
      ? createTlsServer({ cert: readFileSync(tlsFiles.cert), key: readFileSync(tlsFiles.key), minVersion: 'TLSv1.2' }, onSocket)
      : createServer(onSocket);
  }

  private onMessage(msg: Buffer, socket: Socket): 'closed' | undefined {
    const header = msg.subarray(0, this.headerLength);
    const code = msg.subarray(this.headerLength, this.headerLength + 2).toString('latin1');
    const body = msg.subarray(this.headerLength + 2);
    this.received.push({ code, text: msg.subarray(this.headerLength).toString('latin1'), header: header.toString('latin1'), socket });
    const reply = this.replyTo(code, body, socket);
    if (reply === 'silent') return undefined;
    if (reply === 'hangup') {
      socket.destroy();
      return 'closed';
    }
    const head = this.wrongHeader !== undefined ? Buffer.from(this.wrongHeader, 'latin1') : header;
    const answer =
      typeof reply === 'object' && !Buffer.isBuffer(reply)
        ? reply.raw
        : Buffer.concat([head, Buffer.from(responseCodeFor(code), 'latin1'), typeof reply === 'string' ? Buffer.from(reply, 'latin1') : reply]);
    socket.write(encodeFrame(answer));
    return undefined;
  }

  private replyTo(code: string, body: Buffer, socket: Socket): Reply {
    if (code === 'NC') return this.ncReply ?? `00${'0'.repeat(16)}EVSM01.00${this.serial}`;
    if (code === 'CR' && body.toString('latin1') === '0016' && this.heartbeatReply !== undefined) return this.heartbeatReply;
    if (code === 'CR' && body.toString('latin1') === '0016') return Buffer.concat([Buffer.from('00'), Buffer.alloc(16, 0x5a)]);
    if (code === 'B2') return Buffer.concat([Buffer.from('00'), body.subarray(4)]);
    return this.behaviour(code, body, socket);
  }

  setBehaviour(b: Behaviour): void {
    this.behaviour = b;
  }

  /** Requests of `code` received (heartbeats are CR with body 0016). */
  count(code: string, text?: string): number {
    return this.received.filter((r) => r.code === code && (text === undefined || r.text === text)).length;
  }

  heartbeats(): number {
    return this.count('CR', 'CR0016');
  }

  /** Requests other than NC and heartbeats, as text. */
  commands(): string[] {
    return this.received.filter((r) => r.code !== 'NC' && r.text !== 'CR0016').map((r) => r.text);
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A port nothing listens on: bind, note it, close. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `{[HOST1];…;[HOSTn];…}` for ports on 127.0.0.1 with `extra` keys on every host. */
export function hostsConfig(ports: number[], extra = 'timeout=2'): string {
  return `{${ports.map((p, i) => `[HOST${i + 1}];hsmModel=SJJ1310;host=127.0.0.1;port=${p};${extra};`).join('')}}`;
}

/** Resolves when `pred` holds, polling every 10 ms. */
export function until(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
