/**
 * Acceptance: the client against real emulator processes on 127.0.0.1 (docs/client.md, failover).
 * - SIGKILL the primary in the middle of a steady stream: no command lost or answered wrongly,
 *   the stream continues on the standby, the killed host rejoins after a restart.
 * - A host that accepts the connection and never answers is detected within its readTimeout.
 * Commands used need no key material (B2 echo, CR random through client.sdk, NC diagnostics).
 */
import { test, expect } from '@playwright/test';
import { createServer, type Socket } from 'node:net';
import { EvsmClient, commands, type DispatchOptions } from '../drivers/evsm/index.ts';
import { EmulatorProcess, emulatorAvailable, makeTlsMaterial } from './support/emulator-process.ts';

test.skip(!emulatorAvailable(), 'emulators/evsm/program.ts is not there yet');
test.describe.configure({ mode: 'serial' });

/** The two hosts read fast: detection is by socket loss, the timeouts only bound the silent case. */
function config(ports: number[], extra = 'timeout=2'): string {
  return `{${ports.map((p, i) => `[HOST${i + 1}];hsmModel=SJJ1310;host=127.0.0.1;port=${p};linkNum=-4;${extra};`).join('')}}`;
}

interface Outcome {
  ok: boolean;
  wrong: boolean;
  host?: string;
  /** Time the command was answered, relative to the kill (negative = before). */
  at: number;
  error?: string;
}

/**
 * A steady stream: `workers` loops, each sending echo / random / diagnostics in turn and checking
 * every answer. Runs until `stop()` resolves; every outcome is kept.
 */
