/**
 * Prerequisite checks, shared by `evsm-lab doctor` and by the fixtures (a target whose system
 * part is missing skips with the check's one-line reason). Each check says what to install or
 * fix; none of them throws.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_PROGRAM } from '../targets/emulator-process.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found (version, path) or what went wrong, one line. */
  detail: string;
  /** What to install or do when not ok. */
  fix?: string;
}

export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const CHROMIUM = '/usr/bin/chromium';

function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ ok: !err, out: `${stdout}${stderr}`.trim() || (err ? err.message : '') });
    });
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

export function checkNode(): CheckResult {
  const major = Number(process.versions.node.split('.')[0]);
  return { name: 'Node.js', ok: major >= 20, detail: `v${process.versions.node}`, fix: 'install Node.js 20 or later' };
}

export function checkEmulatorProgram(): CheckResult {
  const ok = existsSync(EMULATOR_PROGRAM);
  return { name: 'EVSM emulator', ok, detail: ok ? 'emulators/evsm/program.ts' : 'emulators/evsm/program.ts is missing', fix: 'update the checkout (the emulator is part of the repository)' };
}

/** Pings the Docker engine's API on its socket (DOCKER_HOST unix:// or the default socket). */
export function checkDocker(timeoutMs = 3000): Promise<CheckResult> {
  const host = process.env.DOCKER_HOST;
  const socketPath = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  const fix = 'run `npm run setup:system` (installs docker.io and starts `dockerd --bridge=none --iptables=false`)';
  if (host && !host.startsWith('unix://')) {
    return Promise.resolve({ name: 'Docker engine', ok: false, detail: `DOCKER_HOST=${host} is not a unix socket; doctor checks unix sockets only`, fix });
  }
  if (!existsSync(socketPath)) return Promise.resolve({ name: 'Docker engine', ok: false, detail: `not running (no ${socketPath})`, fix });
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve(res.statusCode === 200 ? { name: 'Docker engine', ok: true, detail: `answers on ${socketPath}` } : { name: 'Docker engine', ok: false, detail: `ping returned ${res.statusCode} ${body.trim()}`, fix }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', (e) => resolve({ name: 'Docker engine', ok: false, detail: `not running (${(e as NodeJS.ErrnoException).code ?? e.message} on ${socketPath})`, fix }));
    req.end();
  });
}

export async function checkSofthsm(): Promise<CheckResult> {
  const fix = 'run `npm run setup:system` or `apt-get install -y softhsm2`';
  if (!existsSync(SOFTHSM2_MODULE)) return { name: 'SoftHSM2', ok: false, detail: `no ${SOFTHSM2_MODULE}`, fix };
  const r = await run('softhsm2-util', ['--version']);
  return r.ok ? { name: 'SoftHSM2', ok: true, detail: `softhsm2-util ${firstLine(r.out)}` } : { name: 'SoftHSM2', ok: false, detail: 'softhsm2-util not on PATH', fix };
}

/**
 * Loads a PKCS#11 module with pkcs11js and calls C_Initialize/C_GetInfo/C_Finalize. For SoftHSM2
 * an empty per-check token directory is used so the check never touches real token stores.
 */
export function checkPkcs11Module(modulePath: string): CheckResult {
  const name = `PKCS#11 module ${modulePath}`;
  if (!existsSync(modulePath)) return { name, ok: false, detail: 'file not found', fix: modulePath === SOFTHSM2_MODULE ? 'apt-get install -y softhsm2' : 'install the vendor PKCS#11 library or fix pkcs11.module in the lab file' };
  const softhsm = modulePath.includes('softhsm');
  const saved = process.env.SOFTHSM2_CONF;
  let dir: string | undefined;
  try {
    if (softhsm) {
      dir = mkdtempSync(join(tmpdir(), 'evsm-doctor-'));
      mkdirSync(join(dir, 'tokens'));
      writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
      process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
    }
    const require = createRequire(import.meta.url);
    const pkcs11js = require('pkcs11js') as typeof import('pkcs11js');
    const p = new pkcs11js.PKCS11();
    p.load(modulePath);
    p.C_Initialize();
    try {
      const info = p.C_GetInfo();
      return { name, ok: true, detail: `loads: ${info.manufacturerID.trim()} ${info.libraryDescription.trim()} (cryptoki ${info.cryptokiVersion.major}.${info.cryptokiVersion.minor})` };
    } finally {
      p.C_Finalize();
      p.close();
    }
  } catch (e) {
    return { name, ok: false, detail: `does not load: ${firstLine((e as Error).message)}`, fix: 'check the module path and its dependencies (`ldd` on it)' };
  } finally {
    if (softhsm) {
      if (saved === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = saved;
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

export async function checkJava(): Promise<CheckResult> {
  const r = await run('java', ['-version']);
  return r.ok ? { name: 'Java', ok: true, detail: firstLine(r.out) } : { name: 'Java', ok: false, detail: 'java not on PATH', fix: 'apt-get install -y openjdk-17-jre-headless (allure-commandline needs it)' };
}

export async function checkChromium(): Promise<CheckResult> {
  if (!existsSync(CHROMIUM)) return { name: 'Chromium', ok: false, detail: `no ${CHROMIUM}`, fix: 'run `npm run setup:system` or `apt-get install -y chromium` (Playwright cannot download browsers here)' };
  const r = await run(CHROMIUM, ['--version']);
  return r.ok ? { name: 'Chromium', ok: true, detail: firstLine(r.out) } : { name: 'Chromium', ok: false, detail: `${CHROMIUM} does not start: ${firstLine(r.out)}`, fix: 'reinstall chromium' };
}

/** USB access through the `usb` package; a machine without a USB bus gets one clear line. */
export async function checkUsb(): Promise<CheckResult> {
  try {
    const { usb } = (await import('usb')) as typeof import('usb');
    const devices = await usb.getDevices();
    return { name: 'USB access', ok: true, detail: `${devices.length} USB device(s) visible` };
  } catch (e) {
    const msg = firstLine((e as Error).message);
    if (/not found|ENOENT|no such file/i.test(msg)) {
      return { name: 'USB access', ok: false, detail: 'no USB bus on this machine (/sys/bus/usb/devices missing)', fix: 'run on the bench PC with the tokens plugged in (or in a VM/container with USB passthrough)' };
    }
    if (/EACCES|permission|LIBUSB_ERROR_ACCESS/i.test(msg)) {
      return { name: 'USB access', ok: false, detail: `no permission: ${msg}`, fix: 'add a udev rule granting your user access to the token VID/PIDs, or run in the plugdev group' };
    }
    return { name: 'USB access', ok: false, detail: msg, fix: 'reinstall dependencies (`npm ci`) so the usb package has its native binding' };
  }
}
