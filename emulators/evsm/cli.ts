/**
 * `evsm-lab emulator …`: runs one device in the foreground, prints the ready line, and stops
 * cleanly (exit 0) on SIGTERM or SIGINT. Exit 1: could not start; exit 2: bad command line or
 * bad DMK components (then nothing was written).
 */
import { parseArgs, type InitOptions, USAGE, UsageError } from './args.ts';
import { InitInputError, parseComponents, readComponentsFile, type InitRequest } from './dmk-init.ts';
import { readyLine, startEmulator } from './emulator.ts';
import { stderrLogger } from './log.ts';

/** The initialization the options ask for, components read and checked (before the device is opened). */
function initRequest(o: InitOptions): InitRequest | undefined {
  if (o.componentsFile !== undefined) return { kind: 'components', components: readComponentsFile(o.componentsFile), source: `--dmk-components-file ${o.componentsFile}` };
  if (o.componentsInline !== undefined) return { kind: 'components', components: parseComponents(o.componentsInline, 'EVSM_DMK_COMPONENTS', ','), source: 'EVSM_DMK_COMPONENTS' };
  return o.init ? { kind: 'random' } : undefined;
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts;
  let init;
  try {
    opts = parseArgs(args, env);
    init = initRequest(opts);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`evsm-lab emulator: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof InitInputError) {
      console.error(`evsm-lab emulator: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const log = stderrLogger(opts.name, opts.debug || env.EVSM_EMULATOR_DEBUG === '1');
  let running;
  try {
    running = await startEmulator({ ...opts, init }, log);
  } catch (e) {
    console.error(`evsm-lab emulator: cannot start ${opts.name}: ${(e as Error).message}`);
    return 1;
  }
  log.info(`device ${running.device.deviceId} state=${running.device.status} keys=${running.device.state.keys.length} data=${opts.dataDir}`);
  // Handlers go in before the ready line: a supervisor may signal the moment it reads that line.
  // `on`, not `once`: a second signal while stopping must not kill the process mid-write.
  const signal = new Promise<string>((resolve) => {
    process.on('SIGTERM', () => resolve('SIGTERM'));
    process.on('SIGINT', () => resolve('SIGINT'));
  });
  process.stdout.write(readyLine(opts.name, running) + '\n');
  log.info(`${await signal}: stopping`);
  await running.close();
  return 0;
}
