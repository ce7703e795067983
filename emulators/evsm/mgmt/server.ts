/**
 * The management listener: length-prefixed JSON requests, run one at a time across all
 * connections (a device does one management operation at a time), answered by id.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { MgmtError } from '../errors.ts';
import type { Device } from '../device/device.ts';
import type { Logger } from '../log.ts';
import { Challenges } from './auth.ts';
import type { MgmtContext, Op } from './context.ts';
import { encodeJsonFrame, JsonFrames } from './frame.ts';
import { backupExport, restoreImport } from './ops/backup.ts';
import { combine, exportDmkComponents, importComponent, newAuth, originalInit, recoveryBegin, syncAuth } from './ops/dmk.ts';
import { getAuthInfo, getChallenge, getDmkKcv, getInfo } from './ops/info.ts';
import type { Params } from './params.ts';

const OPS: Readonly<Record<string, Op>> = {
  getInfo,
  getChallenge,
  getDmkKcv,
  getAuthInfo,
  originalInit,
  recoveryBegin,
  importComponent,
  combine,
  syncAuth,
  newAuth,
  exportDmkComponents,
  backupExport,
  restoreImport,
};

type Id = string | number | null;

export function createMgmtServer(opts: { device: Device; log: Logger }): Server {
  const ctx: MgmtContext = { device: opts.device, challenges: new Challenges(), log: opts.log, recovery: null };
  let queue: Promise<void> = Promise.resolve();

  const run = async (socket: Socket, id: Id, opName: string, params: Params): Promise<void> => {
    const send = (v: unknown): void => {
      if (!socket.destroyed) socket.write(encodeJsonFrame(v));
    };
    const op = Object.prototype.hasOwnProperty.call(OPS, opName) ? OPS[opName] : undefined;
    try {
      if (!op) throw new MgmtError('UNKNOWN_OP', `no operation "${opName}"; see docs/management-protocol.md`);
      const result = await op(ctx, params, (phase, done, total) => send({ id, event: 'progress', phase, done, total }));
      send({ id, ok: true, result });
    } catch (e) {
      const err = e instanceof MgmtError ? e : new MgmtError('INTERNAL', `internal error in ${opName}: ${(e as Error).message}`);
      opts.log.info(`mgmt: ${opName} refused ${err.code}: ${err.message}`);
      send({ id, ok: false, error: { code: err.code, message: err.message } });
    }
  };

  return createServer((socket) => {
    const frames = new JsonFrames();
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      let texts: string[];
      try {
        texts = frames.push(chunk);
      } catch (e) {
        socket.end(encodeJsonFrame({ id: null, ok: false, error: { code: 'BAD_REQUEST', message: (e as Error).message } }));
        return;
      }
      for (const text of texts) {
        let req: { id?: unknown; op?: unknown; params?: unknown };
        try {
          req = JSON.parse(text) as typeof req;
        } catch {
          socket.write(encodeJsonFrame({ id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'frame is not JSON' } }));
          continue;
        }
        const id: Id = typeof req?.id === 'string' || typeof req?.id === 'number' ? req.id : null;
        if (typeof req?.op !== 'string') {
          socket.write(encodeJsonFrame({ id, ok: false, error: { code: 'BAD_REQUEST', message: 'request needs "op" (string)' } }));
          continue;
        }
        const params = req.params && typeof req.params === 'object' ? (req.params as Params) : {};
        const opName = req.op;
        queue = queue.then(() => run(socket, id, opName, params));
      }
    });
  });
}
