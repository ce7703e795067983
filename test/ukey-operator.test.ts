import { test, expect } from '@playwright/test';
import { PassThrough } from 'node:stream';
import { terminalOperator } from '../drivers/ukey/operator.ts';

test('terminal operator: instructions are shown, a typed PIN is returned and never echoed', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  const op = terminalOperator(input, output);
  op.say('insert KBK UKEY 2 of 3 and enter its PIN');
  const answer = op.askSecret('Enter the PIN of UKEY "ukey-2" (serial S2):');
  input.write('86429753\n');
  expect(await answer).toBe('86429753');
  expect(shown).toContain('insert KBK UKEY 2 of 3 and enter its PIN\n');
  expect(shown).toContain('Enter the PIN of UKEY "ukey-2" (serial S2):');
  expect(shown).not.toContain('86429753');
});
