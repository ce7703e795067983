/**
 * The counting relay the HA scenarios put in front of each device (conformance/record/relay.ts):
 * it forwards and counts by command, counts the SDK's heartbeat apart, refuses connections while
 * its device is down (as the dead device would), and listens again on the same port once the
 * device is back.
 */
import { test, expect } from '@playwright/test';
import { createConnection } from 'node:net';
import { exchange, startTestDevice } from '../conformance/record/device.ts';
import { CountingRelay } from '../conformance/record/relay.ts';

function connectOutcome(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('relay: counts what reached the device, refuses while it is down, comes back on the same port', async () => {
  test.setTimeout(60_000);
  const device = await startTestDevice({ name: 'RELAY' });
  const relay = await CountingRelay.start(device.port, { probeMs: 50 });
  try {
    const direct = await exchange(device.port, Buffer.from('CR0008'));
    expect(direct.subarray(0, 4).toString('latin1')).toBe('CS00');
    expect((await exchange(relay.port, Buffer.from('CR0008'))).subarray(0, 4).toString('latin1'), 'forwarded both ways').toBe('CS00');
    await exchange(relay.port, Buffer.from('CR0016'));
    await exchange(relay.port, Buffer.from('NC'));
    expect(relay.snapshot()).toEqual({ byCommand: { CR: 1, NC: 1 }, requests: 2, heartbeats: 1, connections: 3 });
    expect(relay.of('S0')).toBe(0);

    await device.kill();
    // The next connection may still be taken and reset; after that the relay no longer listens.
    await until('the relay refuses connections', async () => (await connectOutcome(relay.port)) === 'ECONNREFUSED');
    expect(relay.up).toBe(false);
    await expect(exchange(relay.port, Buffer.from('NC'), 0, 2000)).rejects.toThrow();
    expect(relay.snapshot().requests, 'nothing was counted while the device was down').toBe(2);

    await device.restart();
    await until('the relay listens again', async () => (await connectOutcome(relay.port)) === 'connected');
    expect((await exchange(relay.port, Buffer.from('NC'))).subarray(0, 4).toString('latin1')).toBe('ND00');
    expect(relay.of('NC'), 'the device gets requests through the same port again').toBe(2);
  } finally {
    await relay.close();
    await device.stop();
  }
});
