/**
 * cacipher configuration: accepted where the vendor SDK accepts it and refused where it refuses
 * (each spelling below was tried against the SDK's getInstance, sjj1310-wire.md §3), plus the
 * hardening of issue 13 finding 8: linear time, bounded size, regular files only, timeouts a
 * timer can hold, host values that are host names or IP addresses. The seeds' examples and the
 * vendor-written file of the SDK's repository are reproduced with 127.0.0.x addresses.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  CacipherConfigError,
  MAX_CONFIG_BYTES,
  hostProblem,
  loadCacipher,
  loadCacipherFile,
  parseCacipherString,
  parseCacipherText,
} from '../drivers/evsm/index.ts';
import { useTempDirs } from './support/temp-dirs.ts';

const tempDir = useTempDirs();

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

/** The vendor-written cacipher.ini next to the SDK's jars (FrankCy/spring-boot-ali-oss), host moved to loopback. */
const VENDOR_FILE =
  '[LOGGER]\nlogsw\t\t=\terror,info\nlogPath\t\t=\t./\n[HOST 1]\nhsmModel\t=\tSJJ1310\nlinkNum\t\t=\t1\nhost\t\t=\t127.0.0.1\nport\t\t=\t8018\ntimeout\t\t=\t15\nencodetype\t=\t0\nmsgheadlength\t=\t0';

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
const h1 = (text: string) => parseCacipherText(text, 'cacipher.ini', { checkLogPath: false }).config.hosts[0];

test.describe('seed and vendor examples', () => {
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

  test('the vendor-written file: [HOST 1], tabs around "=", msgheadlength, encodetype', () => {
    const { config, warnings } = parseCacipherText(VENDOR_FILE, 'cacipher.ini');
    expect(config.hosts[0]).toMatchObject({ name: 'HOST1', host: '127.0.0.1', port: 8018, linkNum: 1, timeout: 15, readTimeout: 15, headerLength: 0, encodeType: '0' });
    expect(config.logger.categories).toEqual(['error', 'info']);
    // encodetype=0 is what that file says; the SDK takes it, it has no effect.
    expect(warnings.map((w) => w.message)).toEqual(['encodetype "0" is not GBK or UTF-8; it has no effect anyway (labels are sent as UTF-8)']);
  });

  test('both seeds\' string forms (ending "}" and "};") give the same object', () => {
    const a = javaString(SEED_JAVA_000);
    const b = javaString(SEED_JAVA_001);
    expect(a.startsWith('{[LOGGER];')).toBe(true);
    const pa = parseCacipherString(a + ';'); // the `};` ending
    const pb = parseCacipherString(b);
    expect(pa).toEqual(pb);
    expect(pa.config.hosts[0]).toMatchObject({ host: '127.0.0.1', port: 8018, connTimeout: 5, timeout: 6, readTimeout: 6, linkNum: 10 });
  });

  test('string and file form differ only where the seeds\' texts differ (linkNum, timeout vs connTimeout)', () => {
    const file = parseCacipherText(SEED_FILE).config;
    const aligned = parseCacipherString(javaString(SEED_JAVA_000).replace(/connTimeout=5;/g, 'linkNum=-15;timeout=5;')).config;
    expect(aligned).toEqual(file);
  });

  test('loadCacipher takes a file path or a "{…}" string', () => {
    const dir = tempDir('cacipher-');
    const path = join(dir, 'cacipher.ini');
    writeFileSync(path, SEED_FILE);
    expect(loadCacipher(path).config).toEqual(parseCacipherText(SEED_FILE).config);
    expect(loadCacipher(`  ${javaString(SEED_JAVA_001)}\n`).config.hosts).toHaveLength(2);
    expectConfigError(() => loadCacipherFile(join(dir, 'missing.ini')), 'missing.ini', 'cannot read');
  });
});

