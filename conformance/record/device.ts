/**
 * The conformance test device: an emulator process on 127.0.0.1 with a deterministic DMK (from
 * fixed TEST components, so every run and every replay has the same LMKs and every recorded key
 * cryptogram stays valid), and the fixture ZMK the Java program needs: a ZMK whose clear value
 * is known, formed with the emulator EXTENSION XK (decision 10; a real device gets its ZMK from
 * key components entered by an operator instead).
 *
 * The components below are public test values of this repository, never a real device's.
 */
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combineXor, fromHex, hex, kcv, setOddParity } from '../../crypto/index.ts';
import { EmulatorProcess } from '../../harness/targets/emulator-process.ts';
import { FrameSplitter, frame } from './frames.ts';

/** DMK components of the conformance test device (XOR = the DMK). TEST VALUES ONLY. */
export const TEST_DMK_COMPONENTS = ['0123456789ABCDEFFEDCBA9876543210', '00112233445566778899AABBCCDDEEFF'] as const;
/** Components of the fixture ZMK (type 000, flag X, 3DES double length). TEST VALUES ONLY. */
export const TEST_ZMK_COMPONENTS = ['1C587F1C13924FEF0123456789ABCDEF', '2A2A2A2A2A2A2A2A5B5B5B5B5B5B5B5B'] as const;

export interface FixtureZmk {
  flag: 'X';
  /** key under the LMK, as XK answered */
  cipher: string;
  /** clear value: odd-parity XOR of the components */
  clear: string;
  cv: string;
}

/** Writes the components file the emulator's --dmk-components-file reads. */
export function writeComponentsFile(dir: string): string {
  const path = join(dir, 'dmk-components.txt');
  writeFileSync(path, `# evsm-lab conformance test device: TEST components only\n${TEST_DMK_COMPONENTS.join('\n')}\n`, { mode: 0o600 });
  return path;
}

export interface TestDeviceOptions {
  name: string;
  headerLength?: number;
  /** false: a random DMK (--init) instead of the test components */
  deterministic?: boolean;
  /** data directory; default a fresh temporary one */
  dataDir?: string;
  port?: number;
}

/**
 * Work directories (components file, data directory) to remove when this process exits: tests
 * stop, kill and restart a device, so its stop is not the end of it. One exit listener for all.
 */
const workDirs = new Set<string>();
function removeAtExit(dir: string): void {
  if (workDirs.size === 0) process.once('exit', () => workDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  workDirs.add(dir);
}

/** Starts an initialized emulator process (header length 0 unless told). */
export async function startTestDevice(o: TestDeviceOptions): Promise<EmulatorProcess> {
  const work = mkdtempSync(join(tmpdir(), `evsm-conf-${o.name}-`));
  removeAtExit(work);
  const init = o.deterministic === false ? ['--init'] : ['--dmk-components-file', writeComponentsFile(work)];
  return EmulatorProcess.start({
    name: o.name,
    dataDir: o.dataDir ?? join(work, 'data'),
    port: o.port,
    extraArgs: ['--header-length', String(o.headerLength ?? 0), ...init],
  });
}

/** One request on a fresh connection; the answer's payload (after the header). */
export function exchange(port: number, payload: Buffer, headerLength = 0, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const frames = new FrameSplitter();
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write(frame(Buffer.concat([Buffer.alloc(headerLength, 0x30), payload]))));
    s.on('data', (d: Buffer) => {
      const [f] = frames.push(d);
      if (!f) return;
      clearTimeout(timer);
      s.destroy();
      resolve(f.subarray(headerLength));
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** The XK request that forms the fixture ZMK (recorded as the transcripts' setup). */
export function zmkRequest(): Buffer {
  return Buffer.from(`XK000X2${TEST_ZMK_COMPONENTS.join('')}`, 'latin1');
}

/** Parses XK's answer into the fixture; throws when the device answered an error or a wrong CV. */
export function fixtureFromAnswer(answer: Buffer): FixtureZmk {
  const text = answer.toString('latin1');
  const m = /^XL00(X[0-9A-F]{32})([0-9A-F]{16})$/.exec(text);
  if (!m) throw new Error(`XK (form the fixture ZMK) answered ${JSON.stringify(text.slice(0, 8))}…: XL00 + X32H + 16H expected`);
  const clear = combineXor(TEST_ZMK_COMPONENTS.map((c) => fromHex(c)));
  setOddParity(clear);
  const cv = kcv('3DES', clear);
  if (cv !== m[2]) throw new Error(`XK's check value ${m[2]} is not the KCV of the odd-parity XOR of the components (${cv})`);
  return { flag: 'X', cipher: m[1], clear: hex(clear), cv };
}

export async function formFixtureZmk(port: number, headerLength = 0): Promise<FixtureZmk> {
  return fixtureFromAnswer(await exchange(port, zmkRequest(), headerLength));
}

/** The Java program's --fixture file (Java properties). */
export function writeFixtureFile(dir: string, zmk: FixtureZmk, extra: Record<string, string> = {}): string {
  const path = join(dir, 'fixture.properties');
  const lines = [`zmk.flag=${zmk.flag}`, `zmk.cipher=${zmk.cipher}`, `zmk.clear=${zmk.clear}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
  return path;
}

/** The cacipher string form for hosts on 127.0.0.1. */
export function stringConfig(ports: number[], o: { headerLength?: number; timeout?: number; linkNum?: number } = {}): string {
  const hosts = ports.map((p, i) =>
    `[HOST${i + 1}];hsmModel=SJJ1310;host=127.0.0.1;port=${p};linkNum=${o.linkNum ?? 2};timeout=${o.timeout ?? 5}` + (o.headerLength ? `;msgheadlength=${o.headerLength}` : ''),
  );
  return `{[LOGGER];logsw=error;logPath=./;${hosts.join(';')};}`;
}

/**
 * The vendor's file form, as in the vendor-written cacipher.ini of the seeds: `[HOST 1]` with a
 * space, tabs around `=`, msgheadlength and encodetype.
 */
export function iniConfig(ports: number[], o: { headerLength?: number; timeout?: number; linkNum?: number } = {}): string {
  const lines = ['[LOGGER]', 'logsw\t\t=\terror', 'logPath\t\t=\t./'];
  ports.forEach((p, i) => {
    lines.push(`[HOST ${i + 1}]`, 'hsmModel\t=\tSJJ1310', `linkNum\t\t=\t${o.linkNum ?? 2}`, 'host\t\t=\t127.0.0.1', `port\t\t=\t${p}`, `timeout\t\t=\t${o.timeout ?? 5}`, 'encodetype\t=\t0', `msgheadlength\t=\t${o.headerLength ?? 0}`);
  });
  return lines.join('\n') + '\n';
}
