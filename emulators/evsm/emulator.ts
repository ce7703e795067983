/**
 * One running device: its state, the host listener(s) and the management listener.
 * Used by the program (cli.ts) and, in-process, by fine-grained tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { EmulatorOptions } from './args.ts';
import { ConnectionGate, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MGMT_CONNECTIONS, fitCaps, openFileLimit } from './connections.ts';
import { Device } from './device/device.ts';
import { applyInit, type InitRequest } from './dmk-init.ts';
import { createHostServer, createHostTlsServer, listen } from './host/server.ts';
import { createMgmtServer } from './mgmt/server.ts';
import { HostWorkers, WORKER_COMMANDS } from './host/workers.ts';
import { type Logger, silentLogger } from './log.ts';

export interface RunningEmulator {
  device: Device;
  port: number;
  mgmtPort: number;
  tlsPort?: number;
  /** open connections per port group, for tests and the soak bench */
  connections(): { host: number; mgmt: number };
  close(): Promise<void>;
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

/** Tracks sockets so a stop can drop them: close() alone would wait for idle clients. */
function trackSockets(s: Server): () => void {
  const open = new Set<Socket>();
  s.on('connection', (c) => {
    open.add(c);
    c.on('close', () => open.delete(c));
  });
  return () => {
    for (const c of open) c.destroy();
  };
}

/**
 * The file a host worker thread runs: program.ts beside this module when running from source;
 * in the esbuild bundle (one file, no program.ts beside it) the bundle itself, whose entry is
 * program.ts. program.ts starts the worker side when it sees the worker's role.
 */
function workerScriptOf(): URL {
  const source = new URL('./program.ts', import.meta.url);
  return existsSync(source) ? source : new URL(import.meta.url);
}

export async function startEmulator(opts: EmulatorOptions & { init?: InitRequest }, log: Logger = silentLogger): Promise<RunningEmulator> {
  const device = new Device(opts.dataDir, opts.name);
  const servers: Array<{ server: Server; drop: () => void }> = [];
  let workers: HostWorkers | undefined;
  try {
    // Before any listener: a device that must be initialized never answers as a factory one.
    if (opts.init && applyInit(device, opts.init).changed) {
      await device.settled();
      log.info(`initialized at start (${opts.init.kind === 'random' ? 'random DMK' : `DMK from ${opts.init.components.length} components`}): DMK check value ${device.dmkKcv()}`);
    }
    const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_S * 1000;
    const caps = fitCaps(opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS, opts.maxMgmtConnections ?? DEFAULT_MAX_MGMT_CONNECTIONS);
    if (caps.reduced) log.info(`connection caps lowered to host ${caps.host}, management ${caps.mgmt} to fit the open-file limit ${openFileLimit()}`);
    const hostGate = new ConnectionGate(caps.host, 'host', log);
    const mgmtGate = new ConnectionGate(caps.mgmt, 'management', log);
    if ((opts.workers ?? 1) >= 2) {
      workers = new HostWorkers(device, opts.workers as number, opts.workerScript ?? workerScriptOf(), log);
      log.info(`${opts.workers} host worker threads for ${[...WORKER_COMMANDS].join(' ')}, started with the first of those requests`);
    }
    const hostOpts = { device, headerLength: opts.headerLength, log, idleTimeoutMs, gate: hostGate, workers };
    const host = createHostServer(hostOpts);
    servers.push({ server: host, drop: trackSockets(host) });
    const port = await listen(host, opts.port, opts.host, 'host');
    const mgmt = createMgmtServer({ device, log, idleTimeoutMs, gate: mgmtGate });
    servers.push({ server: mgmt, drop: trackSockets(mgmt) });
    const wantedMgmt = opts.mgmtPort ?? (opts.port === 0 ? 0 : opts.port + 1);
    const mgmtPort = await listen(mgmt, wantedMgmt, opts.host, 'management');
    let tlsPort: number | undefined;
    if (opts.tlsPort !== undefined) {
      const tls = createHostTlsServer(hostOpts, { cert: readFileSync(opts.tlsCert as string), key: readFileSync(opts.tlsKey as string) });
      servers.push({ server: tls, drop: trackSockets(tls) });
      tlsPort = await listen(tls, opts.tlsPort, opts.host, 'TLS host');
    }
    return {
      device,
      port,
      mgmtPort,
      tlsPort,
      connections: () => ({ host: hostGate.count, mgmt: mgmtGate.count }),
      close: async () => {
        for (const s of servers) s.drop();
        await Promise.all(servers.map((s) => closeServer(s.server)));
        // A write in flight finishes before the lock goes (its answers were never sent).
        await device.settled().catch(() => undefined);
        await workers?.close();
        device.close();
      },
    };
  } catch (e) {
    for (const s of servers) s.server.close();
    void workers?.close();
    device.close();
    throw e;
  }
}

/** The one stdout line; `dmk-kcv` is the DMK check value (`-` on a factory device), never the DMK. */
export function readyLine(name: string, e: RunningEmulator): string {
  return `evsm-emulator ready name=${name} port=${e.port} mgmt-port=${e.mgmtPort} tls-port=${e.tlsPort ?? '-'} pid=${process.pid} dmk-kcv=${e.device.dmkKcv() ?? '-'}`;
}