test.describe('accepted as the SDK accepts it', () => {
  test('[HOST 1], [HOST  1], [ HOST1 ], [host1] all name HOST1', () => {
    for (const s of ['[HOST 1]', '[HOST  1]', '[ HOST1 ]', '[host1]', '[Host\t1]']) {
      expect(h1(`${s}\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n`).name).toBe('HOST1');
    }
  });

  test('tabs or spaces around "=", indentation, trailing spaces, CRLF', () => {
    const text = '  [HOST1]\r\n\thsmModel = SJJ1310\r\n  host\t=\t127.0.0.1   \r\nport =8018  \r\n';
    expect(h1(text)).toMatchObject({ host: '127.0.0.1', port: 8018 });
  });

  test('key names in any case (HSMMODEL, Host, msgHeadLength, LINKNUM, TIMEOUT)', () => {
    const h = h1('[HOST1]\nHSMMODEL=SJJ1310\nHost=127.0.0.1\nPort=8018\nmsgHeadLength=4\nLINKNUM=2\nTIMEOUT=3\n');
    expect(h).toMatchObject({ hsmModel: 'SJJ1310', host: '127.0.0.1', port: 8018, headerLength: 4, linkNum: 2, timeout: 3 });
  });

  test('[logger] in any case', () => {
    expect(parseCacipherText(`[logger]\nLOGSW=error\n${host()}`).config.logger.categories).toEqual(['error']);
  });

  test('"#" and ";" whole-line comments, also indented', () => {
    expect(h1('[HOST1]\n   # indented comment\n; ini comment\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n').port).toBe(8018);
  });

  test('a leading zero in the port; a space after "="', () => {
    expect(h1('[HOST1]\nhsmModel=SJJ1310\nhost= 127.0.0.1\nport=08018\n')).toMatchObject({ host: '127.0.0.1', port: 8018 });
  });

  test('hsmModel with a trailing space', () => {
    expect(h1('[HOST1]\nhsmModel=SJJ1310 \nhost=127.0.0.1\nport=8018\n').hsmModel).toBe('SJJ1310');
  });

  test('hosts in any order; the number decides; numbering stops at the first gap with a warning', () => {
    expect(parseCacipherText(`[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.2\nport=8018\n${host()}`).config.hosts.map((h) => h.host)).toEqual(['127.0.0.1', '127.0.0.2']);
    const { config, warnings } = parseCacipherText(`${host()}[HOST3]\nhsmModel=SJJ1310\nhost=127.0.0.3\nport=8018\n`);
    expect(config.hosts.map((h) => h.name)).toEqual(['HOST1']);
    expect(warnings).toEqual([{ message: '[HOST3] is ignored: hosts are read from [HOST1] until the numbering breaks after [HOST1]', line: 5, section: 'HOST3' }]);
  });

  test('a line that is neither section nor key=value is ignored with a warning (the SDK ignores it)', () => {
    const { config, warnings } = parseCacipherText(`${host()}garbage line\n`);
    expect(config.hosts[0].port).toBe(8018);
    expect(warnings).toEqual([{ message: '"garbage line" is neither "[SECTION]" nor "key=value": ignored', line: 5 }]);
  });

  test('a key before any section is ignored with a warning', () => {
    const { warnings } = parseCacipherText(`foo=bar\n${host()}`);
    expect(warnings[0]).toMatchObject({ line: 1, key: 'foo' });
  });

  test('a repeated key: the first value wins (as the SDK), with a warning naming both lines', () => {
    const { config, warnings } = parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nhost=127.0.0.9\nport=8018\n');
    expect(config.hosts[0].host).toBe('127.0.0.1');
    expect(warnings[0]).toMatchObject({ line: 4, key: 'host', message: '"host" repeats line 3: the first value is used' });
  });

  test('a repeated section: merged, the first value of each key wins', () => {
    const { config, warnings } = parseCacipherText(`${host()}[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.9\nport=8018\ntimeout=3\n`);
    expect(config.hosts[0]).toMatchObject({ host: '127.0.0.1', timeout: 3 });
    expect(warnings[0].message).toContain('repeats [HOST1] of line 1');
  });

  test('an empty linkNum is the default 10; linkNum 0, negative, positive', () => {
    expect(h1(host('linkNum=\n')).linkNum).toBe(10);
    expect(h1(host()).linkNum).toBe(10);
    expect(h1(host('linkNum=0\n')).linkNum).toBe(0);
    expect(h1(host('linkNum=-3\n')).linkNum).toBe(-3);
    expect(h1(host('linkNum=+4\n')).linkNum).toBe(4);
  });

  test('timeouts: default 6 s, readTimeout and connTimeout fall back to timeout; decimals', () => {
    expect(h1(host())).toMatchObject({ timeout: 6, connTimeout: 6, readTimeout: 6 });
    expect(h1(host('timeout=9\nreadTimeout=0.5\n'))).toMatchObject({ timeout: 9, connTimeout: 9, readTimeout: 0.5 });
    expect(h1(host('timeout=1.5\nconnTimeout=7\n'))).toMatchObject({ timeout: 1.5, connTimeout: 7, readTimeout: 1.5 });
    expect(h1(host('timeout=2147483\n')).timeout).toBe(2147483);
  });

  test('msgheadlength (0 default), its old spelling headerLength, encodetype GBK / UTF-8', () => {
    expect(h1(host()).headerLength).toBeUndefined();
    expect(h1(host('msgheadlength=8\n')).headerLength).toBe(8);
    expect(h1(host('headerLength=8\n')).headerLength).toBe(8);
    expect(h1(host('encodetype=GBK\n')).encodeType).toBe('GBK');
    expect(parseCacipherText(host('encodetype=utf-8\n')).warnings).toEqual([]);
  });

  test('socketProtocol TCP or TLSv1.2 in any case; TLS extension keys', () => {
    const tls = h1(host('socketProtocol=tlsv1.2\ntlsCaFile=/ca.pem\ntlsServerName=evsm.test\n'));
    expect(tls.socketProtocol).toBe('TLSv1.2');
    expect(tls.tls).toEqual({ caFile: '/ca.pem', serverName: 'evsm.test' });
    expect(h1(host('socketProtocol=tcp\n')).socketProtocol).toBe('TCP');
    expectConfigError(() => parseCacipherText(host('socketProtocol=TLSv1.2\ntlsCertFile=/c.pem\n')), 'go together');
  });

  test('string form: [LOGGER] optional, spaces, [HOST 1], "#" items, newlines, "}" then spaces', () => {
    expect(parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}').config.hosts[0].port).toBe(8018);
    expect(parseCacipherString('{ [HOST 1] ; hsmModel = SJJ1310 ; host = 127.0.0.1 ; port = 8018 ; }').config.hosts[0].port).toBe(8018);
    expect(parseCacipherString('{[HOST1];#c;hsmModel=SJJ1310;host=127.0.0.1;port=8018}').config.hosts[0].port).toBe(8018);
    expect(parseCacipherString('{[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018}').config.hosts[0].port).toBe(8018);
    expect(parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}  ').config.hosts[0].port).toBe(8018);
    expect(parseCacipherString('{[LOGGER];logsw=error;[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}').config.logger.categories).toEqual(['error']);
  });

  test('string form ending "};" (the seeds; the SDK itself refuses it: a deliberate difference)', () => {
    const a = parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;};').config;
    expect(a).toEqual(parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}').config);
    expect(parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018} ; ').config.hosts).toHaveLength(1);
  });

  test('a missing logPath directory is a warning (the SDK starts anyway), not an error', () => {
    const dir = tempDir('cacipher-log-');
    expect(parseCacipherText(`[LOGGER]\nlogPath=${dir}\n${host()}`).warnings).toEqual([]);
    const { warnings } = parseCacipherText(`[LOGGER]\nlogPath=${dir}/nope\n${host()}`);
    expect(warnings[0]).toMatchObject({ line: 2, key: 'logPath' });
    expect(warnings[0].message).toContain('does not exist: no log file is written');
    const file = join(dir, 'f.txt');
    writeFileSync(file, '');
    expect(parseCacipherText(`[LOGGER]\nlogPath=${file}\n${host()}`).warnings[0].message).toContain('not a directory');
    if (process.getuid?.() !== 0) {
      const ro = tempDir('cacipher-ro-');
      chmodSync(ro, 0o500);
      expect(parseCacipherText(`[LOGGER]\nlogPath=${ro}\n${host()}`).warnings[0].message).toContain('not writable');
    }
  });

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

  test('two sections naming the same device: a warning', () => {
    const { warnings } = parseCacipherText(`${host()}[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n`);
    expect(warnings[0]).toMatchObject({ line: 7, section: 'HOST2', key: 'host' });
    expect(warnings[0].message).toContain('also [HOST1]');
  });
});

