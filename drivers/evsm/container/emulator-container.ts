/**
 * EVSM emulator containers, in testcontainers' builder style:
 *
 *   const a = await new EvsmEmulatorContainer().withName('A').withDataVolume('evsm-a').start();
 *   // a.host === '127.0.0.1', a.port, a.mgmtPort
 *   await a.kill();     // SIGKILL: the device dies, nothing is flushed
 *   await a.restart();  // same container, same volume, same ports: serves the same state
 *   await a.stop();     // SIGTERM, then the container is removed
 *
 * Every container runs on the host network (no bridge here, so no private-range address) and
 * listens on 127.0.0.1; it carries the project labels (labels.ts) so cleanup.ts can always find
 * it; and every started container is also removed when the process exits without stopping it.
 */
import './env.ts';
import { spawnSync } from 'node:child_process';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { defaultEntry, ensureEvsmImage } from '../../../docker/build-image.ts';
import { docker, runDocker } from '../../../docker/docker-cli.ts';
import { EVSM_UID } from '../../../docker/rootfs.ts';
import { ensureTestcontainersEnv } from './env.ts';
import {
  DEVICE_LABEL, INSTANCE_LABEL, OWNED_VOLUME_LABEL, PROJECT_LABEL, RUN_LABEL, currentRunId, dockerSafe, randomSuffix,
} from './labels.ts';
import { freePorts } from './ports.ts';
import { lastReadyLine, readyLinePattern, type ReadyLine } from './ready-line.ts';

const HOST = '127.0.0.1';
/** How long SIGTERM may take before docker sends SIGKILL, on stop() and on restart() of a running container. */
const GRACE_MS = 10_000;

export interface StopOptions {
  /** also remove the data volume; default: only when the builder created it (no withDataVolume) */
  removeVolume?: boolean;
}

export class EvsmEmulatorContainer {
  private name = 'EVSM';
  private volume: string | undefined;
  private ports: [number, number] | undefined;
  private image: string | undefined;
  private extraArgs: string[] = [];
  private startupTimeoutMs = 30_000;
  private runId: string | undefined;
  private tls: { port: number | undefined; cert: string | Buffer; key: string | Buffer } | undefined;
  /** the emulator's environment (docs/containers.md): EVSM_INIT, EVSM_HEADER_LENGTH, limits */
  private env: Record<string, string> = {};
  private components: string[] | undefined;

  /** image tag; default: the current emulator's image, built (or found in the cache) on start */
  constructor(image?: string) {
    this.image = image;
  }

  /** the device name (the emulator's --name, shown in its ready line and responses) */
  withName(name: string): this {
    this.name = name;
    return this;
  }

  /**
   * A named Docker volume for the device's state (/data). Kept after stop() so a later
   * container on the same volume starts from the same state; default: a fresh volume that
   * is removed with the container.
   */
  withDataVolume(volume: string): this {
    this.volume = volume;
    return this;
  }

  /** host port and management port on 127.0.0.1; default: two free ports */
  withPorts(port: number, mgmtPort: number): this {
    this.ports = [port, mgmtPort];
    return this;
  }

  withImage(image: string): this {
    this.image = image;
    return this;
  }

  /**
   * A TLS listener (same protocol inside TLS) with this certificate and key (PEM); port default:
   * a free one. The files are copied into the container (/tls).
   */
  withTls(tls: { cert: string | Buffer; key: string | Buffer; port?: number }): this {
    this.tls = { port: tls.port, cert: tls.cert, key: tls.key };
    return this;
  }

  /**
   * Starts initialized: a random DMK on a fresh volume (EVSM_INIT=1); the DMK check value is in
   * the ready line (`dmkKcv`). A volume whose device already has a DMK keeps it.
   */
  withInit(): this {
    this.env.EVSM_INIT = '1';
    return this;
  }

