/**
 * The typed calls of EvsmClient on the SJJ1310 wire (brief decision 12): the request each sends
 * and how its answer is read, against the in-test SJJ1310 fake; and which command builders are
 * safe to repeat on another host (those that store or delete are not).
 */
import { test, expect } from '@playwright/test';
import { EvsmClient, EvsmCommandError, EvsmParameterError, commands as c } from '../drivers/evsm/index.ts';
import { FakeSjj1310, hostsConfig, type Reply } from './support/fake-sjj1310.ts';

const CV = '1122334455667788';
const KEY = 'P00112233445566778899AABBCCDDEEFF';

/** A client on one fake host whose answers come from `replies` (by command code, in order). */
async function withDevice(replies: Record<string, Reply[]>, run: (client: EvsmClient, device: FakeSjj1310) => Promise<void>): Promise<void> {
  const device = new FakeSjj1310((code) => replies[code]?.shift() ?? '68');
  const client = await EvsmClient.open(hostsConfig([await device.listen()]), { heartbeatIntervalMs: 60_000 });
  try {
    await run(client, device);
  } finally {
    client.close();
    await device.close();
  }
}

test('generateKey: A0 mode 0, KCV 16H; under a ZMK: A0 mode 1', async () => {
  await withDevice({ A0: [`00${KEY}${CV}`, `00${KEY}${KEY}${CV}`] }, async (client, device) => {
    expect(await client.generateKey('ZAK', 'P')).toEqual({ keyUnderLmk: KEY, kcv: CV });
    expect(await client.generateKey('ZPK', 'P', { zmk: 'K0001', scheme: 'P' })).toEqual({ keyUnderLmk: KEY, keyUnderZmk: KEY, kcv: CV });
    expect(device.commands()).toEqual(['A00008P', 'A01001PK0001P']);
  });
});

test('storeKey: A0 with index and label (1-2048), the KCV; replaces what was there', async () => {
  await withDevice({ A0: [`00${KEY}${CV}`, `00${KEY}${CV}`, `00${KEY}${CV}`] }, async (client, device) => {
    expect(await client.storeKey(5, 'ZEK', 'P', { label: 'app' })).toBe(CV);
    expect(await client.storeKey(2048, 'ZAK', 'U')).toBe(CV);
    expect(await client.storeKey(7, 'ZPK')).toBe(CV);
    expect(device.commands()).toEqual(['A0000APK000503app', 'A00008UK204800', 'A00001PK000700']);
    await expect(client.storeKey(2049, 'ZAK', 'P')).rejects.toBeInstanceOf(EvsmParameterError);
    await expect(client.storeKey(0, 'ZAK', 'P')).rejects.toBeInstanceOf(EvsmParameterError);
  });
});

test('keyInfo: KG → index, type name, flag, KCV, label, update time; 45 when empty', async () => {
  await withDevice({ KG: [`0000AP${CV}03app1420261201120000`, '45'] }, async (client, device) => {
    expect(await client.keyInfo(12)).toEqual({ index: 12, keyType: 'ZEK', scheme: 'P', kcv: CV, label: 'app', updateTime: '20261201120000' });
    const err = await client.keyInfo(13).catch((e: unknown) => e);
    expect((err as EvsmCommandError).errorCode).toBe('45');
    expect((err as Error).message).toContain('key does not exist');
    expect(device.commands()).toEqual(['KG0012', 'KG0013']);
  });
});

