/**
 * The runtime part of the offline image: the host's node binary plus the shared libraries the
 * dynamic loader needs for it (as `ldd` lists them), each placed at the path the loader looks
 * for, and the few files a process expects (/etc/passwd with a non-root user, /tmp).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { realpathSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const run = promisify(execFile);

/** uid/gid of the unprivileged user the container runs as (also in the Dockerfile). */
export const EVSM_UID = 10001;

/** A file of the image: where it comes from on the host, where it goes in the image. */
export interface RuntimeFile {
  source: string;
  target: string;
}

/** Parses `ldd` output: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)". */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) paths.push(m[1]);
  }
  return paths;
}

/** node and its libraries. A statically linked node (ldd says so and exits 1) needs none. */
export async function nodeRuntimeFiles(nodePath: string = process.execPath): Promise<RuntimeFile[]> {
  let output = '';
  try {
    output = (await run('ldd', [nodePath])).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: unknown };
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!/not a dynamic executable|statically linked/.test(text)) {
      throw new Error(`ldd ${nodePath} failed: ${text.trim() || String(e.code)}`);
    }
  }
  const libs = parseLdd(output).map((p) => ({ source: realpathSync(p), target: p }));
  return [{ source: realpathSync(nodePath), target: '/usr/local/bin/node' }, ...libs];
}

/** /etc files of the image, as text: root plus the evsm user, nothing else. */
export function etcFiles(): Record<string, string> {
  return {
    '/etc/passwd': `root:x:0:0:root:/root:/sbin/nologin\nevsm:x:${EVSM_UID}:${EVSM_UID}:EVSM emulator:/data:/sbin/nologin\n`,
    '/etc/group': `root:x:0:\nevsm:x:${EVSM_UID}:\n`,
    '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files\n',
    '/etc/hosts': '127.0.0.1 localhost\n',
  };
}

/** Writes the runtime tree under `root` (the Dockerfile copies it to /). */
export async function writeRuntime(root: string, files: RuntimeFile[]): Promise<void> {
  for (const f of files) {
    const dest = join(root, f.target);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(f.source, dest);
  }
  for (const [path, text] of Object.entries(etcFiles())) {
    const dest = join(root, path);
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, text);
  }
  await mkdir(join(root, 'tmp'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
}