  /**
   * Starts with the DMK that is the XOR of these components (2-9, 32 hex digits each), so several
   * containers (or a container and an emulator process) share one DMK. They are copied into the
   * container as a file (EVSM_DMK_COMPONENTS_FILE), not passed in its environment, which
   * `docker inspect` shows to anyone.
   */
  withDmkComponents(components: readonly string[]): this {
    if (components.length < 2 || !components.every((c) => /^[0-9A-Fa-f]{32}$/.test(c))) {
      throw new Error('withDmkComponents needs 2-9 components of 32 hex digits each');
    }
    this.components = [...components];
    return this;
  }

  /** The host message header length (`msgheadlength` of the application's cacipher.ini); default 0. */
  withHeaderLength(n: number): this {
    this.env.EVSM_HEADER_LENGTH = String(n);
    return this;
  }

  /** Idle timeout in seconds (0 = never) and connection caps; defaults 300, 512 and 32. */
  withLimits(limits: { idleTimeoutSeconds?: number; maxConnections?: number; maxMgmtConnections?: number }): this {
    if (limits.idleTimeoutSeconds !== undefined) this.env.EVSM_IDLE_TIMEOUT = String(limits.idleTimeoutSeconds);
    if (limits.maxConnections !== undefined) this.env.EVSM_MAX_CONNECTIONS = String(limits.maxConnections);
    if (limits.maxMgmtConnections !== undefined) this.env.EVSM_MAX_MGMT_CONNECTIONS = String(limits.maxMgmtConnections);
    return this;
  }

  /** more emulator options, appended to --port/--mgmt-port/--data/--name/--host */
  withArgs(...args: string[]): this {
    this.extraArgs.push(...args);
    return this;
  }

  withStartupTimeout(ms: number): this {
    this.startupTimeoutMs = ms;
    return this;
  }

  /** label value for label-based clean-up; default: currentRunId() */
  withRunId(runId: string): this {
    this.runId = runId;
    return this;
  }

  async start(): Promise<StartedEvsmEmulatorContainer> {
    ensureTestcontainersEnv();
    const image = this.image ?? (await defaultImage());
    // Every port asked for at once, so the free ones the kernel hands out differ from each other.
    const free = await freePorts((this.ports ? 0 : 2) + (this.tls && this.tls.port === undefined ? 1 : 0));
    const [port, mgmtPort] = this.ports ?? [free.shift() as number, free.shift() as number];
    const tlsArgs: string[] = [];
    if (this.tls) {
      const tlsPort = this.tls.port ?? (free.shift() as number);
      tlsArgs.push('--tls-port', String(tlsPort), '--tls-cert', '/tls/cert.pem', '--tls-key', '/tls/key.pem');
    }
    const runId = this.runId ?? currentRunId();
    const instance = `${dockerSafe(this.name)}-${randomSuffix()}`;
    const owned = this.volume === undefined;
    const volume = this.volume ?? `evsm-lab-${runId}-${instance}`;
    const labels = { [PROJECT_LABEL]: '1', [RUN_LABEL]: runId, [INSTANCE_LABEL]: instance, [DEVICE_LABEL]: this.name };
    await createVolume(volume, { ...labels, ...(owned ? { [OWNED_VOLUME_LABEL]: '1' } : {}) });

    const container = new GenericContainer(image)
      .withName(`evsm-lab-${instance}`)
      .withLabels(labels)
      .withNetworkMode('host')
      .withUser(`${EVSM_UID}:${EVSM_UID}`)
      // The emulator needs no capability (its ports are the caller's, normally > 1024) and no setuid.
      .withDroppedCapabilities('ALL')
      .withSecurityOpt('no-new-privileges')
      .withBindMounts([{ source: volume, target: '/data', mode: 'rw' }])
      .withCommand(['--port', String(port), '--mgmt-port', String(mgmtPort), '--data', '/data', '--name', this.name, '--host', HOST, ...tlsArgs, ...this.extraArgs])
      .withWaitStrategy(Wait.forLogMessage(readyLinePattern(this.name, port)))
      .withStartupTimeout(this.startupTimeoutMs)
      // testcontainers removes a container that never got ready, log and all: keep its tail.
      .withLogConsumer((stream) => stream.on('data', (chunk: Buffer | string) => tail.push(String(chunk))));
    const tail = new LogTail();
    const env = { ...this.env };
    const copies: Array<{ content: string | Buffer; target: string; mode: number }> = [];
    if (this.components) {
      env.EVSM_DMK_COMPONENTS_FILE = '/run/evsm/dmk-components.txt';
      copies.push({ content: `${this.components.join('\n')}\n`, target: env.EVSM_DMK_COMPONENTS_FILE, mode: 0o444 });
    }
    if (Object.keys(env).length) container.withEnvironment(env);
    if (this.tls) {
      // Copied in as root-owned files, so readable by all: the container has one user anyway,
      // and this is an emulator's test certificate, not a production key.
      copies.push({ content: this.tls.cert, target: '/tls/cert.pem', mode: 0o444 }, { content: this.tls.key, target: '/tls/key.pem', mode: 0o444 });
    }
    if (copies.length) container.withCopyContentToContainer(copies);

    let started: StartedTestContainer;
    try {
      started = await container.start();
    } catch (err) {
      // testcontainers removes a container whose wait failed, but not one that failed earlier
      // (create, copy, start): remove whatever is left, and an owned volume. The log tail says why.
      await removeFailed(instance, owned ? volume : undefined);
      throw notReady(this.name, (err as Error).message, tail.text());
    }
    const handle = new StartedEvsmEmulatorContainer(started, { name: this.name, port, mgmtPort, volume, ownedVolume: owned, image, startupTimeoutMs: this.startupTimeoutMs });
    await handle.readReadyLine();
    return handle;
  }
}

