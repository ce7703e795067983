/**
 * The typed commands' bytes, checked against docs/host-protocol.md alone (no device): field
 * order and widths of each request, decoding of answers, the retry class of each command, and
 * how device error codes and malformed answers surface.
 */
import { test, expect } from '@playwright/test';
import { EvsmCommandError, EvsmProtocolError, keyAt } from '../drivers/evsm/index.ts';
import * as cmd from '../drivers/evsm/commands/catalog.ts';
import { encodeFrame } from '../drivers/evsm/wire/frame.ts';

const ascii = (b: Buffer): string => b.toString('latin1');
const answer = (s: string): Buffer => Buffer.from(s, 'latin1');
const ZAK = 'P' + 'A'.repeat(32) + '0123ABCD';
const ZEK = 'U' + 'B'.repeat(32);

test('B2 echo matches the worked example of §6 (except its length prefix, see below)', () => {
  const c = cmd.echoCommand('HELLO');
  const frame = encodeFrame(Buffer.concat([Buffer.from('0001'), c.message]));
  // §6 prints the request's length as 00 0B (11), but header 4 + "B2" 2 + "0005" 4 + "HELLO" 5 = 15.
  // The answer's 00 0D (13 = 4 + 2 + 2 + 5) is right; the request example is the document's slip.
  expect(frame.toString('hex')).toBe('000f' + '30303031' + '4232' + '30303035' + '48454c4c4f');
  expect(c.parse(answer('B300HELLO'), 'h')).toBe('HELLO');
});

test('request layouts follow §4 and §5', () => {
  expect(ascii(cmd.diagnosticsCommand().message)).toBe('NC');
  expect(ascii(cmd.randomCommand(8).message)).toBe('N0008');
  expect(ascii(cmd.statusCommand().message)).toBe('NO00');
  expect(ascii(cmd.generateKeyCommand('ZAK', 'P').message)).toBe('A00008P');
  expect(ascii(cmd.generateKeyCommand('ZPK', 'U', { zmk: keyAt(1), scheme: 'X' }).message)).toBe('A01001UK0001X');
  expect(ascii(cmd.keyCheckValueCommand('ZAK', ZAK).message)).toBe(`BU008${ZAK}`);
  expect(ascii(cmd.importKeyCommand('ZPK', keyAt(2), 'X' + 'C'.repeat(32), 'U').message)).toBe(`A6001K0002X${'C'.repeat(32)}U`);
  expect(ascii(cmd.exportKeyCommand('ZEK', keyAt(2), ZEK, 'X').message)).toBe(`A800AK0002${ZEK}X`);
  expect(ascii(cmd.translatePinCommand({ sourceZpk: keyAt(1), destinationZpk: keyAt(2), pinBlock: 'F'.repeat(16), account: '123456789012' }).message))
    .toBe(`CCK0001K000212${'F'.repeat(16)}0101123456789012`);
  expect(ascii(cmd.generateMacCommand(ZAK, Buffer.from('AB', 'latin1')).message)).toBe(`M601011008${ZAK}00044142`);
  expect(ascii(cmd.verifyMacCommand(ZAK, Buffer.from([1]), '0123456789ABCDEF', { algorithm: 3, padding: 2 }).message))
    .toBe(`M801132008${ZAK}000201` + '0123456789ABCDEF');
  expect(ascii(cmd.dataCipherCommand('encrypt', ZEK, Buffer.alloc(8)).message)).toBe(`M0001100A${ZEK}0010${'0'.repeat(16)}`);
  expect(ascii(cmd.dataCipherCommand('decrypt', keyAt(3), Buffer.alloc(16), { mode: 'CBC', iv: Buffer.alloc(16, 0xff) }).message))
    .toBe(`M2011100AK0003${'FF'.repeat(16)}0020${'0'.repeat(32)}`);
  expect(ascii(cmd.storeKeyCommand(12, 'ZPK', 'P', false).message)).toBe('X00012001P0');
  expect(ascii(cmd.keyInfoCommand(12).message)).toBe('X20012');
  expect(ascii(cmd.listKeysCommand().message)).toBe('X40001');
  expect(ascii(cmd.deleteKeyCommand(9999).message)).toBe('X69999');
  expect(ascii(cmd.dmkCheckValueCommand().message)).toBe('X8');
  expect(ascii(cmd.formKeyCommand('ZAK', 'P', ['1'.repeat(32), '2'.repeat(32)]).message)).toBe(`XA008P2${'1'.repeat(32)}${'2'.repeat(32)}`);
});

