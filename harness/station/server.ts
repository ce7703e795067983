/**
 * The operator station (docs/station.md): one HTTP server on 127.0.0.1 in the runner process,
 * serving the page a person at the bench keeps open, and the endpoints Playwright workers use to
 * pose prompts and collect the answers (long-poll). All state lives here, so a closed tab loses
 * nothing (reopen the URL: the pending prompt is there) and a restarted worker simply poses its
 * prompt again (a prompt nobody polls for `staleMs` is withdrawn).
 *
 * Log lines name prompts, kinds, devices and how a prompt ended (completed, refused CODE), never
 * an answer's content: not a PIN, not a typed value.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyError, readJsonBody } from '../../io/json-body.ts';
import { PAGE } from './page.ts';
import {
  AnswerError,
  checkAnswer,
  MAX_SIGHTINGS,
  SIGHTING_STATUSES,
  type Answer,
  type AnswerPoll,
  type PinRequest,
  type PromptSpec,
  type PromptView,
  type RunProgress,
  type Sighting,
  type StationState,
  type ValueKind,
} from './protocol.ts';

export interface StationOptions {
  /** TCP port on 127.0.0.1; 0 (default) = any free port. */
  port?: number;
  /** Shown on the page, e.g. the lab name. */
  title?: string;
  /** Where log lines go (default: stderr). Never receives an answer's content. */
  log?: (line: string) => void;
  /** A prompt whose worker has not polled for this long is withdrawn (default 60 s). */
  staleMs?: number;
  /** Longest long-poll the station holds open (default 25 s). */
  maxWaitMs?: number;
}

export interface Station {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** The state as the page sees it (for tests and the runner). */
  state(): StationState;
  close(): Promise<void>;
}

interface Prompt {
  view: PromptView;
  held: boolean;
  answer?: Answer;
  lastPoll: number;
  wake: Set<() => void>;
}

const MAX_BODY = 16 * 1024;
const KINDS = new Set(['confirm', 'outcome', 'value', 'text', 'token']);
const VALUE_KINDS = new Set<ValueKind>(['kcv', 'policy', 'count', 'progress', 'text']);
const STATUSES = new Set<string>(SIGHTING_STATUSES);

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  // One JSON object of at most MAX_BODY bytes (io/json-body.ts); its refusals keep their status (400, 413).
  return readJsonBody(req, MAX_BODY).catch((e: unknown) => {
    throw e instanceof BodyError ? new BadRequest(e.status, e.message) : e;
  });
}

function send(res: ServerResponse, status: number, value?: unknown): void {
  if (value === undefined) {
    res.writeHead(status, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

const text = (v: unknown, what: string, max = 2000): string => {
  if (typeof v !== 'string' || v.length > max) throw new BadRequest(400, `${what}: a string of at most ${max} characters`);
  return v;
};
const optText = (v: unknown, what: string, max = 2000): string | undefined => (v === undefined ? undefined : text(v, what, max));
const count = (v: unknown, what: string): number => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 1e6) throw new BadRequest(400, `${what}: a whole number 0..1000000`);
  return v as number;
};

/** A worker's prompt spec, checked field by field (a bad one is the worker's bug: 400). */
function promptSpec(b: Record<string, unknown>): PromptSpec {
  if (typeof b.kind !== 'string' || !KINDS.has(b.kind)) throw new BadRequest(400, `kind: one of ${[...KINDS].join(', ')}`);
  const t = b.text as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) throw new BadRequest(400, 'text: { zh, en }');
  const spec: PromptSpec = { kind: b.kind as PromptSpec['kind'], device: text(b.device ?? '', 'device', 40), text: { zh: text(t.zh, 'text.zh'), en: text(t.en, 'text.en') } };
  if (b.context !== undefined) {
    const c = b.context as Record<string, unknown>;
    if (typeof c !== 'object' || c === null) throw new BadRequest(400, 'context: { test, file, step }');
    spec.context = { test: optText(c.test, 'context.test', 500), file: optText(c.file, 'context.file', 500), step: optText(c.step, 'context.step', 200) };
  }
  if (spec.kind === 'value') {
    if (!VALUE_KINDS.has(b.valueKind as ValueKind)) throw new BadRequest(400, `valueKind: one of ${[...VALUE_KINDS].join(', ')}`);
    spec.valueKind = b.valueKind as ValueKind;
  }
  if (b.timeoutSeconds !== undefined) spec.timeoutSeconds = count(b.timeoutSeconds, 'timeoutSeconds');
  if (spec.kind === 'token') {
    spec.expect = text(b.expect ?? 'a UKEY', 'expect', 300);
    spec.serial = optText(b.serial, 'serial', 64);
  }
  return spec;
}

