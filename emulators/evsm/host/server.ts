/**
 * The host-protocol listeners (TCP, and TLS with the same protocol inside). Answers go out in
 * request order; each request is handled synchronously, so one connection cannot starve others
 * for longer than one command.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Device } from '../device/device.ts';
import type { Logger } from '../log.ts';
import { dispatch, oversizedAnswer } from './dispatch.ts';
import { FrameSplitter, frame } from './frame.ts';

export interface HostServerOptions {
  device: Device;
  headerLength: number;
  log: Logger;
}

function serveConnection(socket: Socket, opts: HostServerOptions): void {
  const splitter = new FrameSplitter(opts.headerLength + 2);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    const out: Buffer[] = [];
    for (const ev of splitter.push(chunk)) {
      if (ev.kind === 'oversized') {
        opts.log.debug(`host: frame of ${ev.length} bytes over the limit, answered 80`);
        out.push(frame(oversizedAnswer(ev.head, opts.headerLength)));
        continue;
      }
      const r = dispatch({ device: opts.device }, ev.body, opts.headerLength);
      // The request may have carried clear components: do not leave them in memory.
      ev.body.fill(0);
      if (r.error !== '00') opts.log.debug(`host: ${r.command} → ${r.error} (${r.reason ?? ''})`);
      out.push(frame(r.answer));
    }
    if (out.length) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function createHostServer(opts: HostServerOptions): Server {
  return createServer((s) => serveConnection(s, opts));
}

export function createHostTlsServer(opts: HostServerOptions, tls: Pick<TlsOptions, 'cert' | 'key'>): Server {
  return createTlsServer({ ...tls, minVersion: 'TLSv1.2' }, (s) => serveConnection(s, opts));
}
