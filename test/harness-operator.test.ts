/**
 * The operator-driven VsmManager path (docs/harness.md): the operator rehearsal lab file, the
 * prompt a person sees for each step, and how a refusal they report becomes the scenario's outcome.
 */
import { test, expect } from '@playwright/test';
import { loadLabFile, parseLabFile } from '../harness/lab/lab-file.ts';
import { managerPrompt, parseOutcome, promptingVsmManager, OUTCOME_QUESTION } from '../harness/operator/vsm-manager.ts';
import type { Operator } from '../harness/operator/operator.ts';
import type { Text } from '../harness/procedures/types.ts';
import { backupExport, restoreImport, stepOf } from '../harness/procedures/index.ts';

/** A person at the bench who answers from a script, recording what they were shown. */
function scriptedPerson(answers: string[]): Operator & { shown: Text[]; asked: Text[] } {
  const shown: Text[] = [];
  const asked: Text[] = [];
  return {
    mode: 'console',
    shown,
    asked,
    async confirm(what) {
      shown.push(what);
      return 'prompted';
    },
    async ask(question) {
      asked.push(question);
      return answers.shift() ?? '';
    },
  };
}

test('the operator rehearsal lab file gives the harness no management port and the rehearsal one per device', () => {
  const lab = loadLabFile('lab/rehearsal-operator.json');
  expect(lab.devices.map((d) => d.name)).toEqual(['A', 'B', 'C']);
  for (const d of lab.devices) expect(d.managementPort, `device ${d.name}`).toBeUndefined();
  expect(lab.operator.mode).toBe('pool');
  expect(lab.rehearsal?.operatorManagementPorts).toEqual({ A: 28118, B: 28119, C: 28120 });
  // The ordinary rehearsal keeps its management ports and names no operator ports.
  expect(loadLabFile('lab/rehearsal.json').rehearsal?.operatorManagementPorts).toEqual({});
});

test('rehearsal.operatorManagementPorts errors name the field', () => {
  const text = (ports: unknown) =>
    JSON.stringify({ lab: 't', cacipher: '{[HOST1];hsmModel=SJJ1310;host=127.0.0.1;port=8018;}', devices: { A: { host: 'HOST1' } }, pkcs11: { module: '/x.so' }, rehearsal: { operatorManagementPorts: ports } });
  expect(() => parseLabFile(text({ Z: 1 }), '/x/lab.json')).toThrow(/rehearsal\.operatorManagementPorts\.Z: device names are A, B, C/);
  expect(() => parseLabFile(text({ A: 70000 }), '/x/lab.json')).toThrow(/rehearsal\.operatorManagementPorts\.A: expected a port number/);
  expect(() => parseLabFile(text([1]), '/x/lab.json')).toThrow(/rehearsal\.operatorManagementPorts/);
});

test('a VsmManager prompt shows the step id, both instructions and the concrete parameters', () => {
  const step = stepOf(backupExport, 'choose-file');
  const prompt = managerPrompt({ step, device: 'A', params: ['backup file: /tmp/b.evbk', 'keys: 1, 2'] });
  for (const text of [prompt.zh, prompt.en]) {
    expect(text).toContain('[backup-export.choose-file]');
    expect(text).toContain('backup file: /tmp/b.evbk');
    expect(text).toContain('keys: 1, 2');
  }
  expect(prompt.zh).toContain(step.text.zh);
  expect(prompt.en).toContain(step.text.en);
});

test('the operator reports an outcome as "CODE message"; Enter means it completed', () => {
  expect(parseOutcome('')).toBeUndefined();
  expect(parseOutcome('   ')).toBeUndefined();
  expect(parseOutcome('kbk_shares not enough shares')).toEqual({ code: 'KBK_SHARES', message: 'not enough shares' });
  expect(parseOutcome('BAD_MAC')).toEqual({ code: 'BAD_MAC', message: 'refused (reported by the operator)' });
});

test('a bench operator confirms every step and is asked for the outcome only where VsmManager acts', async () => {
  const person = scriptedPerson(['KBK_SHARES one share cannot rebuild the KBK']);
  const vsm = promptingVsmManager(person);
  const open = await vsm.perform({ step: stepOf(restoreImport, 'open'), device: 'B', params: [] });
  expect(open).toEqual({ how: 'prompted' });
  expect(person.asked).toHaveLength(0);
  const act = await vsm.perform({ step: stepOf(restoreImport, 'choose-backup-file'), device: 'B', params: ['backup file: /tmp/b.evbk'], action: { procedure: 'restore-import', options: { kbk: [], backup: { file: '/tmp/b.evbk' }, auth: [] }, blanks: [] } });
  expect(act).toEqual({ how: 'prompted', refused: { code: 'KBK_SHARES', message: 'one share cannot rebuild the KBK' } });
  expect(person.asked).toEqual([OUTCOME_QUESTION]);
  expect(person.shown.map((t) => t.en.split(']')[0])).toEqual(['[restore-import.open', '[restore-import.choose-backup-file']);
});

test('the lab file\'s operator mode picks who answers, in one place; a bench device without a management port gets the operator driver', async () => {
  const { benchAnswers } = await import('../harness/operator/select.ts');
  const { labBench } = await import('../harness/targets/lab-bench.ts');
  const { Evidence } = await import('../harness/evidence/evidence.ts');
  const pool = loadLabFile('lab/rehearsal.json');
  const bench = loadLabFile('lab/bench.example.json');
  const poolAnswers = benchAnswers(pool);
  const consoleAnswers = benchAnswers(bench);
  expect(poolAnswers.operator.mode).toBe('pool');
  expect(consoleAnswers.operator.mode).toBe('console');
  const tokens = { acquire: async () => { throw new Error('no tokens'); }, release: async () => {}, close: async () => {}, loginToken: async () => {} };
  // pool: nobody does VsmManager's steps; console: the person, prompted through the Operator.
  expect(poolAnswers.vsmManager(tokens)).toBeUndefined();
  expect(consoleAnswers.vsmManager(tokens)).toBeDefined();
  const deps = { evidence: new Evidence(), tokens, runner: { step: <T>(_p: unknown, _s: unknown, _d: string, f: () => Promise<T>) => f() }, outputPath: (n: string) => n };
  const b = labBench({ lab: bench, answers: consoleAnswers, portOffset: 0 });
  expect(b.verification).toBe('sjj1310');
  expect(b.procedureDriver({ name: 'A', management: undefined }, deps).how).toBe('operator');
  expect(b.procedureDriver({ name: 'A', management: {} as never }, deps).how).toBe('management');
  // No one for VsmManager's steps: the management driver, which skips each procedure with its reason.
  expect(labBench({ lab: pool, answers: poolAnswers, portOffset: 0 }).procedureDriver({ name: 'A', management: undefined }, deps).how).toBe('management');
});