test.describe('refused as the SDK refuses it', () => {
  test('an inline "#" stays part of the value: the host is invalid, the error names file:line', () => {
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1#trailing\nport=8018\n', 'lab/cacipher.ini'),
      'lab/cacipher.ini line 3 [HOST1] host', '"127.0.0.1#trailing"', 'comments take a whole line');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018 # x\n'), 'line 4 [HOST1] port', 'comments take a whole line');
  });

  test('hsmModel is required, exactly SJJ1310', () => {
    expectConfigError(() => parseCacipherText('[HOST1]\nhost=127.0.0.1\nport=1\n'), 'missing required key "hsmModel"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=\nhost=127.0.0.1\nport=1\n'), 'missing required key "hsmModel"');
    expectConfigError(() => parseCacipherText(host().replace('SJJ1310', 'sjj1310')), 'line 2 [HOST1] hsmModel', 'case-sensitive');
    expectConfigError(() => parseCacipherText(host().replace('SJJ1310', 'SJJ1303')), 'no driver for hsmModel "SJJ1303"');
    expectConfigError(() => parseCacipherText(host().replace('SJJ1310', 'FOO')), 'no driver for hsmModel "FOO"');
  });

  test('host and port are required; quotes are not removed', () => {
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nport=1\n'), 'missing required key "host"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1\n'), 'line 1 [HOST1]', 'missing required key "port"');
    expectConfigError(() => parseCacipherText(host().replace('127.0.0.1', '"127.0.0.1"')), 'line 3 [HOST1] host', 'not a host name or an IP address');
    expectConfigError(() => parseCacipherText(host().replace('8018', 'abc')), 'line 4 [HOST1] port', '"abc"');
    expectConfigError(() => parseCacipherText(host().replace('8018', '70000')), 'port', '1-65535');
  });

  test('a config with only [HOST2], or [HOST0] / [HOST01], has no host', () => {
    expectConfigError(() => parseCacipherText('[HOST2]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=1\n'), 'no [HOST1]');
    expectConfigError(() => parseCacipherText('[HOST0]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=1\n'), 'no [HOST1]');
    expectConfigError(() => parseCacipherText('[HOST01]\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=1\n'), 'no [HOST1]');
  });

  test('a section header with text after it', () => {
    expectConfigError(() => parseCacipherText('[HOST1] # x\nhsmModel=SJJ1310\nhost=127.0.0.1\nport=8018\n'), 'line 1', 'not a section header');
  });

  test('a UTF-8 byte-order mark (the SDK cannot read such a file)', () => {
    expectConfigError(() => parseCacipherText(`\uFEFF${host()}`), 'line 1', 'byte-order mark');
  });

  test('string form without braces, or unclosed, or with text after "}"', () => {
    expectConfigError(() => parseCacipherString('[HOST1];host=a'), 'must start with "{"');
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018'), 'must end with "}" or "};"');
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}x'), 'must end with "}" or "};"');
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;};;'), 'must end with "}" or "};"');
  });
});