/** A running (or killed) EVSM container. host/port/mgmtPort stay the same across restarts. */
export class StartedEvsmEmulatorContainer {
  readonly host = HOST;
  readonly name: string;
  readonly port: number;
  readonly mgmtPort: number;
  readonly volume: string;
  readonly image: string;
  private readonly ownedVolume: boolean;
  private readonly startupTimeoutMs: number;
  private ready: ReadyLine | undefined;
  private stopped = false;

  constructor(
    private readonly container: StartedTestContainer,
    info: { name: string; port: number; mgmtPort: number; volume: string; ownedVolume: boolean; image: string; startupTimeoutMs: number },
  ) {
    this.startupTimeoutMs = info.startupTimeoutMs;
    this.name = info.name;
    this.port = info.port;
    this.mgmtPort = info.mgmtPort;
    this.volume = info.volume;
    this.ownedVolume = info.ownedVolume;
    this.image = info.image;
    live.add(this);
  }

  get containerId(): string {
    return this.container.getId();
  }

  /** docker's name for it, e.g. evsm-lab-A-3f9c2e (what `docker ps` shows) */
  get containerName(): string {
    return this.container.getName().replace(/^\//, '');
  }

  /** TLS port from the last ready line; undefined when the emulator serves no TLS */
  get tlsPort(): number | undefined {
    return this.ready?.tlsPort;
  }

  /** the DMK check value from the last ready line; undefined on a factory device */
  get dmkKcv(): string | undefined {
    return this.ready?.dmkKcv;
  }

  /** the emulator's pid inside the container, from the last ready line */
  get pid(): number | undefined {
    return this.ready?.pid;
  }

  /** stdout and stderr of the container so far (every start, in order) */
  async logs(): Promise<string> {
    const r = await runDocker(['logs', this.containerId]);
    return `${r.stdout}${r.stderr}`;
  }

  async isRunning(): Promise<boolean> {
    const r = await runDocker(['inspect', '--format', '{{.State.Running}}', this.containerId]);
    return r.stdout.trim() === 'true';
  }

  /** SIGKILL, as a power cut would: no graceful shutdown. Resolves once the container has exited. */
  async kill(): Promise<void> {
    await docker(['kill', '--signal', 'KILL', this.containerId]);
    await docker(['wait', this.containerId], { timeoutMs: 30_000 });
  }

  /**
   * Starts the same container again (same volume, same ports) and waits for a NEW ready line.
   * Works after kill(); a running container is stopped gracefully first.
   */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`EVSM container ${this.name} was stopped and removed; start a new one on volume ${this.volume}`);
    // Not testcontainers' restart(): when the wait fails it removes the container and its log,
    // and a device that does not come back is exactly what a test wants to see the log of.
    await docker(['restart', '-t', String(GRACE_MS / 1000), this.containerId]);
    const startedAt = (await docker(['inspect', '--format', '{{.State.StartedAt}}', this.containerId])).trim();
    const pattern = readyLinePattern(this.name, this.port);
    const deadline = Date.now() + this.startupTimeoutMs;
    for (;;) {
      // State first, then the log: a log read after the exit was seen holds the last words.
      const running = await this.isRunning();
      const r = await runDocker(['logs', '--since', startedAt, this.containerId]);
      const log = `${r.stdout}${r.stderr}`;
      if (pattern.test(log)) break;
      if (!running) throw notReady(this.name, 'the container exited after the restart', log.trim());
      if (Date.now() > deadline) throw notReady(this.name, `no ready line ${this.startupTimeoutMs} ms after the restart`, log.trim());
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.readReadyLine();
  }

