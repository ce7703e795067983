/**
 * The rules every verb of `evsm-lab` follows (docs/cli.md, "Conventions"):
 *  - `--help` or `-h` anywhere among its options prints the verb's help on stdout, exit 0;
 *  - a usage error prints one line naming the problem and the verb's synopsis on stderr, exit 2;
 *  - options are `--name value` or `--name=value`; `--` ends the options.
 */

/** A wrong command line: the verb did nothing. */
export class UsageError extends Error {}

/** Thrown by `parseOptions` when `--help`/`-h` is among the options. */
class HelpRequested extends Error {}

export interface Verb {
  /** As typed after `evsm-lab`, e.g. `cacipher check`. */
  name: string;
  /** The usage lines (`usage: evsm-lab …`), printed after a usage error. */
  synopsis: string;
  /** Synopsis, options, an example: what `--help` prints. */
  help: string;
  /** Runs the verb; may throw UsageError. Resolves to the exit status. */
  run(args: string[]): Promise<number>;
}

/** How an option is spelled on the command line. */
export type OptionKind = 'flag' | 'value' | 'repeatable';

export interface ParsedOptions {
  /** Values by option name (`--target` → ['embedded', 'containers']); flags map to []. */
  values: Map<string, string[]>;
  /** Arguments that are not options, in order. */
  positional: string[];
  /** Everything after `--`, untouched. */
  passThrough: string[];
}

/**
 * Splits `args` by `spec`. Unknown options, a missing value and a value-option given twice are
 * usage errors; `--help`/`-h` wins over any of them (someone asking for help gets it).
 */
export function parseOptions(args: readonly string[], spec: Record<string, OptionKind>): ParsedOptions {
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  let passThrough: string[] = [];
  let problem: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      passThrough = args.slice(i + 1);
      break;
    }
    if (a === '--help' || a === '-h') throw new HelpRequested();
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const kind = spec[name];
    if (kind === undefined) {
      problem ??= `unknown option ${name}`;
      continue;
    }
    if (kind === 'flag') {
      if (eq > 0) problem ??= `${name} takes no value`;
      values.set(name, []);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[i + 1];
    if (eq < 0) {
      // A following option is not a value: `--lab --no-report` forgot the file.
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        problem ??= `${name} needs a value`;
        continue;
      }
      i++;
    }
    const list = values.get(name) ?? [];
    if (kind === 'value' && list.length) problem ??= `${name} given twice`;
    list.push(value);
    values.set(name, list);
  }
  if (problem) throw new UsageError(problem);
  return { values, positional, passThrough };
}

/** The one value of a 'value' option, or undefined. */
export function single(parsed: ParsedOptions, name: string): string | undefined {
  return parsed.values.get(name)?.[0];
}

/** Checks a value against a fixed list; the message lists the choices. */
export function oneOf<T extends string>(option: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${option} "${value}" is not one of ${choices.join(', ')}`);
  return value as T;
}

/** For a verb whose options another parser reads: `--help`/`-h` before any `--` asks for help. */
export function checkHelp(args: readonly string[]): void {
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')) throw new HelpRequested();
}

/** A usage error or a help request: a verb that catches its own failures must let these through. */
export function isUsage(e: unknown): boolean {
  return e instanceof UsageError || e instanceof HelpRequested;
}

/** Runs a verb under the conventions above and returns its exit status. */
export async function runVerb(verb: Verb, args: string[]): Promise<number> {
  try {
    return await verb.run(args);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(verb.help);
      return 0;
    }
    if (e instanceof UsageError) {
      console.error(`evsm-lab ${verb.name}: ${e.message}`);
      console.error(verb.synopsis);
      return 2;
    }
    throw e;
  }
}
