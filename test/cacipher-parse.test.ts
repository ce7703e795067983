/**
 * cacipher configuration: the vendor's rules (DESIGN.md §1 item 7) on both forms. The seed
 * examples are reproduced with their structure intact and 127.0.0.x addresses.
 */
import { test, expect } from '@playwright/test';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CacipherConfigError,
  loadCacipher,
  loadCacipherFile,
  parseCacipherString,
  parseCacipherText,
} from '../drivers/evsm/index.ts';

/** Seed 000 and 001, file form (方式1), addresses moved to loopback. */
const SEED_FILE = `[LOGGER]
logsw=error
logPath=./

[HOST1]
hsmModel=SJJ1310
linkNum=-15
host=127.0.0.1
port=8018
timeout=5
[HOST2]
hsmModel=SJJ1310
linkNum=-15
host=127.0.0.2
port=8018
timeout=5
`;

/** The seeds' Java snippet (方式2); seed 000 ends with `+"}";`, seed 001 with `+"}"`. */
const SEED_JAVA_000 = `Stringconfig=
"{"
+"[LOGGER];"
+"logsw=error;logPath=./;"
+"[HOST1];"
+"hsmModel=SJJ1310;"
+"host=127.0.0.1;"
+"port=8018;"
+"connTimeout=5;"
+"[HOST2];"
+"hsmModel=SJJ1310;"
+"host=127.0.0.2;"
+"port=8018;"
+"connTimeout=5;"
+"}";`;
const SEED_JAVA_001 = SEED_JAVA_000.replace(/;$/, '');

/** What Java would build from the concatenation: the quoted literals, joined. */
function javaString(snippet: string): string {
  return [...snippet.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('');
}

function expectConfigError(fn: () => unknown, ...fragments: string[]): CacipherConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CacipherConfigError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
  return caught as CacipherConfigError;
}

const host = (extra = ''): string => `[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n${extra}`;

test.describe('seed examples', () => {
  test('file form parses to the documented object', () => {
    const { config, warnings } = parseCacipherText(SEED_FILE);
    expect(warnings).toEqual([]);
    expect(config.logger).toEqual({ categories: ['error'], logPath: './' });
    expect(config.hosts).toHaveLength(2);
    expect(config.hosts[0]).toMatchObject({
      index: 1, name: 'HOST1', hsmModel: 'SJJ1310', host: '127.0.0.1', port: 8018,
      linkNum: -15, timeout: 5, connTimeout: 5, readTimeout: 5, socketProtocol: 'TCP',
    });
    expect(config.hosts[1]).toMatchObject({ index: 2, host: '127.0.0.2', linkNum: -15, readTimeout: 5 });
  });

  test('both seeds\' string forms (ending "}" and "};") give the same object', () => {
    const a = javaString(SEED_JAVA_000);
    const b = javaString(SEED_JAVA_001);
    expect(a.startsWith('{[LOGGER];')).toBe(true);
    const pa = parseCacipherString(a + ';'); // the `};` ending
    const pb = parseCacipherString(b);
    expect(pa).toEqual(pb);
    expect(pa.config.hosts[0]).toMatchObject({
      host: '127.0.0.1', port: 8018, connTimeout: 5, timeout: 6, readTimeout: 6, linkNum: -10,
    });
  });

  test('string and file form differ only where the seeds\' texts differ (linkNum, timeout vs connTimeout)', () => {
    const file = parseCacipherText(SEED_FILE).config;
    const str = parseCacipherString(javaString(SEED_JAVA_000)).config;
    expect(str.logger).toEqual(file.logger);
    const strip = (h: (typeof file.hosts)[number]) => ({ ...h, linkNum: 0, timeout: 0, readTimeout: 0 });
    expect(str.hosts.map(strip)).toEqual(file.hosts.map(strip));
    // Adding the fields the file form sets makes the two identical.
    const aligned = parseCacipherString(
      javaString(SEED_JAVA_000).replace(/connTimeout=5;/g, 'linkNum=-15;timeout=5;'),
    ).config;
    expect(aligned).toEqual(file);
  });

  test('loadCacipher takes a file path or a "{…}" string', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cacipher-'));
    const path = join(dir, 'cacipher.ini');
    writeFileSync(path, SEED_FILE);
    expect(loadCacipher(path).config).toEqual(parseCacipherText(SEED_FILE).config);
    expect(loadCacipher(`  ${javaString(SEED_JAVA_001)}\n`).config.hosts).toHaveLength(2);
    expectConfigError(() => loadCacipherFile(join(dir, 'missing.ini')), 'missing.ini', 'cannot read');
  });
});

