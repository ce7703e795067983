#!/usr/bin/env node
// Launcher: registers tsx in this very process and imports the TypeScript CLI (no build step).
// In-process on purpose: a signal sent to this pid (kill, Ctrl-C, a supervisor) reaches the verb
// that runs — the emulator closes its ports and releases its lock. A child process would be
// left running when only this pid is killed.
import { register } from 'tsx/esm/api';

// Under npx / npm run, npm starts us through `sh -c`. npm passes SIGTERM and SIGINT on to that
// shell, but dash (Debian's sh) dies of them without passing them to us, and we would be left
// running, orphaned (seen with npm 11.19). So when npm started us and our parent goes away, we
// take it as the SIGTERM it was (docs/cli.md, "Signals").
if (process.env.npm_command !== undefined || process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 100);
  watch.unref();
}

register();
const { runCli } = await import('../harness/cli/main.ts');
await runCli(process.argv.slice(2));