function sightings(v: unknown): Sighting[] {
  if (!Array.isArray(v) || v.length > MAX_SIGHTINGS) throw new BadRequest(400, `tokens: an array of at most ${MAX_SIGHTINGS} sightings`);
  return v.map((s: Record<string, unknown>) => {
    if (typeof s !== 'object' || s === null || !STATUSES.has(s.status as string)) throw new BadRequest(400, 'a sighting is { serial, label, status, message? }');
    const out: Sighting = { serial: text(s.serial, 'serial', 64), label: text(s.label, 'label', 64), status: s.status as Sighting['status'] };
    const m = optText(s.message, 'message', 500);
    if (m !== undefined) out.message = m;
    return out;
  });
}

export async function startStation(options: StationOptions = {}): Promise<Station> {
  const log = options.log ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const staleMs = options.staleMs ?? 60_000;
  const maxWaitMs = options.maxWaitMs ?? 25_000;
  const prompts = new Map<string, Prompt>();
  const run: RunProgress = { title: options.title ?? 'evsm-lab', total: 0, done: 0, failed: 0 };
  const notices: string[] = [];
  let paused = false;
  let version = 1;
  let nextId = 1;
  let closing = false;
  const pageWaiters = new Set<() => void>();

  const changed = (): void => {
    version++;
    for (const w of [...pageWaiters]) w();
  };
  const name = (p: Prompt): string => `prompt ${p.view.id} (${p.view.kind}${p.view.device ? `, device ${p.view.device}` : ''})`;

  function state(): StationState {
    const shown = [...prompts.values()].filter((p) => !p.held);
    return { version, paused, run: structuredClone(run), prompts: shown.map((p) => structuredClone(p.view)), held: prompts.size - shown.length, notices: [...notices] };
  }

  function remove(p: Prompt, why: string): void {
    if (!prompts.delete(p.view.id)) return;
    p.answer = undefined;
    for (const w of [...p.wake]) w();
    log(`station: ${name(p)} ${why}`);
    changed();
  }

  /** Waits until `ready()` or `ms` pass; `waiters` is where the wake-up is registered. */
  function wait(waiters: Set<() => void>, ms: number, ready: () => boolean, res: ServerResponse): Promise<void> {
    if (ready() || closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        if (!ready() && !closing && !timedOut && !gone) return;
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      let timedOut = false;
      let gone = false;
      const timer = setTimeout(() => {
        timedOut = true;
        done();
      }, ms);
      res.once('close', () => {
        gone = true;
        done();
      });
      waiters.add(done);
    });
  }

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const p of [...prompts.values()]) if (now - p.lastPoll > staleMs) remove(p, `withdrawn: its worker stopped asking for ${Math.round(staleMs / 1000)} s`);
  }, Math.min(5000, staleMs));
  sweeper.unref();

  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (e instanceof BadRequest) return send(res, e.status, { error: e.message });
      log(`station: internal error: ${(e as Error).message.split('\n')[0]}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error of the station' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A request refused before its body is read still has the body drained, so the connection stays usable.
    res.once('finish', () => req.resume());
    // Another page in the same browser must not answer prompts: only our own host name (no DNS
    // rebinding), and every change needs a JSON body (no cross-site form can send one without a
    // preflight, never answered) from our own origin when the browser names one.
    if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`) {
      return send(res, 421, { error: `the station answers only http://127.0.0.1:${port}/` });
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET') {
      const origin = req.headers.origin;
      if ((origin !== undefined && origin !== `http://${req.headers.host}`) || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return send(res, 403, { error: 'changes are accepted only from the station page or a worker (same origin, JSON body)' });
      }
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const waitMs = Math.min(Math.max(Number(url.searchParams.get('waitMs') ?? 0) || 0, 0), maxWaitMs);
    const path = url.pathname;

    if (method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
      return;
    }
    if (method === 'GET' && path === '/api/state') {
      const after = Number(url.searchParams.get('after') ?? 0) || 0;
      await wait(pageWaiters, waitMs, () => version > after, res);
      return send(res, 200, state());
    }
    if (method === 'POST' && path === '/api/prompts') {
      const spec = promptSpec(await body(req));
      const view: PromptView = { ...spec, id: String(nextId++), createdAt: new Date().toISOString(), state: 'open', notes: [] };
      if (spec.kind === 'token') view.seen = [];
      const p: Prompt = { view, held: paused, lastPoll: Date.now(), wake: new Set() };
      if (!p.held) view.shownAt = view.createdAt;
      prompts.set(view.id, p);
      log(`station: ${name(p)} ${p.held ? 'held (paused)' : 'shown'}${spec.context?.step ? ` at ${spec.context.step}` : ''}`);
      changed();
      return send(res, 201, { id: view.id });
    }
    if (method === 'POST' && path === '/api/pause') {
      const b = await body(req);
      if (typeof b.paused !== 'boolean') throw new BadRequest(400, 'paused: true or false');
      if (paused !== b.paused) {
        paused = b.paused;
        let released = 0;
        if (!paused) {
          for (const p of prompts.values()) {
            if (!p.held) continue;
            p.held = false;
            p.view.shownAt = new Date().toISOString();
            released++;
          }
        }
        log(`station: ${paused ? 'paused: new prompts are held' : `resumed${released ? `: ${released} held prompt(s) shown` : ''}`}`);
        for (const p of prompts.values()) for (const w of [...p.wake]) w();
        changed();
      }
      return send(res, 200, { paused });
    }
    if (method === 'POST' && path === '/api/progress') {
      const b = await body(req);
      if (b.title !== undefined) run.title = text(b.title, 'title', 200);
      if (b.total !== undefined) run.total = count(b.total, 'total');
      if (b.done !== undefined) run.done = count(b.done, 'done');
      if (b.failed !== undefined) run.failed = count(b.failed, 'failed');
      if (b.current === null) delete run.current;
      else if (b.current !== undefined) {
        const c = b.current as Record<string, unknown>;
        run.current = { test: text(c?.test, 'current.test', 500), file: optText(c?.file, 'current.file', 500) };
      }
      changed();
      return send(res, 204);
    }
    if (method === 'POST' && path === '/api/notice') {
      notices.push(text((await body(req)).line, 'line', 500));
      if (notices.length > 10) notices.shift();
      changed();
      return send(res, 204);
    }
    const m = /^\/api\/prompts\/(\d+)(?:\/(answer|seen|pin|note))?$/.exec(path);
    const p = m ? prompts.get(m[1]) : undefined;
    if (m && !p) return send(res, 404, { error: `no prompt ${m[1]}: it was answered, withdrawn, or the station restarted` });
    if (m && p) {
      const what = m[2];
      if (method === 'GET' && what === 'answer') return collect(p, waitMs, res);
      if (method === 'POST' && what === 'answer') return answer(p, await body(req), res);
      if (method === 'POST' && what === 'seen') {
        const seen = sightings((await body(req)).tokens);
        p.lastPoll = Date.now();
        if (JSON.stringify(seen) !== JSON.stringify(p.view.seen)) {
          p.view.seen = seen;
          changed();
        }
        return send(res, 204);
      }
      if (method === 'POST' && what === 'pin') {
        const b = await body(req);
        if (p.view.kind !== 'token') throw new BadRequest(409, 'only a token prompt asks for a PIN');
        const kind = b.kind === 'so' ? 'so' : 'user';
        const pin: PinRequest = { serial: text(b.serial, 'serial', 64), label: text(b.label, 'label', 64), kind, attempt: count(b.attempt, 'attempt') };
        p.view.pin = pin;
        p.view.state = 'open';
        p.answer = undefined;
        p.lastPoll = Date.now();
        log(`station: ${name(p)} wants the ${kind === 'so' ? 'SO PIN' : 'PIN'} of UKEY serial ${pin.serial} (attempt ${pin.attempt})`);
        changed();
        return send(res, 204);
      }
      if (method === 'POST' && what === 'note') {
        p.view.notes.push(text((await body(req)).line, 'line', 500));
        if (p.view.notes.length > 20) p.view.notes.shift();
        changed();
        return send(res, 204);
      }
      if (method === 'DELETE' && what === undefined) {
        const why = optText((await body(req)).reason, 'reason', 200);
        remove(p, `withdrawn by its worker${why ? `: ${why}` : ''}`);
        return send(res, 204);
      }
    }
    send(res, 404, { error: `no such page: ${method} ${path}` });
  }

  /** The worker's long-poll: the answer once there is one (handed over once, then forgotten). */
  async function collect(p: Prompt, waitMs: number, res: ServerResponse): Promise<void> {
    p.lastPoll = Date.now();
    await wait(p.wake, waitMs, () => p.answer !== undefined || !prompts.has(p.view.id), res);
    p.lastPoll = Date.now();
    if (!prompts.has(p.view.id)) return send(res, 404, { error: `prompt ${p.view.id} was withdrawn` });
    const answer = p.answer;
    if (!answer || res.destroyed) {
      const poll: AnswerPoll = { state: 'pending', held: p.held };
      return send(res, 200, poll);
    }
    p.answer = undefined;
    if (p.view.kind === 'token') {
      // The worker tries the PIN; it asks again (…/pin) or withdraws the prompt when the token is in.
      p.view.state = 'open';
      changed();
    } else {
      prompts.delete(p.view.id);
      changed();
    }
    const poll: AnswerPoll = { state: 'answered', answer };
    send(res, 200, poll);
  }

  /** The page's answer: checked, then kept for the worker. */
  function answer(p: Prompt, b: Record<string, unknown>, res: ServerResponse): void {
    try {
      if (p.held) throw new AnswerError('操作台已暂停 The station is paused: resume first');
      if (p.view.state !== 'open' || p.answer) throw new AnswerError('已回答 Already answered: waiting for the harness');
      const a = checkAnswer(p.view, b.answer);
      p.answer = a;
      p.view.state = 'answered';
      if (a.kind === 'pin') {
        delete p.view.pin;
        log(`station: ${name(p)}: PIN entered (handed to the worker only)`);
      } else {
        log(`station: ${name(p)} answered: ${a.kind === 'refused' ? `refused ${a.code}` : a.kind}`);
      }
      for (const w of [...p.wake]) w();
      changed();
      send(res, 200, { ok: true });
    } catch (e) {
      if (!(e instanceof AnswerError)) throw e;
      send(res, 400, { error: e.message });
    } finally {
      // The body may hold a PIN: drop the reference at once.
      for (const k of Object.keys(b)) delete b[k];
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}/`;
  log(`station: operator station at ${url} (open it in a browser on this machine)`);
  return {
    url,
    port,
    server,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        clearInterval(sweeper);
        for (const w of [...pageWaiters]) w();
        for (const p of prompts.values()) for (const w of [...p.wake]) w();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
