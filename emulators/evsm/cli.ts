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