  /** SIGTERM (SIGKILL after 10 s), remove the container, and its volume when owned or asked. Idempotent. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    try {
      await this.container.stop({ timeout: GRACE_MS, remove: true, removeVolumes: true });
    } catch (err) {
      // Already gone (removed by a label clean-up, or by hand): that is what stop() wanted.
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    } finally {
      if (options.removeVolume ?? this.ownedVolume) await runDocker(['volume', 'rm', '-f', this.volume]);
    }
  }

  /** @internal reads host/port facts from the newest ready line (called after each start) */
  async readReadyLine(): Promise<void> {
    this.ready = lastReadyLine(await this.logs());
  }

  /** @internal for the exit hook */
  get removal(): { id: string; volume: string | undefined } {
    return { id: this.containerId, volume: this.ownedVolume ? this.volume : undefined };
  }
}

async function defaultImage(): Promise<string> {
  if (defaultEntry().standIn) {
    throw new Error('the EVSM emulator (emulators/evsm/program.ts) does not exist yet; pass an image explicitly (withImage) to run something else');
  }
  return (await ensureEvsmImage()).tag;
}

async function createVolume(name: string, labels: Record<string, string>): Promise<void> {
  const exists = (await runDocker(['volume', 'inspect', name])).code === 0;
  if (exists) return; // a caller's volume with state in it: use as is
  await docker(['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), name]);
}

/** Whatever of a failed container testcontainers did not remove itself, and an owned volume. */
async function removeFailed(instance: string, volume: string | undefined): Promise<void> {
  const ids = (await runDocker(['ps', '-aq', '--filter', `label=${INSTANCE_LABEL}=${instance}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await runDocker(['rm', '-f', '-v', ...ids]);
  if (volume) await runDocker(['volume', 'rm', '-f', volume]);
}

function notReady(name: string, why: string, log: string): Error {
  return new Error(`EVSM container ${name} did not become ready: ${why}${log ? `\n--- container log ---\n${log}` : ''}`);
}

/** The last lines a container wrote, for error messages. */
class LogTail {
  private lines: string[] = [];
  push(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((l) => l.trim()));
    if (this.lines.length > 30) this.lines.splice(0, this.lines.length - 30);
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** Containers this process started and has not stopped. */
const live = new Set<StartedEvsmEmulatorContainer>();

/** Stops every container this process started (fixtures call it in teardown, after failures too). */
export async function stopAllEvsmContainers(): Promise<void> {
  await Promise.allSettled([...live].map((c) => c.stop()));
}

// Last resort when a worker exits without teardown: 'exit' handlers must be synchronous.
process.once('exit', () => {
  if (!live.size) return;
  const all = [...live].map((c) => c.removal);
  spawnSync('docker', ['rm', '-f', '-v', ...all.map((r) => r.id)], { stdio: 'ignore' });
  const volumes = all.flatMap((r) => (r.volume ? [r.volume] : []));
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
});