async function stream(client: EvsmClient, workers: number, stop: Promise<void>, clock: { killAt: number }): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let running = true;
  void stop.then(() => (running = false));
  const worker = async (w: number): Promise<void> => {
    for (let seq = 0; running; seq++) {
      const trace: DispatchOptions['trace'] = {};
      const kind = seq % 3;
      try {
        let wrong = false;
        if (kind === 0) {
          const payload = `w${w}-${seq}-${'x'.repeat(seq % 40)}`;
          wrong = (await client.echo(payload, { trace })) !== payload;
        } else if (kind === 1) {
          wrong = (await client.execute(commands.crRandom(16), { trace })).length !== 16;
        } else {
          const d = await client.diagnostics({ trace });
          wrong = !/^[0-9A-F]{16}$/.test(d.lmkCheckValue) || d.firmware.length !== 9;
        }
        outcomes.push({ ok: true, wrong, host: trace.host, at: Date.now() - clock.killAt });
      } catch (err) {
        outcomes.push({ ok: false, wrong: false, at: Date.now() - clock.killAt, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return outcomes;
}

/** A running stream: counts answers, marks the kill time, stops and hands back every outcome. */
function startStream(client: EvsmClient, workers: number): { clock: { killAt: number }; answered: () => number; finish: () => Promise<Outcome[]> } {
  const clock = { killAt: Number.POSITIVE_INFINITY };
  let release!: () => void;
  const stop = new Promise<void>((r) => (release = r));
  let answered = 0;
  client.onCommand(() => answered++);
  const running = stream(client, workers, stop, clock);
  return {
    clock,
    answered: () => answered,
    finish: () => {
      release();
      return running;
    },
  };
}

const until = (pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });

test('SIGKILL of the primary mid-stream: nothing lost or wrong, the standby carries on, the primary rejoins', async () => {
  test.setTimeout(90_000);
  const a = await EmulatorProcess.start({ name: 'A' });
  const b = await EmulatorProcess.start({ name: 'B' });
  let a2: EmulatorProcess | undefined;
  const client = await EvsmClient.open(config([a.port, b.port]), { failover: 'ordered', heartbeatIntervalMs: 300 });
  try {
    const run = startStream(client, 4);
    const clock = run.clock;

    await until(() => run.answered() >= 150, '150 answers before the kill');
    clock.killAt = Date.now();
    await a.kill();
    const atKill = run.answered();
    await until(() => run.answered() >= atKill + 1000, '1000 answers after the kill');
    // The primary comes back on the same port and data; the client notices by itself.
    const restartAt = Date.now();
    a2 = await a.restart();
    await client.waitForHost('HOST1', 'up', 15_000);
    const atRejoin = run.answered();
    await until(() => run.answered() >= atRejoin + 100, '100 answers after the rejoin');
    const outcomes = await run.finish();

    expect(outcomes.filter((o) => !o.ok), 'no command failed').toEqual([]);
    expect(outcomes.filter((o) => o.wrong), 'no command answered wrongly').toEqual([]);
    const before = outcomes.filter((o) => o.at < 0);
    expect(before.every((o) => o.host === 'HOST1')).toBe(true);
    // Answered after the kill (past the answers already on the wire) and before the restart: standby only.
    const window = outcomes.filter((o) => o.at > 50 && o.at < restartAt - clock.killAt);
    expect(window.length).toBeGreaterThan(500);
    expect(window.filter((o) => o.host !== 'HOST2')).toEqual([]);
    expect(outcomes.filter((o) => o.host === 'HOST2').length).toBeGreaterThanOrEqual(900);
    // Ordered policy: once HOST1 is back (heartbeat probe), the last answers come from it again.
    expect(outcomes.slice(-20).every((o) => o.host === 'HOST1')).toBe(true);
    expect(client.hosts().map((h) => h.state)).toEqual(['up', 'up']);
  } finally {
    client.close();
    await Promise.all([a.kill(), b.stop(), a2?.stop()]);
  }
});

test('a host that accepts but never answers is detected within its readTimeout; the standby answers', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as { port: number }).port;
  const b = await EmulatorProcess.start({ name: 'B' });
  const readTimeout = 1;
  try {
    // connectOnOpen: false so that the first command meets the silent host itself.
    const client = await EvsmClient.open(config([silentPort, b.port], `timeout=3;readTimeout=${readTimeout}`), {
      connectOnOpen: false,
      failover: 'ordered',
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    const trace: DispatchOptions['trace'] = {};
    const started = Date.now();
    expect(await client.echo('are you there', { trace })).toBe('are you there');
    const elapsed = Date.now() - started;
    expect(trace).toEqual({ host: 'HOST2', tries: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(readTimeout * 1000 - 50);
    expect(elapsed).toBeLessThan(readTimeout * 1000 + 2000); // generous slack for a loaded CI box
    expect(client.hosts()[0].state).toBe('down');
    expect(client.hosts()[0].lastError).toContain('read-timeout');
    // The next command does not pay the timeout again: the silent host is skipped.
    const t2 = Date.now();
    await client.echo('again');
    expect(Date.now() - t2).toBeLessThan(readTimeout * 1000);
    client.close();
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
    await b.stop();
  }
});

test('three hosts: the stream survives losing two of them, in order', async () => {
  test.setTimeout(90_000);
  const devices = [await EmulatorProcess.start({ name: 'A' }), await EmulatorProcess.start({ name: 'B' }), await EmulatorProcess.start({ name: 'C' })];
  const client = await EvsmClient.open(config(devices.map((d) => d.port)), { failover: 'ordered' });
  try {
    const run = startStream(client, 3);
    const clock = run.clock;
    await until(() => run.answered() >= 60, 'answers on HOST1');
    clock.killAt = Date.now();
    // Counts are taken after each kill returns (the exit wait lets the stream run on meanwhile).
    await devices[0].kill();
    const afterFirst = run.answered();
    await until(() => run.answered() >= afterFirst + 100, 'answers on HOST2');
    await devices[1].kill();
    const afterSecond = run.answered();
    await until(() => run.answered() >= afterSecond + 100, 'answers on HOST3');
    const outcomes = await run.finish();
    expect(outcomes.filter((o) => !o.ok || o.wrong)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.host))).toEqual(new Set(['HOST1', 'HOST2', 'HOST3']));
    expect(outcomes.slice(-20).every((o) => o.host === 'HOST3')).toBe(true);
  } finally {
    client.close();
    await Promise.all(devices.map((d) => d.stop()));
  }
});

test('balance policy (the default, as the SDK) spreads a stream over the hosts and drops a dead one without losses', async () => {
  test.setTimeout(60_000);
  const devices = [await EmulatorProcess.start({ name: 'A' }), await EmulatorProcess.start({ name: 'B' })];
  const client = await EvsmClient.open(config(devices.map((d) => d.port)), { backoff: { initialMs: 60_000, maxMs: 60_000 } });
  try {
    const run = startStream(client, 4);
    const clock = run.clock;
    await until(() => run.answered() >= 100, 'balanced answers');
    clock.killAt = Date.now();
    await devices[0].kill();
    const atKill = run.answered();
    await until(() => run.answered() >= atKill + 100, 'answers after the kill');
    const outcomes = await run.finish();
    expect(outcomes.filter((o) => !o.ok || o.wrong)).toEqual([]);
    const before = outcomes.filter((o) => o.at < 0);
    expect(before.filter((o) => o.host === 'HOST1').length).toBeGreaterThan(10);
    expect(before.filter((o) => o.host === 'HOST2').length).toBeGreaterThan(10);
    expect(outcomes.slice(-20).every((o) => o.host === 'HOST2')).toBe(true);
  } finally {
    client.close();
    await Promise.all(devices.map((d) => d.stop()));
  }
});

test('msgheadlength: a device set to an 8-character header is reached with [HOSTn] msgheadlength=8', async () => {
  const d = await EmulatorProcess.start({ name: 'H', headerLength: 8 });
  try {
    const client = await EvsmClient.open(`{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${d.port};msgheadlength=8}`);
    expect(await client.echo('eight')).toBe('eight');
    expect((await client.diagnostics()).firmware).toBe('EVSM01.00');
    client.close();
  } finally {
    await d.stop();
  }
});

test('TLSv1.2 to the emulator\'s TLS listener, checked against a CA made for the test', async () => {
  const tls = makeTlsMaterial();
  const a = await EmulatorProcess.start({ name: 'T', tls: { cert: tls.serverCert, key: tls.serverKey } });
  try {
    expect(a.tlsPort).toBeDefined();
    const client = await EvsmClient.open(
      `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=${a.tlsPort};socketProtocol=TLSv1.2;tlsCaFile=${tls.caCert}}`,
    );
    expect(await client.echo('sealed')).toBe('sealed');
    expect((await client.diagnostics()).firmware).toBe('EVSM01.00');
    client.close();
  } finally {
    await a.stop();
  }
});

test('a host that hangs (SIGSTOP): requests in flight move after readTimeout, the heartbeat marks it down, it rejoins after SIGCONT', async () => {
  test.setTimeout(60_000);
  const devices = [await EmulatorProcess.start({ name: 'A' }), await EmulatorProcess.start({ name: 'B' })];
  const client = await EvsmClient.open(config(devices.map((d) => d.port), 'timeout=3;readTimeout=1'), { heartbeatIntervalMs: 300 });
  try {
    const run = startStream(client, 4);
    await until(() => run.answered() >= 100, 'balanced answers');
    run.clock.killAt = Date.now();
    devices[0].pause();
    const atPause = run.answered();
    await client.waitForHost('HOST1', 'down', 5_000);
    await until(() => run.answered() >= atPause + 200, 'answers while A hangs');
    devices[0].resume();
    await client.waitForHost('HOST1', 'up', 10_000);
    const atResume = run.answered();
    await until(() => run.answered() >= atResume + 200, 'answers after A is back');
    const outcomes = await run.finish();
    expect(outcomes.filter((o) => !o.ok || o.wrong), 'no command failed or was answered wrongly').toEqual([]);
    // Requests caught on A waited at most about readTimeout before B answered them.
    expect(outcomes.slice(-40).some((o) => o.host === 'HOST1'), 'A takes requests again').toBe(true);
  } finally {
    client.close();
    await Promise.all(devices.map((d) => d.stop()));
  }
});
