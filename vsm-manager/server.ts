/**
 * The console's HTTP server (node:http, 127.0.0.1 only). GET / is the page; GET /api/state lists
 * devices and UKEYs; POST /api/op/NAME performs one operation and answers with NDJSON lines:
 * progress events, then one outcome. PINs arrive only in POST bodies and are never logged,
 * echoed or kept: the log line of an operation names the operation, device and outcome code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ManagerClient, type DeviceInfo } from '../drivers/evsm/manager/index.ts';
import { ConsoleInputError, listTokens, OPERATIONS, perform, type Device } from './operations.ts';
import { PAGE } from './page.ts';
import { BodyError, readJsonBody } from '../io/json-body.ts';

export interface ConsoleOptions {
  devices: Device[];
  tokensDir: string;
  backupDir: string;
  port?: number;
  log?: (line: string) => void;
}

const MAX_BODY = 64 * 1024;

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  // One JSON object of at most MAX_BODY bytes (io/json-body.ts); a refusal is the console's input error.
  return readJsonBody(req, MAX_BODY).catch((e: unknown) => {
    throw e instanceof BodyError ? new ConsoleInputError(e.message) : e;
  });
}

async function deviceInfo(d: Device): Promise<Partial<DeviceInfo> & { name: string; error?: string }> {
  try {
    const mgr = await ManagerClient.connect({ host: d.host, port: d.port, timeoutMs: 5000 });
    try {
      const i = await mgr.getInfo();
      return { name: d.name, deviceId: i.deviceId, state: i.state, dmkKcv: i.dmkKcv, keyCount: i.keyCount, auth: i.auth };
    } finally {
      mgr.close();
    }
  } catch (e) {
    return { name: d.name, error: (e as Error).message };
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startConsole(o: ConsoleOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const log = o.log ?? ((l: string) => console.log(l));
  let port = 0; // known once listening
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      // A fault of the console itself: a one-line reason; never the request body.
      log(`vsm-manager: internal error: ${(e as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: 'internal error of the console' });
      else res.end();
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Another web page open in the same browser must not drive the console (factory PINs are
    // public): only our own host name is served (no DNS rebinding), and an operation needs a JSON
    // body (a cross-site form cannot send one without a CORS preflight, which is never answered)
    // from our own origin when the browser names one.
    const self = `127.0.0.1:${port}`;
    if (req.headers.host !== self && req.headers.host !== `localhost:${port}`) {
      json(res, 421, { error: `this console answers only http://${self}/` });
      return;
    }
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if ((origin !== undefined && origin !== `http://${req.headers.host}`) || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
        json(res, 403, { error: 'operations are accepted only from the console page itself (same origin, JSON body)' });
        return;
      }
    }
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      json(res, 200, { devices: await Promise.all(o.devices.map(deviceInfo)), tokens: await listTokens(o.tokensDir) });
      return;
    }
    const m = /^\/api\/op\/([A-Za-z]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m && OPERATIONS.includes(m[1])) {
      await operation(m[1], req, res);
      return;
    }
    json(res, 404, { error: `no such page: ${req.method} ${url.pathname}` });
  }
  async function operation(op: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = await readBody(req);
    } catch (e) {
      json(res, 400, { error: (e as Error).message });
      return;
    }
    const device = o.devices.find((d) => d.name === body.device);
    if (!device) {
      json(res, 400, { error: `choose a device: ${o.devices.map((d) => d.name).join(', ')}` });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const line = (v: unknown) => res.write(`${JSON.stringify(v)}\n`);
    try {
      const outcome = await perform(op, body, { device, tokensDir: o.tokensDir, backupDir: o.backupDir, onProgress: (p) => line({ progress: p }) });
      log(`vsm-manager: ${op} on ${device.name}: ${outcome.status === 'completed' ? 'completed' : `refused ${outcome.code}`}`);
      line({ outcome });
    } catch (e) {
      const message = e instanceof ConsoleInputError ? e.message : `console error: ${(e as Error).message}`;
      log(`vsm-manager: ${op} on ${device.name}: not done: ${message}`);
      line({ error: message });
    } finally {
      // The body held PINs: drop the references as soon as the operation is over.
      for (const k of Object.keys(body)) delete body[k];
      res.end();
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${port}/`, close: () =>
      new Promise((r) => {
        server.close(() => r());
        // Browsers keep idle connections open; without this close() waits for them.
        server.closeAllConnections();
      }),
  };
}
