/**
 * Standalone entry: `node --import tsx emulators/evsm/program.ts --port P --data DIR …`.
 * Also the esbuild entry for the container image: nothing here depends on the source layout.
 * Host worker threads (--workers) run this same file.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { main } from './cli.ts';
import { runHostWorker, WORKER_ROLE } from './host/workers.ts';

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  // A host worker thread (--workers N): the same file, the worker side.
  runHostWorker();
} else {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`evsm-lab emulator: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    },
  );
}
