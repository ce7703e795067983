/**
 * Real EVSM emulator processes for client tests and benches: the harness's own launcher
 * (spawn on 127.0.0.1 with port 0, wait for the ready line, kill/pause/resume/stop, restart on
 * the same ports and data directory), plus a test CA and device certificate for the TLS listener.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_PROGRAM } from '../../harness/targets/emulator-process.ts';

export { EmulatorProcess, EMULATOR_PROGRAM, type EmulatorOptions } from '../../harness/targets/emulator-process.ts';

/** Whether the emulator program exists (tests skip with this reason when it does not). */
export function emulatorAvailable(): boolean {
  return existsSync(EMULATOR_PROGRAM);
}

export interface TlsMaterial {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the device. */
  otherCaCert: string;
}

/**
 * A CA and a device certificate (SAN IP:127.0.0.1 and DNS:evsm.test), made with openssl at test
 * time so no key material lives in the repository. Serves the emulator's TLS listener and the
 * client's `tlsCaFile`.
 */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'evsm-tls-'));
  const f = (n: string): string => join(dir, n);
  const run = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  for (const ca of ['ca', 'other-ca']) {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=evsm-lab test ${ca}`, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`));
  }
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=evsm.test',
    '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:evsm.test\n');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { dir, caCert: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), otherCaCert: f('other-ca.pem') };
}