test('answers decode per §4 and §5', () => {
  expect(cmd.diagnosticsCommand().parse(answer('ND00' + '0'.repeat(16) + 'EVSM01.00'), 'h')).toEqual({ lmkCheckValue: '0'.repeat(16), firmware: 'EVSM01.00' });
  expect(cmd.randomCommand(2).parse(answer('N100ABCD'), 'h')).toEqual(Buffer.from([0xab, 0xcd]));
  expect(cmd.statusCommand().parse(answer('NP00K0003EVSM01.00DEVICE-A00000001'), 'h')).toEqual({
    state: 'K', internalKeyCount: 3, firmware: 'EVSM01.00', deviceId: 'DEVICE-A00000001',
  });
  expect(cmd.generateKeyCommand('ZAK', 'P').parse(answer(`A100${ZAK}ABCDEF`), 'h')).toEqual({ keyUnderLmk: ZAK, kcv: 'ABCDEF' });
  const z = 'X' + 'D'.repeat(32);
  expect(cmd.generateKeyCommand('ZPK', 'U', { zmk: keyAt(1), scheme: 'X' }).parse(answer(`A100${ZEK}${z}123456`), 'h'))
    .toEqual({ keyUnderLmk: ZEK, keyUnderZmk: z, kcv: '123456' });
  expect(cmd.translatePinCommand({ sourceZpk: 'a', destinationZpk: 'b', pinBlock: 'F'.repeat(32), account: '000000000000' })
    .parse(answer(`CD0004${'E'.repeat(32)}01`), 'h')).toEqual({ pinLength: 4, pinBlock: 'E'.repeat(32), format: '01' });
  const cbc = cmd.dataCipherCommand('encrypt', ZEK, Buffer.alloc(8), { mode: 'CBC', iv: Buffer.alloc(8) });
  expect(cbc.parse(answer(`M100${'1'.repeat(16)}0010${'2'.repeat(16)}`), 'h')).toEqual({ data: Buffer.alloc(8, 0x22), iv: Buffer.alloc(8, 0x11) });
  expect(cmd.keyInfoCommand(5).parse(answer(`X300008P${'A'.repeat(16)}`), 'h')).toEqual({ index: 5, keyType: 'ZAK', scheme: 'P', kcv: 'A'.repeat(16) });
  expect(cmd.listKeysCommand().parse(answer(['X5', '00', '002', '0', '0001', '000', 'P', 'A'.repeat(16), '0007', '001', 'U', 'B'.repeat(16)].join('')), 'h')).toEqual({
    more: false,
    keys: [
      { index: 1, keyType: 'ZMK', scheme: 'P', kcv: 'A'.repeat(16) },
      { index: 7, keyType: 'ZPK', scheme: 'U', kcv: 'B'.repeat(16) },
    ],
  });
  expect(cmd.deleteKeyCommand(1).parse(answer('X700'), 'h')).toBeUndefined();
});

test('M8: 00 is a match, 01 a mismatch, anything else an error', () => {
  const v = cmd.verifyMacCommand(ZAK, Buffer.alloc(1), '12345678');
  expect(v.parse(answer('M900'), 'h')).toBe(true);
  expect(v.parse(answer('M901'), 'h')).toBe(false);
  expect(() => v.parse(answer('M910'), 'h')).toThrow(EvsmCommandError);
});

test('error codes become EvsmCommandError with the §3 meaning; bad answers are protocol errors', () => {
  const e = (() => {
    try {
      cmd.dmkCheckValueCommand().parse(answer('X913'), 'HOST1 127.0.0.1:1');
    } catch (err) {
      return err as EvsmCommandError;
    }
  })();
  expect(e).toBeInstanceOf(EvsmCommandError);
  expect(e?.errorCode).toBe('13');
  expect(e?.message).toContain('device not initialized');
  expect(() => cmd.echoCommand('x').parse(answer('B400x'), 'h')).toThrow(EvsmProtocolError);
  expect(() => cmd.randomCommand(2).parse(answer('N100ABCDEF'), 'h')).toThrow(/unexpected bytes/);
  expect(() => cmd.randomCommand(2).parse(answer('N100AB'), 'h')).toThrow(/too short/);
});

test('only the store and delete commands are marked unsafe to repeat', () => {
  const all = [
    cmd.echoCommand(''), cmd.diagnosticsCommand(), cmd.randomCommand(1), cmd.statusCommand(),
    cmd.generateKeyCommand('ZAK', 'P'), cmd.keyCheckValueCommand('ZAK', ZAK), cmd.importKeyCommand('ZPK', 'K0001', 'x', 'U'),
    cmd.exportKeyCommand('ZPK', 'K0001', 'K0002', 'X'), cmd.generateMacCommand(ZAK, Buffer.alloc(0)),
    cmd.verifyMacCommand(ZAK, Buffer.alloc(0), '00000000'), cmd.dataCipherCommand('encrypt', ZEK, Buffer.alloc(8)),
    cmd.keyInfoCommand(1), cmd.listKeysCommand(), cmd.dmkCheckValueCommand(), cmd.formKeyCommand('ZAK', 'P', ['a', 'b']),
    cmd.storeKeyCommand(1, 'ZAK', 'P', false), cmd.deleteKeyCommand(1),
  ];
  expect(all.filter((c) => !c.idempotent).map((c) => c.code)).toEqual(['X0', 'X6']);
});

test('inputs out of range are refused before anything is sent', () => {
  expect(() => cmd.randomCommand(0)).toThrow(RangeError);
  expect(() => cmd.randomCommand(257)).toThrow(RangeError);
  expect(() => keyAt(10000)).toThrow(RangeError);
  expect(() => cmd.translatePinCommand({ sourceZpk: 'a', destinationZpk: 'b', pinBlock: '', account: '12' })).toThrow(/12 digits/);
  expect(() => cmd.dataCipherCommand('encrypt', ZEK, Buffer.alloc(8), { mode: 'CBC' })).toThrow(/iv/);
  expect(() => cmd.generateKeyCommand('ZXK' as never, 'P')).toThrow(/unknown key type/);
});
