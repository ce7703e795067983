/**
 * Recording TCP proxy: 127.0.0.1:P → a device on 127.0.0.1. Bytes pass through unchanged, in
 * both directions, as they arrive; on the side each direction is split into frames and every
 * answer is paired with the oldest unanswered request of its connection. The exchange is
 * reported (onExchange) BEFORE the answer is forwarded, so by the time the SDK has read an
 * answer, the recorder has seen it.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { FrameSplitter } from './frames.ts';

export interface Exchange<Tag> {
  /** connection number, from 1, in accept order */
  conn: number;
  /** the message header (msgheadlength bytes) of the request */
  header: Buffer;
  /** payload after length and header */
  request: Buffer;
  response: Buffer;
  /** what tagRequest() returned when the request arrived (the call it belongs to) */
  tag: Tag;
}

export interface ProxyOptions<Tag> {
  targetPort: number;
  headerLength: number;
  /** called for each request as it arrives: the tag its exchange will carry */
  tagRequest: () => Tag;
  onExchange: (e: Exchange<Tag>) => void;
}

const HOST = '127.0.0.1';

export class RecordingProxy<Tag> {
  private readonly sockets = new Set<Socket>();
  private connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start<Tag>(opts: ProxyOptions<Tag>): Promise<RecordingProxy<Tag>> {
    let proxy: RecordingProxy<Tag> | undefined;
    const server = createServer((client) => proxy?.accept(client, opts));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('proxy: no port'));
        proxy = new RecordingProxy<Tag>(server, addr.port);
        resolve(proxy);
      });
    });
  }

  private accept(client: Socket, opts: ProxyOptions<Tag>): void {
    const conn = ++this.connections;
    const upstream = createConnection({ host: HOST, port: opts.targetPort });
    this.sockets.add(client).add(upstream);
    const pending: Array<{ header: Buffer; request: Buffer; tag: Tag }> = [];
    const fromClient = new FrameSplitter();
    const fromDevice = new FrameSplitter();
    const h = opts.headerLength;
    client.on('data', (chunk: Buffer) => {
      for (const f of fromClient.push(chunk)) pending.push({ header: f.subarray(0, h), request: f.subarray(h), tag: opts.tagRequest() });
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const f of fromDevice.push(chunk)) {
        const p = pending.shift();
        // An answer without a request cannot happen with a conforming device; keep it visible.
        opts.onExchange({ conn, header: p?.header ?? Buffer.alloc(0), request: p?.request ?? Buffer.alloc(0), response: f.subarray(h), tag: p ? p.tag : opts.tagRequest() });
      }
      client.write(chunk);
    });
    const drop = dropBoth(this.sockets, client, upstream);
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Closes a client connection and its device connection together and forgets both. */
export function dropBoth(sockets: Set<Socket>, client: Socket, upstream: Socket): () => void {
  return () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
}
