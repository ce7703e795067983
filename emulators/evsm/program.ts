/**
 * Standalone entry: `node --import tsx emulators/evsm/program.ts --port P --data DIR …`.
 * Also the esbuild entry for the container image: nothing here depends on the source layout.
 */
import { main } from './cli.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`evsm-lab emulator: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