test.describe('refused deliberately (the SDK would fall back silently)', () => {
  test('timeouts that are not positive numbers name the line and key', () => {
    expectConfigError(() => parseCacipherText(host('timeout=five\n')), 'line 5 [HOST1] timeout', '"five"');
    expectConfigError(() => parseCacipherText(host('timeout=0\n')), 'timeout', 'positive number');
    expectConfigError(() => parseCacipherText(host('connTimeout=-1\n')), 'connTimeout', 'positive number');
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=1;readTimeout=abc}'), '<string> item 5 [HOST1] readTimeout');
  });

  test('timeouts that overflow Node\'s timers (over 2147483 s) are refused', () => {
    expectConfigError(() => parseCacipherText(host('readTimeout=3000000\n')), 'readTimeout', 'more than 2147483 s');
    expectConfigError(() => parseCacipherText(host('timeout=2147484\n')), 'timeout', 'more than 2147483 s');
    expectConfigError(() => parseCacipherText(host('timeout=99999999999999999999\n')), 'timeout');
  });

  test('linkNum, msgheadlength must be whole numbers in range', () => {
    expectConfigError(() => parseCacipherText(host('linkNum=many\n')), 'linkNum');
    expectConfigError(() => parseCacipherText(host('linkNum=1.5\n')), 'linkNum');
    expectConfigError(() => parseCacipherText(host('msgheadlength=65\n')), 'msgheadlength', '0 to 64');
    expectConfigError(() => parseCacipherText(host('msgheadlength=-1\n')), 'msgheadlength');
  });

  test('socketProtocol other than TCP or TLSv1.2', () => {
    expectConfigError(() => parseCacipherText(host('socketProtocol=SSLv3\n')), 'socketProtocol', '"SSLv3"');
  });

  test('host values must be a host name or an IP address', () => {
    for (const bad of ['127.0.0.1;evil', 'http://127.0.0.1', '127.0.0.1 evil', '999.1.1.1', '127.1', 'a..b', '-a.example', 'a_b.example', '[::1]', 'x'.repeat(64) + '.example']) {
      expect(hostProblem(bad), bad).toBeDefined();
    }
    for (const good of ['127.0.0.1', '::1', 'localhost', 'evsm-a.lab', 'EVSM.example.com.', '10.0.0.1', 'fe80::1']) {
      expect(hostProblem(good), good).toBeUndefined();
    }
    expectConfigError(() => parseCacipherString('{[HOST1];hsmModel=SJJ1310;host=http://127.0.0.1;port=8018}'), '<string> item 3 [HOST1] host', '"http://127.0.0.1"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=127.0.0.1;evil\nport=8018\n'), 'line 3 [HOST1] host', '"127.0.0.1;evil"');
    expectConfigError(() => parseCacipherText('[HOST1]\nhsmModel=SJJ1310\nhost=\nport=8018\n'), 'missing required key "host"');
  });
});

