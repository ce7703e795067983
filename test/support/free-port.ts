/** TCP ports free on 127.0.0.1 now, for tests that must name a port before the server starts. */
import { createServer, type Server } from 'node:net';

/** A port the kernel hands out for a listener now (listened on once and closed). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `n` different ports the kernel hands out for listeners now (all held open at once, so none twice, then closed). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  })));
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/** Whether a listener can open 127.0.0.1:`port` now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports of block `block` (blocks of `size` from `first`), each free now; a
 * block with one in use (another run on this machine) gives way to the one `size` × `parts`
 * further on. For runs started side by side that must name their ports before their servers
 * start: two free-port probes at the same moment can draw the same port (it is free until a
 * server binds it), two parts with their own block numbers cannot. Keep `first` below the kernel's
 * ephemeral range (32768 up on Linux): a port there can be taken as the local port of an outgoing
 * connection between the probe and the bind, which then fails with EADDRINUSE.
 */
export async function freePortBlock(o: { first: number; size: number; block: number; parts: number; count: number; tries?: number }): Promise<number[]> {
  if (o.count > o.size) throw new Error(`freePortBlock: ${o.count} ports do not fit a block of ${o.size}`);
  for (let attempt = 0; attempt < (o.tries ?? 10); attempt++) {
    const start = o.first + (attempt * o.parts + o.block) * o.size;
    const ports = Array.from({ length: o.count }, (_, i) => start + i);
    if (ports.at(-1)! > 65535) break;
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return ports;
  }
  throw new Error(`no block of ${o.count} free ports from ${o.first} for part ${o.block}: stop what listens there (another run?)`);
}
