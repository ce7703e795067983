/** Command line of the emulator program (docs/emulator.md). */
export interface EmulatorOptions {
  port: number;
  dataDir: string;
  name: string;
  host: string;
  /** undefined = port + 1, or ephemeral when port is 0 */
  mgmtPort?: number;
  tlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  headerLength: number;
  debug: boolean;
}

export const USAGE =
  'usage: evsm-lab emulator --port P --data DIR [--name NAME] [--host 127.0.0.1] [--mgmt-port Q] ' +
  '[--tls-port T --tls-cert CERT.pem --tls-key KEY.pem] [--header-length 4] [--debug]';

export class UsageError extends Error {}

function portOf(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`${flag} must be a port number 0-65535, got "${v}"`);
  return n;
}

export function parseArgs(args: readonly string[]): EmulatorOptions {
  const values = new Map<string, string>();
  let debug = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--debug') {
      debug = true;
      continue;
    }
    if (!['--port', '--data', '--name', '--host', '--mgmt-port', '--tls-port', '--tls-cert', '--tls-key', '--header-length'].includes(a)) {
      throw new UsageError(`unknown option ${a}`);
    }
    const v = args[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    values.set(a, v);
  }
  const port = values.get('--port');
  const dataDir = values.get('--data');
  if (port === undefined) throw new UsageError('--port is required (0 = any free port)');
  if (dataDir === undefined) throw new UsageError('--data is required (the directory that holds the device state)');
  const name = values.get('--name') ?? 'EVSM';
  if (!/^\S+$/.test(name)) throw new UsageError('--name must not contain spaces');
  const headerLength = Number(values.get('--header-length') ?? '4');
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > 32) throw new UsageError('--header-length must be 0-32');
  const tlsPort = values.has('--tls-port') ? portOf('--tls-port', values.get('--tls-port') as string) : undefined;
  const tlsCert = values.get('--tls-cert');
  const tlsKey = values.get('--tls-key');
  if (tlsPort !== undefined && (!tlsCert || !tlsKey)) throw new UsageError('--tls-port needs --tls-cert and --tls-key (PEM files)');
  return {
    port: portOf('--port', port),
    dataDir,
    name,
    host: values.get('--host') ?? '127.0.0.1',
    mgmtPort: values.has('--mgmt-port') ? portOf('--mgmt-port', values.get('--mgmt-port') as string) : undefined,
    tlsPort,
    tlsCert,
    tlsKey,
    headerLength,
    debug,
  };
}
