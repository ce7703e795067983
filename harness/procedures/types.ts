/**
 * Procedures as data. A procedure is what a VsmManager operator clicks through (the seed
 * manual's numbered steps); each step carries a stable id (used as the `test.step` title, so
 * the step log and the report read the same on every target) and the operator instruction in
 * Chinese (from the seed manual) and English.
 *
 * `kind` says who can perform the step when no software adapter exists for it:
 *  - `device`:   the device does it (through the management protocol where the target has it);
 *  - `token`:    a UKEY must be inserted and its PIN entered (the token source answers it:
 *                the virtual/SoftHSM2 pool in CI, the operator at the bench);
 *  - `operator`: a human decision or confirmation (choose keys, choose a file, click OK).
 */
export type StepKind = 'device' | 'token' | 'operator';

export interface Text {
  zh: string;
  en: string;
}

export interface ProcedureStep {
  /** Stable id `<procedure>.<step>`, e.g. `backup-export.choose-keys`. Never renamed. */
  readonly id: string;
  readonly kind: StepKind;
  readonly text: Text;
}

export interface Procedure {
  /** e.g. `backup-export`; every step id starts with it. */
  readonly id: string;
  readonly title: Text;
  /** Where the operator finds it in VsmManager. */
  readonly menu: Text;
  readonly steps: readonly ProcedureStep[];
}

/** Builds a procedure, prefixing each step's short name with the procedure id. */
export function procedure(
  id: string,
  title: Text,
  menu: Text,
  steps: ReadonlyArray<{ step: string; kind: StepKind; zh: string; en: string }>,
): Procedure {
  return {
    id,
    title,
    menu,
    steps: steps.map((s) => ({ id: `${id}.${s.step}`, kind: s.kind, text: { zh: s.zh, en: s.en } })),
  };
}

/** The step of `proc` named `short` (the part after the dot); throws on a typo so scenarios fail loudly. */
export function stepOf(proc: Procedure, short: string): ProcedureStep {
  const id = `${proc.id}.${short}`;
  const s = proc.steps.find((x) => x.id === id);
  if (!s) throw new Error(`procedure ${proc.id} has no step ${id} (steps: ${proc.steps.map((x) => x.id).join(', ')})`);
  return s;
}
