/**
 * `evsm-lab emulator …`: runs one device in the foreground, prints the ready line, and stops
 * cleanly (exit 0) on SIGTERM or SIGINT.
 */
import { parseArgs, USAGE, UsageError } from './args.ts';
import { readyLine, startEmulator } from './emulator.ts';
import { stderrLogger } from './log.ts';

export async function main(args: string[]): Promise<number> {
  let opts;
  try {
    opts = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`evsm-lab emulator: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const log = stderrLogger(opts.name, opts.debug || process.env.EVSM_EMULATOR_DEBUG === '1');
  let running;
  try {
    running = await startEmulator(opts, log);
  } catch (e) {
    console.error(`evsm-lab emulator: cannot start ${opts.name}: ${(e as Error).message}`);
    return 1;
  }
  log.info(`device ${running.device.deviceId} state=${running.device.status} keys=${running.device.state.keys.length} data=${opts.dataDir}`);
  process.stdout.write(readyLine(opts.name, running) + '\n');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info(`${signal}: stopping`);
  await running.close();
  return 0;
}
