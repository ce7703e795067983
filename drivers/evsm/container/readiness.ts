/**
 * Can the `containers` target run here? Answers { ready: true, image } or
 * { ready: false, reason } with a one-line reason the target prints when it skips:
 * no docker command, no running engine, no emulator yet, or an image that cannot be built.
 */
import { relative } from 'node:path';
import { EMULATOR_ENTRY, REPO_ROOT, defaultEntry, ensureEvsmImage } from '../../../docker/build-image.ts';
import { firstLine, runDocker } from '../../../docker/docker-cli.ts';

export type ContainersReadiness =
  | { ready: true; image: string; standIn: boolean }
  | { ready: false; reason: string };

export interface ReadinessOptions {
  /** entry to build the image from; default the real emulator (the stand-in is never chosen by itself) */
  entry?: string;
}

const SETUP_HINT = 'run `npm run setup:system`';

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

async function check(options: ReadinessOptions): Promise<ContainersReadiness> {
  const client = await runDocker(['version', '--format', '{{.Client.Version}}'], { timeoutMs: 10_000 });
  if (client.code === -1) return { ready: false, reason: `Docker is not installed (no docker command); ${SETUP_HINT}` };
  const engine = await runDocker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  if (engine.code !== 0 || !engine.stdout.trim()) {
    const why = firstLine(engine.stderr) || `docker info exit code ${engine.code}`;
    return { ready: false, reason: oneLine(`the Docker engine is not running (${why}); ${SETUP_HINT}`) };
  }
  if (options.entry === undefined && defaultEntry().standIn) {
    return { ready: false, reason: `the EVSM emulator (${relative(REPO_ROOT, EMULATOR_ENTRY)}) does not exist yet, so there is no image to run` };
  }
  try {
    const image = await ensureEvsmImage({ entry: options.entry });
    return { ready: true, image: image.tag, standIn: image.standIn };
  } catch (err) {
    return { ready: false, reason: oneLine(`the EVSM emulator image cannot be built: ${(err as Error).message.split('\n')[0]}`) };
  }
}

const memo = new Map<string, Promise<ContainersReadiness>>();

/** Checked once per process (and per option set); a later call gets the same answer. */
export function checkContainersReadiness(options: ReadinessOptions = {}): Promise<ContainersReadiness> {
  const key = options.entry ?? 'emulator';
  let p = memo.get(key);
  if (!p) memo.set(key, (p = check(options)));
  return p;
}