test('scanKeys: KG per index, 45 means absent, the found keys in the order asked', async () => {
  const device = new FakeSjj1310((code, body) => {
    const index = Number(body.toString('latin1'));
    if (code !== 'KG') return '68';
    return index % 2 === 0 ? `00008P${CV}00` + '00' : '45';
  });
  const client = await EvsmClient.open(hostsConfig([await device.listen()]), { heartbeatIntervalMs: 60_000 });
  try {
    const found = await client.scanKeys([4, 1, 2, 3, 10]);
    expect(found.map((k) => k.index)).toEqual([4, 2, 10]);
    expect(found[0]).toMatchObject({ keyType: 'ZAK', scheme: 'P', kcv: CV, label: '', updateTime: null });
    expect(device.count('KG')).toBe(5);
    const many = await client.scanKeys(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(many).toHaveLength(50);
  } finally {
    client.close();
    await device.close();
  }
});

test('scanKeys: an error other than 45 is thrown', async () => {
  await withDevice({ KG: ['45', '13'] }, async (client) => {
    const err = await client.scanKeys([1, 2]).catch((e: unknown) => e);
    expect((err as EvsmCommandError).errorCode).toBe('13');
  });
});

test('scanKeys: an index outside 1-2048 is refused before anything is sent', async () => {
  await withDevice({ KG: ['45'] }, async (client, device) => {
    for (const bad of [0, 2049, 1.5]) await expect(client.scanKeys([1, bad])).rejects.toBeInstanceOf(EvsmParameterError);
    expect(device.commands()).toEqual([]);
  });
});

test('kgKeyInfoIfAny: the key info, undefined for 45, any other code an EvsmCommandError', () => {
  const kg = c.kgKeyInfoIfAny(7);
  expect(kg.parse(Buffer.from(`KH0000AP${CV}03app1420261201120000`, 'latin1'), 'h')).toMatchObject({ keyType: 0xa, keyAlgFlag: 'P', keyCV: CV, keyLabel: 'app' });
  expect(kg.parse(Buffer.from('KH45', 'latin1'), 'h')).toBeUndefined();
  expect(() => kg.parse(Buffer.from('KH13', 'latin1'), 'h')).toThrow(EvsmCommandError);
});

test('deleteKey: KF01 + index; the answer is KG00', async () => {
  await withDevice({ KF: ['00', '45'] }, async (client, device) => {
    await client.deleteKey(3);
    expect(((await client.deleteKey(4).catch((e: unknown) => e)) as EvsmCommandError).errorCode).toBe('45');
    expect(device.commands()).toEqual(['KF01K0003', 'KF01K0004']);
    expect(device.received.find((r) => r.code === 'KF')).toBeDefined();
  });
});

test('listKeys (extension): X4 pages until the more flag is 0', async () => {
  const entry = (i: number, t: string, f: string): string => `${String(i).padStart(4, '0')}${t}${f}${CV}`;
  await withDevice({ X4: [`00002${'1'}${entry(1, '008', 'P')}${entry(7, '00A', 'U')}`, `00001${'0'}${entry(9, '001', 'X')}`] }, async (client, device) => {
    expect(await client.listKeys()).toEqual([
      { index: 1, keyType: 'ZAK', scheme: 'P', kcv: CV },
      { index: 7, keyType: 'ZEK', scheme: 'U', kcv: CV },
      { index: 9, keyType: 'ZPK', scheme: 'X', kcv: CV },
    ]);
    expect(device.commands()).toEqual(['X40001', 'X40008']);
  });
});

test('dmkCheckValue (X8), formKey (XK), keyCheckValue (BU)', async () => {
  await withDevice({ X8: [`00${CV}`, '13'], XK: [`00${KEY}${CV}`], BU: [`00${CV}`] }, async (client, device) => {
    expect(await client.dmkCheckValue()).toBe(CV);
    expect(((await client.dmkCheckValue().catch((e: unknown) => e)) as EvsmCommandError).errorCode).toBe('13');
    const c1 = '0123456789ABCDEFFEDCBA9876543210';
    const c2 = '00112233445566778899AABBCCDDEEFF';
    expect(await client.formKey('ZMK', 'P', [c1, c2])).toEqual({ keyUnderLmk: KEY, kcv: CV });
    expect(await client.keyCheckValue('ZMK', KEY)).toBe(CV);
    expect(device.commands()).toEqual(['X8', 'X8', `XK000P2${c1}${c2}`, `BU000${KEY}`]);
    await expect(client.formKey('ZMK', 'P', [c1])).rejects.toBeInstanceOf(EvsmParameterError);
    await expect(client.formKey('ZMK', 'P', [c1, 'ABCD'])).rejects.toBeInstanceOf(EvsmParameterError);
  });
});

test('importKey (A6) and exportKey (A8)', async () => {
  await withDevice({ A6: [`00${KEY}${CV}`], A8: [`00${KEY}${CV}`] }, async (client, device) => {
    expect(await client.importKey('ZPK', 'K0001', KEY, 'P')).toEqual({ keyUnderLmk: KEY, kcv: CV });
    expect(await client.exportKey('ZPK', 'K0001', KEY, 'P')).toEqual({ keyUnderZmk: KEY, kcv: CV });
    expect(device.commands()).toEqual([`A6001K0001${KEY}P`, `A8001K0001${KEY}P`]);
  });
});

test('diagnostics: NC → LMK check value, firmware, serial (the SDK\'s last 12 characters)', async () => {
  await withDevice({}, async (client) => {
    expect(await client.diagnostics()).toEqual({ lmkCheckValue: '0'.repeat(16), firmware: 'EVSM01.00', serial: 'ABCDEF123456' });
  });
});

test('translatePin: CC with ISO format 0 both sides', async () => {
  await withDevice({ CC: ['0004AABBCCDDEEFF001101'] }, async (client, device) => {
    const out = await client.translatePin({ sourceZpk: 'K0003', destinationZpk: 'K0004', pinBlock: '0123456789ABCDEF', account: '123456789012' });
    expect(out).toEqual({ pinLength: 4, pinBlock: 'AABBCCDDEEFF0011', format: '01' });
    expect(device.commands()).toEqual(['CCK0003K0004120123456789ABCDEF0101123456789012']);
  });
});

test('payShield-style M6/M8 and M0/M2 keep their layouts, with SJJ1310 key fields', async () => {
  await withDevice({ M6: ['0012345678'], M8: ['00', '01'], M0: ['000020' + 'AB'.repeat(16)], M2: ['000020' + 'CD'.repeat(16)] }, async (client, device) => {
    expect(await client.generateMac(KEY, Buffer.from('abc'))).toBe('12345678');
    expect(await client.verifyMac(KEY, Buffer.from('abc'), '12345678')).toBe(true);
    expect(await client.verifyMac(KEY, Buffer.from('abc'), '12345678')).toBe(false);
    expect((await client.encryptData(KEY, Buffer.alloc(16))).data).toEqual(Buffer.alloc(16, 0xab));
    expect((await client.decryptData(KEY, Buffer.alloc(16))).data).toEqual(Buffer.alloc(16, 0xcd));
    expect(device.commands().slice(0, 2)).toEqual([`M601011008${KEY}0006616263`, `M801011008${KEY}000661626312345678`]);
  });
});

test('safe to repeat: everything but what stores or deletes', () => {
  const notSafe = [
    c.a0Generate('ZEK', 'P', 1, 'x'),
    c.a0GenerateUnderZmk('ZPK', 'P', 'K0001', 'P', 5, 'x'),
    c.a6Import('ZPK', 'K0001', KEY, 'P', 3, 'x'),
    c.kfDelete(1, 3),
    c.e7GenerateKeyPair(9, 7, 'x'),
  ];
  for (const cmd of notSafe) expect(cmd.idempotent, cmd.name).toBe(false);
  const safe = [
    c.a0Generate('ZEK', 'P', 0),
    c.a0Generate('ZEK', 'P', 2048), // the SDK's genWorkKey sends no store part for 2048
    c.a0GenerateUnderZmk('ZPK', 'P', 'K0001', 'P', 0),
    c.a6Import('ZPK', 'K0001', KEY, 'P', 0),
    c.a8Export('ZPK', 'K0001', KEY, 'P'),
    c.kgKeyInfo(1),
    c.kgKeyInfoIfAny(1),
    c.buCheckValue('ZAK', KEY),
    c.e7GenerateKeyPair(0, 7, ''),
    c.crRandom(8),
    c.ncStatus(),
    c.s3s4Cipher('encrypt', { algorithm: 0, keyType: '00A', key: 1, padFlag: 1 }, Buffer.from('a')),
    c.s0Mac({ algorithm: 1, valueType: 8, keyType: '008', key: 1, padFlag: 1, iv: CV }, Buffer.from('a')),
    c.ccTranslatePin(1, 2, '0123456789ABCDEF', 1, 1, '123456789012'),
    c.x4ListKeys(1),
    c.x8DmkCheckValue(),
    c.xkFormKey('ZMK', 'P', [KEY.slice(1), KEY.slice(1).replace('0', '1')]),
  ];
  for (const cmd of safe) expect(cmd.idempotent, cmd.name).toBe(true);
});
