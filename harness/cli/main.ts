/**
 * evsm-lab command line (docs/cli.md). bin/evsm-lab.mjs registers tsx in its own process and
 * calls `runCli`: one process, so a signal sent to that pid reaches the verb that is running.
 * Each verb module is loaded only when it runs (the emulator starts without the report code).
 */
import { checkHelp, runVerb, UsageError, type Verb } from './usage.ts';

interface VerbEntry {
  name: string;
  summary: string;
  load: () => Promise<Verb>;
}

const VERBS: VerbEntry[] = [
  { name: 'run', summary: 'run the scenario catalog on one or more targets, then build the reports', load: async () => (await import('./run.ts')).RUN },
  { name: 'emulator', summary: 'run one EVSM emulator in the foreground (SIGTERM/SIGINT stop it, exit 0)', load: async () => emulatorVerb() },
  { name: 'doctor', summary: "check each target's prerequisites and say what to install or fix", load: async () => (await import('./doctor.ts')).DOCTOR },
  { name: 'report', summary: 'build the reports of a run, verify a certification report, make a signing key', load: async () => (await import('./report.ts')).REPORT },
  { name: 'vsm-manager', summary: 'serve the VsmManager stand-in console for emulators on 127.0.0.1 (docs/vsm-manager.md)', load: async () => (await import('./vsm-manager.ts')).VSM_MANAGER },
  { name: 'ukey', summary: 'ukey blank --dir DIR: make blank virtual UKEYs for a rehearsal by hand (docs/cli.md)', load: async () => (await import('./ukey.ts')).UKEY },
  { name: 'cacipher', summary: 'cacipher check FILE|STRING: how the client reads a configuration, and every problem in it', load: async () => (await import('./cacipher.ts')).CACIPHER_CHECK },
];

const OVERVIEW = [
  'usage: evsm-lab VERB [OPTION...]      (evsm-lab VERB --help: its options and an example)',
  '',
  ...VERBS.map((v) => `  ${v.name.padEnd(9)} ${v.summary}`),
  '',
  'Exit status: 0 success, 1 a check or test failed, 2 a usage error. docs/cli.md has every verb.',
].join('\n');

/** The emulator reads its own options (emulators/evsm/args.ts); this adds only the CLI's help. */
async function emulatorVerb(): Promise<Verb> {
  const { USAGE } = await import('../../emulators/evsm/args.ts');
  const help = `${USAGE}

Runs one EVSM emulator in the foreground: host protocol on --port, management protocol on
--mgmt-port (default: port + 1; both ephemeral with --port 0), state kept in --data. When it
listens it prints one line on stdout (docs/emulator.md has its fields):
  evsm-emulator ready name=EVSM port=8018 mgmt-port=8019 tls-port=- pid=4242 dmk-kcv=-
SIGTERM or SIGINT (Ctrl-C) closes the listeners, releases the data directory's lock and exits 0.
docs/emulator.md has every option.

Example:
  npx evsm-lab emulator --port 8018 --data ./evsm-a --name A`;
  return {
    name: 'emulator',
    synopsis: USAGE,
    help,
    run: async (args) => {
      checkHelp(args);
      const { main } = await import('../../emulators/evsm/cli.ts');
      return main(args);
    },
  };
}

/** Runs one command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h') {
    console.log(OVERVIEW);
    return 0;
  }
  if (verb === 'help') {
    if (rest.length === 0) {
      console.log(OVERVIEW);
      return 0;
    }
    return main([rest[0], '--help']);
  }
  const entry = VERBS.find((v) => v.name === verb);
  if (!entry) {
    console.error(verb === undefined ? 'evsm-lab: which verb?' : `evsm-lab: unknown verb "${verb}"`);
    console.error(OVERVIEW);
    return 2;
  }
  return runVerb(await entry.load(), rest);
}

/** The launcher's entry: runs the command line and ends the process with its status. */
export async function runCli(argv: string[]): Promise<never> {
  let status: number;
  try {
    status = await main(argv);
  } catch (e) {
    // A bug, not a usage problem: the stack says where.
    console.error(`evsm-lab: ${e instanceof UsageError ? e.message : ((e as Error).stack ?? String(e))}`);
    status = 1;
  }
  // Explicit exit: a verb that is done must not linger on a timer or socket someone forgot.
  process.exit(status);
}