test.describe('syntax', () => {
  test('comments, blank lines, aligned spaces and tabs, CRLF and BOM', () => {
    const text = '\uFEFF# the lab\r\n; also a comment\r\n[LOGGER]\r\n  logsw =\terror\r\n\r\n' +
      '[HOST1]\r\n\thsmModel   = SJJ1310\r\n host = 127.0.0.1 \r\n port\t=\t8018\r\n';
    const { config, warnings } = parseCacipherText(text);
    expect(warnings).toEqual([]);
    expect(config.hosts[0]).toMatchObject({ host: '127.0.0.1', port: 8018 });
    expect(config.logger.categories).toEqual(['error']);
  });

  test('section and key names are case-insensitive', () => {
    const { config } = parseCacipherText('[logger]\nLOGSW=debug\n[Host1]\nHSMMODEL=sjj1303\nHost=localhost\nPORT=1\nLinkNum=3\nSOCKETPROTOCOL=tcp\n');
    expect(config.hosts[0]).toMatchObject({ hsmModel: 'SJJ1303', host: 'localhost', port: 1, linkNum: 3, socketProtocol: 'TCP' });
    expect(config.logger.categories).toEqual(['debug']);
  });

  test('no inline comments: "#" and ";" inside a file-form value are kept', () => {
    const { config } = parseCacipherText(`[LOGGER]\nlogsw=error # not a comment\n${host()}`, 'x.ini', { checkLogPath: false });
    expect(config.logger.categories).toEqual(['error']);
    const dir = mkdtempSync(join(tmpdir(), 'cacipher #1;'));
    const withHash = parseCacipherText(`[LOGGER]\nlogPath=${dir}\n${host()}`).config;
    expect(withHash.logger.logPath).toBe(dir);
  });

  test('string form: ";" is the line break, comments are items, "}" or "};" closes it', () => {
    const s = '{#lab;[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}';
    expect(parseCacipherString(s).config.hosts[0].port).toBe(8018);
    expect(parseCacipherString(s.replace('}', '};')).config).toEqual(parseCacipherString(s).config);
    expectConfigError(() => parseCacipherString('[HOST1];host=a'), 'must start with "{"');
    expectConfigError(() => parseCacipherString('{[HOST1];host=a'), 'must end with "}" or "};"');
  });

  test('a line that is neither section nor key=value is an error naming the line', () => {
    expectConfigError(() => parseCacipherText(`${host()}timeout 5\n`), 'cacipher.ini line 5', 'timeout 5');
  });
});

test.describe('hosts', () => {
  test('defaults: linkNum -10, timeout 6, connTimeout and readTimeout fall back to timeout, TCP', () => {
    const h = parseCacipherText(host()).config.hosts[0];
    expect(h).toMatchObject({ linkNum: -10, timeout: 6, connTimeout: 6, readTimeout: 6, socketProtocol: 'TCP', tls: undefined });
    const t = parseCacipherText(host('timeout=9\nreadTimeout=0.5\n')).config.hosts[0];
    expect(t).toMatchObject({ timeout: 9, connTimeout: 9, readTimeout: 0.5 });
  });

  test('[HOSTn] read until the numbering breaks; later hosts are ignored with a warning', () => {
    const text = `${host()}[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.2\nport=8018\n[HOST4]\nhsmModel=SJJ1310\nhost=127.0.0.4\nport=8018\n`;
    const { config, warnings } = parseCacipherText(text);
    expect(config.hosts.map((h) => h.name)).toEqual(['HOST1', 'HOST2']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ section: 'HOST4', line: 9 });
    expect(warnings[0].message).toContain('numbering breaks');
  });

  test('hosts may appear in any order in the file; the number decides', () => {
    const text = `[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.2\nport=8018\n${host()}`;
    expect(parseCacipherText(text).config.hosts.map((h) => h.host)).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  test('no [HOST1] is an error', () => {
    expectConfigError(() => parseCacipherText('[LOGGER]\nlogsw=error\n[HOST2]\nhsmModel=SJJ1310\nhost=h\nport=1\n'), 'no [HOST1]');
  });

  test('missing port, bad port', () => {
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\n'), 'line 1 [HOST1]', 'missing required key "port"');
    expectConfigError(() => parseCacipherText(host().replace('8018', '80a')), 'line 4 [HOST1] port', '"80a"');
    expectConfigError(() => parseCacipherText(host().replace('8018', '70000')), 'port', '1-65535');
  });

  test('non-numeric timeouts name the line and key', () => {
    expectConfigError(() => parseCacipherText(host('timeout=five\n')), 'line 5 [HOST1] timeout', '"five"');
    expectConfigError(() => parseCacipherText(host('connTimeout=-1\n')), 'connTimeout', 'positive number');
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=h;port=1;readTimeout=0}'), '<string> item 5 [HOST1] readTimeout');
  });

  test('linkNum must be a non-zero whole number', () => {
    expectConfigError(() => parseCacipherText(host('linkNum=0\n')), 'linkNum', 'non-zero');
    expectConfigError(() => parseCacipherText(host('linkNum=many\n')), 'linkNum');
    expect(parseCacipherText(host('linkNum=+4\n')).config.hosts[0].linkNum).toBe(4);
  });

  test('unknown hsmModel, missing hsmModel, missing host', () => {
    expectConfigError(() => parseCacipherText(host().replace('SJJ1310', 'SJJ9999')), 'hsmModel', 'unknown hsmModel "SJJ9999"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhost=h\nport=1\n'), 'missing required key "hsmModel"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nport=1\n'), 'missing required key "host"');
  });

  test('duplicate host, duplicate section, duplicate key', () => {
    const dupHost = `${host()}[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n`;
    expectConfigError(() => parseCacipherText(dupHost), 'line 7 [HOST2] host', 'duplicate host 127.0.0.1:8018', '[HOST1]');
    expectConfigError(() => parseCacipherText(`${host()}[host1]\nport=1\n`), 'line 5 [host1]', 'duplicate section', 'line 1');
    expectConfigError(() => parseCacipherText(host('PORT=9\n')), 'line 5 [HOST1] PORT', 'duplicate key', 'line 4');
  });

  test('headerLength (extension key): the device\'s message header length, 1-32', () => {
    expect(parseCacipherText(host('headerLength=8\n')).config.hosts[0].headerLength).toBe(8);
    expect(parseCacipherText(host()).config.hosts[0].headerLength).toBeUndefined();
    expectConfigError(() => parseCacipherText(host('headerLength=0\n')), 'line 5 [HOST1] headerLength', '1-32');
  });

  test('socketProtocol TCP or TLSv1.2 (any case), TLS extension keys only with both cert and key', () => {
    const tls = parseCacipherText(host('socketProtocol=tlsv1.2\ntlsCaFile=/ca.pem\ntlsServerName=evsm.test\n')).config.hosts[0];
    expect(tls.socketProtocol).toBe('TLSv1.2');
    expect(tls.tls).toEqual({ caFile: '/ca.pem', serverName: 'evsm.test' });
    expectConfigError(() => parseCacipherText(host('socketProtocol=SSLv3\n')), 'socketProtocol', '"SSLv3"');
    expectConfigError(() => parseCacipherText(host('socketProtocol=TLSv1.2\ntlsCertFile=/c.pem\n')), 'go together');
  });
});

