/**
 * `evsm-lab vsm-manager`: serves the VsmManager stand-in console (vsm-manager/, docs/vsm-manager.md)
 * on 127.0.0.1 until SIGINT/SIGTERM. A client program: it reaches devices only through their
 * management ports, as VsmManager does.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startConsole } from '../../vsm-manager/server.ts';
import type { Device } from '../../vsm-manager/operations.ts';
import { parseOptions, single, UsageError, type Verb } from './usage.ts';

const SYNOPSIS = 'usage: evsm-lab vsm-manager --device NAME=HOST:MGMTPORT [--device …] --tokens DIR [--backups DIR] [--port P]';

function parseDevice(s: string): Device {
  const m = /^([A-Za-z0-9_.-]+)=([^:]+):(\d{1,5})$/.exec(s);
  if (!m) throw new UsageError(`--device "${s}" is not NAME=HOST:MGMTPORT (e.g. A=127.0.0.1:8019)`);
  if (m[2] !== '127.0.0.1' && m[2] !== 'localhost') throw new UsageError(`--device ${m[1]}: the stand-in console talks to emulators on 127.0.0.1 only`);
  return { name: m[1], host: '127.0.0.1', port: Number(m[3]) };
}

function dir(option: string, value: string | undefined, fallback?: string): string {
  const d = resolve(value ?? fallback ?? '');
  if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`${option} ${d}: no such directory`);
  return d;
}

export const VSM_MANAGER: Verb = {
  name: 'vsm-manager',
  synopsis: SYNOPSIS,
  help: `${SYNOPSIS}

Serves a stand-in of TASS's VsmManager for rehearsals on emulators: a web page on 127.0.0.1 with
密钥管理 › 备份导出, 恢复导入, 原始初始化, 恢复初始化, 获取 DMK 校验值, 导出 DMK 成份, on top of each
device's management port and the virtual UKEYs in --tokens. docs/vsm-manager.md walks through it.

  --device NAME=HOST:MGMTPORT  a device and its management port (repeat for each device; 127.0.0.1 only)
  --tokens DIR                 folder of virtual UKEY files (<serial>.ukey.json)
  --backups DIR                where backup files are written and read (default: current folder)
  --port P                     console port (default 0: any free port; the URL is printed)

Example:
  npx evsm-lab vsm-manager --device A=127.0.0.1:8019 --device B=127.0.0.1:8029 --tokens ./ukeys --port 8100`,
  async run(args) {
    const o = parseOptions(args, { '--device': 'repeatable', '--tokens': 'value', '--backups': 'value', '--port': 'value' });
    if (o.positional.length) throw new UsageError(`unexpected argument ${o.positional[0]}`);
    const devices = (o.values.get('--device') ?? []).map(parseDevice);
    if (!devices.length) throw new UsageError('name at least one --device');
    if (new Set(devices.map((d) => d.name)).size !== devices.length) throw new UsageError('two --device options have the same name');
    const tokens = single(o, '--tokens');
    if (!tokens) throw new UsageError('--tokens DIR is needed');
    const portText = single(o, '--port') ?? '0';
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port "${portText}" is not a port number`);
    const c = await startConsole({ devices, tokensDir: dir('--tokens', tokens), backupDir: dir('--backups', single(o, '--backups'), '.'), port: Number(portText) });
    console.log(`vsm-manager ready url=${c.url} devices=${devices.map((d) => d.name).join(',')} pid=${process.pid}`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await c.close();
    return 0;
  },
};
