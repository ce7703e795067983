/**
 * The management client across a lost connection (drivers/evsm/manager/client.ts): a person who
 * pauses at a UKEY step longer than the device's idle timeout must not see the next operation wait
 * out its 120 s timeout; an operation pending when the device dies fails at once with the reason.
 */
import { test, expect } from '@playwright/test';
import { ManagerClient, ManagementError } from '../drivers/evsm/manager/index.ts';
import { EmulatorProcess } from './support/emulator-process.ts';

test('after the device closes an idle connection, the next call connects again and is answered', async () => {
  const e = await EmulatorProcess.start({ name: 'IDLE', extraArgs: ['--idle-timeout', '1'] });
  const client = await ManagerClient.connect({ port: e.mgmtPort, timeoutMs: 20_000 });
  try {
    const before = await client.getInfo();
    await new Promise((r) => setTimeout(r, 2_500)); // the device's idle timeout (1 s) closes the connection
    const t0 = Date.now();
    const after = await client.getInfo();
    const ms = Date.now() - t0;
    expect(after.deviceId).toBe(before.deviceId);
    expect(ms, 'answered on a new connection, not after the call timeout').toBeLessThan(5_000);
  } finally {
    client.close();
    await e.stop();
  }
});

test('an operation pending when the device dies fails at once with TRANSPORT and the reason; after a restart the client works again', async () => {
  const e = await EmulatorProcess.start({ name: 'DIES' });
  const client = await ManagerClient.connect({ port: e.mgmtPort, timeoutMs: 60_000 });
  try {
    await client.getInfo();
    e.pause(); // the next call is sent and waits
    const pending = client.getInfo().then(
      () => undefined,
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    e.resume();
    await e.kill();
    const err = await pending;
    expect(err).toBeInstanceOf(ManagementError);
    expect((err as ManagementError).code).toBe('TRANSPORT');
    expect((err as Error).message).toMatch(/connection closed by the device|connection to the device lost/);
    expect(Date.now() - t0, 'not after the 60 s call timeout').toBeLessThan(5_000);
    // A call while the device is down: a clear TRANSPORT error naming the port, at once.
    await expect(client.getInfo()).rejects.toThrow(/cannot reach the management port/);
    await e.restart();
    expect((await client.getInfo()).deviceId).toBeTruthy();
  } finally {
    client.close();
    await e.stop();
  }
});
