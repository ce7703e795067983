/** Free TCP ports on 127.0.0.1, asked from the kernel (bind to 0, read, close). */
import { createServer, type Server } from 'node:net';

function listenAnywhere(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** n distinct free ports (all held until every one is known, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  if (n === 0) return [];
  const servers = await Promise.all(Array.from({ length: n }, listenAnywhere));
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (ports.includes(0)) throw new Error('no free port on 127.0.0.1');
  return ports;
}
