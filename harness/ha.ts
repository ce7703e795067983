/**
 * High availability as an application sees it: one cacipher configuration naming several
 * devices, in the file form (`cacipher.ini`) or the string form (`{[LOGGER];…;[HOST1];…}`),
 * opened with the application's own client. Plus a "silent host" that accepts connections and
 * never answers, for timeout scenarios. 127.0.0.1 only.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { EvsmClient, type HostConfig } from '../drivers/evsm/index.ts';
import type { Evidence } from './evidence/evidence.ts';
import { errorText } from './evidence/transcript.ts';

export interface HostEntry {
  host: string;
  port: number;
}

/** `[HOSTn]` sections in order; `timeout` seconds for every host. */
export function cacipherLines(hosts: readonly HostEntry[], timeout = 3): string[] {
  const lines = ['[LOGGER]', 'logsw=error', ''];
  hosts.forEach((h, i) => {
    if (!/^127\./.test(h.host)) throw new Error(`HA scenarios stay on 127.0.0.0/8, got ${h.host}`);
    lines.push(`[HOST${i + 1}]`, 'hsmModel=SJJ1310', 'linkNum=-2', `host=${h.host}`, `port=${h.port}`, `timeout=${timeout}`);
  });
  return lines;
}

/** The file form, written to `path`. */
export function writeCacipherFile(path: string, hosts: readonly HostEntry[], timeout = 3): string {
  writeFileSync(path, `${cacipherLines(hosts, timeout).join('\n')}\n`);
  return path;
}

/** The string form, as handed to the SDK's init call. */
export function cacipherString(hosts: readonly HostEntry[], timeout = 3): string {
  return `{${cacipherLines(hosts, timeout).filter((l) => l !== '').join(';')};}`;
}

/**
 * Opens the application client on a path or string, with a quick health probe so a restarted
 * host rejoins fast. With `evidence`, every command (which host answered, how many tries) goes
 * into the test's transcript under `label`.
 */
export async function openApplicationClient(pathOrString: string, evidence?: Evidence, label = 'app'): Promise<EvsmClient> {
  const client = await EvsmClient.open(pathOrString, { healthIntervalMs: 500, backoff: { initialMs: 100, maxMs: 1000 } });
  client.onCommand((ev) => evidence?.transcript.record(`${label}→${ev.host ?? 'none'}`, ev.command, ev.ok ? 'ok' : errorText(ev.error), undefined, { ms: ev.ms, tries: ev.tries }));
  return client;
}

export function hostEntry(h: HostConfig): HostEntry {
  return { host: h.host, port: h.port };
}

/** A TCP listener on 127.0.0.1 that accepts and never answers (a hung device). */
export async function silentHost(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    // Read and discard: the peer sees a connected, silent device.
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
