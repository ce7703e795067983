/**
 * Runs the `docker` command line and collects its output. The image build, the readiness check,
 * SIGKILL and the label clean-up all go through here, so "docker is not installed" is reported
 * the same way everywhere (code -1 and a one-line message) instead of as an ENOENT stack.
 */
import { spawn } from 'node:child_process';

export interface DockerResult {
  /** exit code; -1 when the docker command could not be run at all */
  code: number;
  stdout: string;
  stderr: string;
}

export function runDocker(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\ndocker ${args[0]}: no answer within ${options.timeoutMs} ms`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      const message = err.code === 'ENOENT' ? 'the docker command is not installed' : `docker could not be run: ${err.message}`;
      resolve({ code: -1, stdout, stderr: message });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs docker and throws with its first meaningful stderr line when it fails. */
export async function docker(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const r = await runDocker(args, options);
  if (r.code !== 0) throw new Error(`docker ${args[0]} failed: ${firstLine(r.stderr) || `exit code ${r.code}`}`);
  return r.stdout;
}

/** The first non-empty line that is not a deprecation notice, for one-line reasons. */
export function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^DEPRECATED|^Install the buildx|^https:\/\/docs\.docker/.test(l));
  return lines[0] ?? '';
}
