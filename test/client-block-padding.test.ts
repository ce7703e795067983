/**
 * The padding the vendor SDK does itself in blocksEncrypt/blocksDecrypt (drivers/evsm/block-padding.ts):
 * the recorded transcripts (data.json) cover 0, 1 and 3 on 3-, 16- and 21-byte blocks; these cover the
 * edges the transcripts do not: empty blocks, code 2, refused codes, and padding that cannot be removed.
 */
import { test, expect } from '@playwright/test';
import { blockPadding, padBlock, unpadBlock } from '../drivers/evsm/block-padding.ts';
import { EvsmParameterError } from '../drivers/evsm/index.ts';

const h = (s: string) => Buffer.from(s, 'hex');
const b16 = Buffer.alloc(16, 0x11);

test('each code pads to 16 bytes as the SDK was seen to, and unpads back', () => {
  expect(padBlock(0, h('2D4C6B')).toString('hex')).toBe('2d4c6b80' + '00'.repeat(12));
  expect(padBlock(0, b16)).toEqual(b16);
  expect(padBlock(1, b16).toString('hex')).toBe('11'.repeat(16) + '80' + '00'.repeat(15));
  expect(padBlock(2, h('2D4C6B')).toString('hex')).toBe('2d4c6b' + '00'.repeat(13));
  expect(padBlock(2, b16)).toEqual(b16);
  expect(padBlock(3, h('2D4C6B')).toString('hex')).toBe('2d4c6b' + '00'.repeat(12) + '0d');
  expect(padBlock(3, b16).toString('hex')).toBe('11'.repeat(16) + '00'.repeat(15) + '10');
  for (const mode of [0, 1, 3] as const) {
    for (const data of [Buffer.alloc(0), h('2D4C6B'), b16, Buffer.alloc(21, 0x80)]) {
      expect(unpadBlock(mode, padBlock(mode, data)), `mode ${mode}, ${data.length} bytes`).toEqual(data);
    }
  }
});

test('codes the SDK refuses locally are refused before anything is sent; padding that is not there is an error', () => {
  for (const code of [4, 5, 10, 16, -1]) expect(() => blockPadding(code)).toThrow(EvsmParameterError);
  expect(blockPadding(2)).toBe(2);
  expect(() => unpadBlock(3, Buffer.alloc(16, 0x11))).toThrow(/X9.23/);
  expect(() => unpadBlock(1, Buffer.alloc(16, 0x11))).toThrow(/80 00/);
  // 0: a block without the marker was whole before padding and comes back unchanged.
  expect(unpadBlock(0, b16)).toEqual(b16);
  // 2: zeros cannot be told from data; returned as decrypted.
  expect(unpadBlock(2, padBlock(2, h('2D4C6B'))).length).toBe(16);
});
