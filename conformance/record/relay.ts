/**
 * A counting TCP relay in front of one device, 127.0.0.1 only: what an application client sent
 * to that device, read on the wire. The vendor SDK shows no host states, so the HA scenarios
 * read "no request reached A after the kill" and "A gets requests again after its restart" here
 * (docs/conformance.md, "The application client").
 *
 * The relay behaves as the device would: a connection is only taken on once the device took
 * the relay's own; while the device is down the relay does not listen at all (a client's
 * connect is refused, as by a dead host) and it probes the device every `probeMs`, listening
 * again on the same port once the device accepts. Requests are counted as they are forwarded,
 * by command code (the first two characters after the header), the SDK's heartbeat `CR0016`
 * apart.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { FrameSplitter } from './frames.ts';
import { dropBoth } from './proxy.ts';

const HOST = '127.0.0.1';
export const HEARTBEAT = 'CR0016';

export interface RelayCounts {
  /** requests other than heartbeats, by command code */
  byCommand: Record<string, number>;
  requests: number;
  heartbeats: number;
  /** connections taken on (the device accepted them too) */
  connections: number;
}

export class CountingRelay {
  private readonly counts = new Map<string, number>();
  private heartbeats = 0;
  private requests = 0;
  private connections = 0;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  private probing: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private server: Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly headerLength: number,
    private readonly probeMs: number,
    private readonly targetHost: string,
  ) {}

  /** `targetHost`: a 127.0.0.0/8 address (default 127.0.0.1); the relay itself listens on 127.0.0.1. */
  static async start(targetPort: number, o: { headerLength?: number; probeMs?: number; targetHost?: string } = {}): Promise<CountingRelay> {
    const targetHost = o.targetHost ?? HOST;
    if (!/^127\./.test(targetHost)) throw new Error(`the relay stays on 127.0.0.0/8, got ${targetHost}`);
    let relay: CountingRelay | undefined;
    const server = createServer((client) => relay?.accept(client));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const a = server.address();
        if (a === null || typeof a === 'string') return reject(new Error('relay: no port'));
        resolve(a.port);
      });
    });
    relay = new CountingRelay(server, port, targetPort, o.headerLength ?? 0, o.probeMs ?? 100, targetHost);
    relay.listening = true;
    return relay;
  }

  /** A copy of the counts so far. */
  snapshot(): RelayCounts {
    return { byCommand: Object.fromEntries(this.counts), requests: this.requests, heartbeats: this.heartbeats, connections: this.connections };
  }

  /** requests of one command code (e.g. `S0`) forwarded so far */
  of(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  /** whether the relay currently listens (the device was reachable at the last look) */
  get up(): boolean {
    return this.listening;
  }

  private accept(client: Socket): void {
    client.pause();
    client.on('error', () => undefined);
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    upstream.on('error', () => undefined);
    upstream.once('error', () => {
      // The device is gone: this client is reset, the next ones are refused.
      client.resetAndDestroy();
      this.deviceDown();
    });
    upstream.once('connect', () => {
      this.connections++;
      this.sockets.add(client).add(upstream);
      const frames = new FrameSplitter();
      client.on('data', (chunk: Buffer) => {
        for (const f of frames.push(chunk)) this.count(f.subarray(this.headerLength).toString('latin1'));
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const drop = dropBoth(this.sockets, client, upstream);
      client.on('close', drop);
      upstream.on('close', () => {
        drop();
        this.check();
      });
      client.resume();
    });
  }

  private count(request: string): void {
    if (request === HEARTBEAT) {
      this.heartbeats++;
      return;
    }
    this.requests++;
    const code = request.slice(0, 2);
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  /** After a device connection closed: is the device still there? */
  private check(): void {
    if (this.closed || !this.listening) return;
    const probe = createConnection({ host: this.targetHost, port: this.targetPort });
    probe.once('connect', () => probe.destroy());
    probe.once('error', () => this.deviceDown());
  }

  private deviceDown(): void {
    if (this.closed || !this.listening) return;
    this.listening = false;
    this.server.close();
    this.probing = setInterval(() => {
      const probe = createConnection({ host: this.targetHost, port: this.targetPort });
      probe.once('error', () => undefined);
      probe.once('connect', () => {
        probe.destroy();
        if (this.closed || this.listening || !this.probing) return;
        clearInterval(this.probing);
        this.probing = undefined;
        // A new server on the same port: the old one may still be closing.
        const server = createServer((client) => this.accept(client));
        server.once('error', () => this.deviceDownLater());
        server.listen(this.port, HOST, () => {
          this.server = server;
          this.listening = true;
          if (this.closed) void this.close();
        });
      });
    }, this.probeMs);
  }

  /** The port could not be taken again yet: keep probing. */
  private deviceDownLater(): void {
    this.listening = true;
    this.deviceDown();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.probing) clearInterval(this.probing);
    for (const s of this.sockets) s.destroy();
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