test.describe('bounded and linear (issue 13, finding 8)', () => {
  test('80,000 trailing spaces are parsed in well under 100 ms, in both forms', () => {
    const spaces = ' '.repeat(80_000);
    const str = `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}${spaces}`;
    let started = performance.now();
    expect(parseCacipherString(str).config.hosts).toHaveLength(1);
    const stringMs = performance.now() - started;
    const strSemi = `{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018}${spaces};${spaces}`;
    started = performance.now();
    parseCacipherString(strSemi);
    const semiMs = performance.now() - started;
    const file = `${host()}${spaces}\n${spaces}timeout=5${spaces}\n`;
    started = performance.now();
    expect(parseCacipherText(file).config.hosts[0].timeout).toBe(5);
    const fileMs = performance.now() - started;
    // An unclosed string form with the spaces after it fails fast too.
    started = performance.now();
    expectConfigError(() => parseCacipherString(`{[HOST1]${spaces}x`), 'must end');
    const badMs = performance.now() - started;
    for (const ms of [stringMs, semiMs, fileMs, badMs]) expect(ms).toBeLessThan(100);
  });

  test('a configuration over 1 MiB is refused, in both forms', () => {
    const big = `${host()}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`;
    expectConfigError(() => parseCacipherText(big), 'at most 1048576');
    expectConfigError(() => parseCacipherString(`{${'x'.repeat(MAX_CONFIG_BYTES)}}`), 'at most 1048576');
    const dir = tempDir('cacipher-big-');
    writeFileSync(join(dir, 'big.ini'), big);
    expectConfigError(() => loadCacipherFile(join(dir, 'big.ini')), 'big.ini', 'at most 1048576 are read');
  });

  test('/dev/zero, a directory, a FIFO and a symlink to /dev/zero are refused before reading, without blocking', () => {
    expectConfigError(() => loadCacipherFile('/dev/zero'), '/dev/zero', 'a character device', 'only a regular file');
    const dir = tempDir('cacipher-special-');
    expectConfigError(() => loadCacipherFile(dir), 'a directory');
    const fifo = join(dir, 'fifo.ini');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expectConfigError(() => loadCacipher(fifo), 'fifo.ini', 'a FIFO');
    expect(Date.now() - started).toBeLessThan(1000);
    const link = join(dir, 'link.ini');
    symlinkSync('/dev/zero', link);
    expectConfigError(() => loadCacipherFile(link), 'a character device');
  });
});
