/**
 * The padding the vendor SDK applies itself in blocksEncrypt / blocksDecrypt (observed on the wire,
 * docs/conformance.md "blocksEncrypt"): every block is padded to 16 bytes whatever the key's block
 * size, all blocks go in one S3/S4 with pad 05 (none), and the answer is cut back per block.
 * Codes as the SDK's PaddingMode names them: 0 `80 00…` only when not aligned, 1 `80 00…` always,
 * 2 `00…` only when not aligned, 3 ANSI X9.23 (`00…` + count, always). The SDK refuses the other
 * codes before sending anything; so do we.
 */
import { padBlocks } from '../../crypto/index.ts';
import { EvsmParameterError } from './errors.ts';

/** The SDK pads every block to this size, also for 8-byte-block keys. */
export const SDK_BLOCK = 16;

export type BlockPadding = 0 | 1 | 2 | 3;

export function blockPadding(code: number): BlockPadding {
  if (code === 0 || code === 1 || code === 2 || code === 3) return code;
  throw new EvsmParameterError(`Value of parameter padFlag <${code}> Invalid: blocksEncrypt/blocksDecrypt take padding 0, 1, 2 or 3`);
}

export function padBlock(mode: BlockPadding, data: Uint8Array): Buffer {
  return padBlocks(mode, data, SDK_BLOCK);
}

/**
 * Removes what padBlock added, as the SDK's blocksDecrypt returns it: 0 and 1 drop a trailing
 * `80 00…` when there is one (0 keeps a block without it: it was whole); 3 drops the count's bytes;
 * 2 cannot be told from data and is returned as decrypted. A count or marker that cannot have been
 * written by padBlock is an error, not a guess.
 */
export function unpadBlock(mode: BlockPadding, data: Buffer): Buffer {
  if (mode === 2) return data;
  if (mode === 3) {
    const n = data[data.length - 1];
    if (n === undefined || n < 1 || n > SDK_BLOCK || n > data.length) throw new EvsmParameterError(`blocksDecrypt: the decrypted block does not end in an ANSI X9.23 count (last byte ${n ?? 'none'})`);
    return data.subarray(0, data.length - n);
  }
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i >= 0 && data[i] === 0x80 && data.length - i <= SDK_BLOCK) return data.subarray(0, i);
  if (mode === 1) throw new EvsmParameterError('blocksDecrypt: the decrypted block does not end in 80 00… (padding 1)');
  return data;
}