test.describe('warnings', () => {
  test('unknown sections and keys are warnings naming them; the config still loads', () => {
    const text = `[LOGGER]\nlogsw=error,trace\nlogLevel=3\n[VENDOR]\nx=1\n${host('appId=42\n')}`;
    const { config, warnings } = parseCacipherText(text, 'lab.ini', { checkLogPath: false });
    expect(config.hosts).toHaveLength(1);
    const messages = warnings.map((w) => w.message);
    expect(messages).toContain('unknown key "logLevel" in [LOGGER] is ignored');
    expect(messages).toContain('unknown section [VENDOR] is ignored');
    expect(messages).toContain('unknown key "appId" in [HOST1] is ignored');
    expect(messages).toContain('unknown logsw category "trace" is ignored');
    expect(warnings.find((w) => w.key === 'appId')?.line).toBe(10);
  });
});

test.describe('logger section', () => {
  test('logsw categories: several keywords, any separator, none = logging off', () => {
    expect(parseCacipherText(`[LOGGER]\nlogsw=error|DEBUG, info\n${host()}`).config.logger.categories).toEqual(['error', 'debug', 'info']);
    expect(parseCacipherText(`[LOGGER]\nlogsw=\n${host()}`).config.logger.categories).toEqual([]);
    expect(parseCacipherText(host()).config.logger).toEqual({ categories: [], logPath: undefined });
  });

  test('logPath must exist, be a directory and be writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cacipher-log-'));
    expect(parseCacipherText(`[LOGGER]\nlogPath=${dir}\n${host()}`).config.logger.logPath).toBe(dir);
    expect(parseCacipherText(`[LOGGER]\nlogPath=.\n${host()}`, 'x.ini', { baseDir: dir }).config.logger.logPath).toBe('.');
    expectConfigError(() => parseCacipherText(`[LOGGER]\nlogPath=${dir}/nope\n${host()}`), 'line 2 [LOGGER] logPath', 'does not exist');
    const file = join(dir, 'f.txt');
    writeFileSync(file, '');
    expectConfigError(() => parseCacipherText(`[LOGGER]\nlogPath=${file}\n${host()}`), 'not a directory');
    if (process.getuid?.() !== 0) {
      const ro = mkdtempSync(join(tmpdir(), 'cacipher-ro-'));
      chmodSync(ro, 0o500);
      expectConfigError(() => parseCacipherText(`[LOGGER]\nlogPath=${ro}\n${host()}`), 'not writable');
    }
  });
});
