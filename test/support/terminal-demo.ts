/**
 * A bench prompt sequence for the tmux test (test/operator-terminal.test.ts): a PIN (echo off), a
 * confirmation and a value, through the same operators a hardware run uses. Writes the answers as
 * JSON to the file named by argv[2]. It waits 600 ms before the first prompt, so the test can type
 * ahead and prove that typed-ahead input is discarded. With argv[3] = "child", it first starts a
 * long-sleeping child in its process group (Ctrl-C must end that one too). Before the PIN it says
 * one line through the operator, as the token source does after a wrong PIN.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { terminalOperator } from '../../drivers/ukey/index.ts';
import { consoleOperator } from '../../harness/operator/operator.ts';

const out = process.argv[2];
if (process.argv[3] === 'child') {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  writeFileSync(`${out}.child`, String(child.pid));
}
await new Promise((r) => setTimeout(r, 600));
const pins = terminalOperator();
const bench = consoleOperator(60);
// What the token source says after a wrong PIN, just before it asks again (the test sends stderr
// elsewhere, as Playwright does with a worker's: the line must still reach the person, first).
pins.say('UKEY "kbk-2" (serial S2): PIN incorrect, 5 tries left');
const pin = await pins.askSecret('Enter the PIN of UKEY "kbk-2" (serial S2):');
const confirmed = await bench.confirm({ zh: '插入 KBK UKEY 2', en: 'insert KBK UKEY 2' }, 'A');
const value = await bench.ask({ zh: '输入 DMK 校验值', en: 'type the DMK check value VsmManager shows' }, 'A');
writeFileSync(out, JSON.stringify({ pinLength: pin.length, pinOk: pin === '86429753', confirmed, value }));
