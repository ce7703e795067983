import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor, REDACTED, secretsFromEnv } from '../reports/redact.ts';
import { buildCertification } from '../reports/certification/model.ts';
import { parseResults } from '../reports/playwright-results.ts';
import { stageResults } from '../reports/allure.ts';
import { SECRETS, syntheticReport } from './fixtures/reports/synthetic.ts';

const r = new Redactor(['12345678', 'lab-passphrase-9']);

test.describe('redaction rules', () => {
  test('PINs and passwords by name, with = / : / a space', () => {
    expect(r.text('login PIN=87654321 ok')).toBe(`login PIN=${REDACTED} ok`);
    expect(r.text('{"pin": "4321987"}')).toBe(`{"pin": ${REDACTED}}`);
    expect(r.text('enter pin 556677 then')).toBe(`enter pin ${REDACTED} then`);
    expect(r.text('password: hunter22')).toBe(`password: ${REDACTED}`);
    expect(r.text('password hunter22 and pin 1234')).toBe(`password ${REDACTED} and pin ${REDACTED}`);
    // Prose about PINs is not a PIN.
    expect(r.text('verify: same PIN translation ZPK 1 → ZPK 2; PIN block format 01')).toBe('verify: same PIN translation ZPK 1 → ZPK 2; PIN block format 01');
  });

  test('the factory PIN and given literals everywhere, but not inside longer numbers', () => {
    expect(r.text('default 12345678.')).toBe(`default ${REDACTED}.`);
    expect(r.text('user ID 1234567812345678')).toBe('user ID 1234567812345678');
    expect(r.text('pass lab-passphrase-9 along')).toBe(`pass ${REDACTED} along`);
  });

  test('clear keys and shares (32+ hex digits) go; KCVs (16 or 6 digits) stay', () => {
    expect(r.text(`key U${SECRETS.clearKey} kcv 08D7B4FB629D0885 short 08D7B4`)).toBe(`key U${REDACTED} 48 hex kcv 08D7B4FB629D0885 short 08D7B4`);
    expect(r.text(`share ESH1${SECRETS.share}`)).not.toContain(SECRETS.share.slice(0, 20));
  });

  test('PEM private keys', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    expect(r.text(`key file:\n${pem}\nend`)).toBe(`key file:\n${REDACTED} private key\nend`);
  });

  test('JSON: secret members go whole, labels and KCVs stay, Buffers go', () => {
    const v = r.value({
      pin: '1111', soPin: 99887766, shares: ['a', 'b'], components: [SECRETS.component, SECRETS.component],
      key: 'ZPK', keyIndex: 3, kcv: '08D7B4FB629D0885', dmkKcv: 'AB12CD34EF567890', clearKey: { hi: 1 },
      raw: { type: 'Buffer', data: [1, 2, 3] }, nested: [{ password: 'x' }, { component: 'C1 on token VUK-1' }],
    });
    expect(v).toEqual({
      pin: REDACTED, soPin: REDACTED, shares: REDACTED, components: REDACTED,
      key: 'ZPK', keyIndex: 3, kcv: '08D7B4FB629D0885', dmkKcv: 'AB12CD34EF567890', clearKey: REDACTED,
      raw: REDACTED, nested: [{ password: REDACTED }, { component: 'C1 on token VUK-1' }],
    });
  });

  test('secrets named in the environment are collected; short or unrelated values are not', () => {
    const s = secretsFromEnv({ EVSM_LAB_PIN_KBK1: '24681357', EVSM_LAB_SIGN_KEY: 'ab'.repeat(32), HOME: '/root', UKEY_PIN: '123', CACHE_KEY: 'embedded', DB_PASSWORD: 'correcthorsebattery' });
    expect(s).toContain('24681357');
    expect(s).toContain('ab'.repeat(32));
    expect(s).toContain('correcthorsebattery');
    expect(s).not.toContain('/root');
    expect(s).not.toContain('123');
    expect(s).not.toContain('embedded');
  });

  test('leaks() spots a literal that survived', () => {
    expect(r.leaks('all clean')).toBe(false);
    expect(r.leaks('oops 12345678')).toBe(true);
  });
});

test.describe('redaction in the reports', () => {
  const redactor = new Redactor([SECRETS.pin]);
  const all = Object.values(SECRETS);

  test('the certification data holds no planted secret, and keeps the KCVs', () => {
    const data = buildCertification(parseResults(syntheticReport() as never), { lab: 'L', issued: new Date(0), versions: {}, redactor });
    const text = JSON.stringify(data);
    for (const s of all) expect(text).not.toContain(s);
    expect(text).toContain('08D7B4FB629D0885');
    const failed = data.runs.find((x) => x.status === 'failed');
    expect(failed?.reason).toBe(`Error: DMK KCV differs; component=${REDACTED}`);
    expect(failed?.failedStep).toBe('RC-05 combine DMK');
  });

  test('the staged Allure results hold no planted secret, ids stay intact, older runs are left out', () => {
    const src = mkdtempSync(join(tmpdir(), 'evsm-allure-src-'));
    const stage = join(src, 'stage');
    mkdirSync(join(src, 'in'));
    const result = {
      uuid: 'u1', historyId: 'd41d8cd98f00b204e9800998ecf8427e', name: `KS-01 pin=${SECRETS.pin}`,
      status: 'failed', statusDetails: { message: `key ${SECRETS.clearKey} differs`, trace: `share=${SECRETS.share}` },
      labels: [{ name: '_fallbackTestCaseId', value: 'e400416be98b968d1c593b960fe7f9fa' }, { name: 'parentSuite', value: 'embedded' }],
      steps: [{ name: 'BE-02 write KBK tokens', parameters: [{ name: 'PIN', value: SECRETS.pin }], steps: [], attachments: [] }],
    };
    writeFileSync(join(src, 'in', 'u1-result.json'), JSON.stringify({ ...result, start: 2_000_000 }));
    // A result left over from an earlier run: dropped when a run start is given.
    writeFileSync(join(src, 'in', 'old-result.json'), JSON.stringify({ ...result, uuid: 'old', start: 1_000_000 }));
    writeFileSync(join(src, 'in', 'a1-attachment.json'), JSON.stringify({ component: SECRETS.component, kcv: '08D7B4FB629D0885' }));
    writeFileSync(join(src, 'in', 'a2-attachment.txt'), `> A0 ${SECRETS.clearKey}\n> pin ${SECRETS.pin}\n`);
    expect(stageResults(join(src, 'in'), stage, redactor, 1_500_000)).toEqual(['embedded']);
    expect(readdirSync(stage)).not.toContain('old-result.json');
    const staged = readdirSync(stage).map((f) => readFileSync(join(stage, f), 'utf8')).join('\n');
    for (const s of all) expect(staged).not.toContain(s);
    expect(staged).toContain('08D7B4FB629D0885');
    expect(staged).toContain('d41d8cd98f00b204e9800998ecf8427e');
    expect(staged).toContain('e400416be98b968d1c593b960fe7f9fa');
    expect(staged).toContain('BE-02 write KBK tokens');
    // Behaviors: the scenario id gives the story, its family the feature.
    const labels = (JSON.parse(readFileSync(join(stage, 'u1-result.json'), 'utf8')) as { labels: { name: string; value: string }[] }).labels;
    expect(labels).toContainEqual({ name: 'story', value: 'KS-01' });
    expect(labels).toContainEqual({ name: 'feature', value: 'Key backup and restore (KBK tokens)' });
  });
});
