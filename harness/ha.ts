/**
 * High availability as an application sees it: one cacipher configuration naming several
 * devices, in the file form (`cacipher.ini`) or the string form (`{[LOGGER];…;[HOST1];…}`),
 * opened with the application's client: ours (drivers/evsm) or the vendor's Java SDK through
 * our AppClient program (conformance/java/AppClient.java), as the project's metadata
 * `applicationClient` says. Counting relays in front of the devices show what reached each one
 * on the wire (the SDK has no host states to look at). Plus a "silent host" that accepts
 * connections and never answers, for timeout scenarios. 127.0.0.1 only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdkAppClient } from '../conformance/record/app-client.ts';
import { findSdk } from '../conformance/record/java.ts';
import { CountingRelay } from '../conformance/record/relay.ts';
import { keyTypeCode } from '../drivers/evsm/commands/key-types.ts';
import { EvsmClient, type HostConfig } from '../drivers/evsm/index.ts';
import { macS0, PAD_ISO2, zeroIv, type UsableKey } from './devices/key-use.ts';
import type { Evidence } from './evidence/evidence.ts';
import { errorText } from './evidence/transcript.ts';

/** Which client the application uses: ours, or the vendor's Java SDK (needs EVSM_VENDOR_SDK_DIR). */
export type ApplicationClientKind = 'ours' | 'vendor-sdk';

/** From a Playwright project's metadata (`applicationClient`); ours when absent. */
export function applicationClientKind(metadata: Record<string, unknown> | undefined): ApplicationClientKind {
  const v = metadata?.applicationClient;
  if (v === undefined || v === 'ours') return 'ours';
  if (v === 'vendor-sdk') return 'vendor-sdk';
  throw new Error(`project metadata applicationClient=${String(v)}: expected ours or vendor-sdk`);
}

/** Why this kind of client cannot run here (one line), or undefined. */
export function applicationClientUnavailable(kind: ApplicationClientKind): string | undefined {
  if (kind === 'ours') return undefined;
  const sdk = findSdk();
  return sdk.ok ? undefined : sdk.reason;
}

/** The application client as the HA scenarios use it. */
export interface ApplicationClient {
  readonly kind: ApplicationClientKind;
  /** ms the init call took (EvsmClient.open / hsmGeneralFinance.getInstance, timed in the JVM) */
  readonly openMs: number;
  /** S0 (the SDK's generalCalMAC, algorithm 1, 8 bytes, ISO 9797-1 padding 2, zero IV): 16 upper-case hex */
  mac(k: UsableKey, data: Buffer): Promise<string>;
  /** one serial per configured host, in the client's order (NC; the SDK's getDeviceSerial) */
  serials(): Promise<string[]>;
  /** our client only: host states and configuration */
  readonly ours?: EvsmClient;
  close(): Promise<void>;
}

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
 * Opens the application client of `kind` on a path or string. Ours gets a quick health probe so
 * a restarted host rejoins fast; the SDK keeps its own (a 1-second heartbeat per host). With
 * `evidence`, every command goes into the test's transcript under `label` (ours: which host
 * answered, how many tries; the SDK: the call and its result only, it names no host).
 */
export async function openApplicationClient(kind: ApplicationClientKind, pathOrString: string, evidence?: Evidence, label = 'app'): Promise<ApplicationClient> {
  const t0 = Date.now();
  if (kind === 'ours') {
    const client = await EvsmClient.open(pathOrString, { healthIntervalMs: 500, backoff: { initialMs: 100, maxMs: 1000 } });
    const openMs = Date.now() - t0;
    client.onCommand((ev) => evidence?.transcript.record(`${label}→${ev.host ?? 'none'}`, ev.command, ev.ok ? 'ok' : errorText(ev.error), undefined, { ms: ev.ms, tries: ev.tries }));
    return {
      kind,
      openMs,
      ours: client,
      mac: (k, data) => macS0(client, k, data),
      serials: async () => (await client.sdk.getDeviceSerial()).map((s) => s ?? ''),
      close: async () => client.close(),
    };
  }
  // The SDK's working directory (its log files): removed when the client closes.
  const cwd = mkdtempSync(join(tmpdir(), 'evsm-ha-sdk-'));
  const sdk = await SdkAppClient.open(pathOrString, { cwd }).catch((e: unknown) => {
    rmSync(cwd, { recursive: true, force: true });
    throw e;
  });
  // getInstance itself, timed in the JVM: the JVM's start is not the SDK's behaviour.
  const openMs = sdk.initMs;
  evidence?.transcript.record(`${label}→vendor-sdk`, 'getInstance', 'ok', undefined, { ms: openMs });
  return {
    kind,
    openMs,
    async mac(k, data) {
      const s = Date.now();
      try {
        const mac = await sdk.mac(keyTypeCode(k.keyType), k.key, data, PAD_ISO2, zeroIv(k));
        evidence?.transcript.record(`${label}→vendor-sdk`, 'S0 generalCalMAC', 'ok', undefined, { ms: Date.now() - s });
        return mac;
      } catch (e) {
        evidence?.transcript.record(`${label}→vendor-sdk`, 'S0 generalCalMAC', errorText(e), undefined, { ms: Date.now() - s });
        throw e;
      }
    },
    serials: () => sdk.serials(),
    close: async () => {
      try {
        await sdk.close();
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A counting relay (conformance/record/relay.ts) in front of each host: the entries to put in
 * the configuration, and the relays to read. The relay refuses connections while its device is
 * down, as the device itself would.
 */
export async function relayed(hosts: readonly HostEntry[]): Promise<{ hosts: HostEntry[]; relays: CountingRelay[]; close(): Promise<void> }> {
  const relays: CountingRelay[] = [];
  for (const h of hosts) {
    relays.push(await CountingRelay.start(h.port, { targetHost: h.host }));
  }
  return {
    hosts: relays.map((r) => ({ host: '127.0.0.1', port: r.port })),
    relays,
    close: async () => void (await Promise.all(relays.map((r) => r.close()))),
  };
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
