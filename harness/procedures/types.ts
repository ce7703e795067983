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

export interface ProcedureStep<S extends string = string> {
  /** Stable id `<procedure>.<step>`, e.g. `backup-export.choose-keys`. Never renamed. */
  readonly id: string;
  /** The part after the dot, e.g. `choose-keys` (set by `procedure`; `shortName` derives it from the id otherwise). */
  readonly short?: S;
  readonly kind: StepKind;
  readonly text: Text;
  /** The step is done once per item (each component UKEY, each further KBK UKEY); a plan says how often. */
  readonly repeats?: true;
  /** The step is one of alternatives (sync auth or new auth); a plan may leave it out. */
  readonly optional?: true;
}

export interface Procedure<S extends string = string> {
  /** e.g. `backup-export`; every step id starts with it. */
  readonly id: string;
  readonly title: Text;
  /** Where the operator finds it in VsmManager. */
  readonly menu: Text;
  /** In the order VsmManager shows them: the only place a procedure's sequence is written. */
  readonly steps: readonly ProcedureStep<S>[];
}

/** The short step names of a procedure, as a type (`StepName<typeof backupExport>` = 'open' | 'choose-keys' | …). */
export type StepName<P> = P extends Procedure<infer S> ? S : never;

/** Builds a procedure, prefixing each step's short name with the procedure id. */
export function procedure<const S extends string>(
  id: string,
  title: Text,
  menu: Text,
  steps: ReadonlyArray<{ step: S; kind: StepKind; zh: string; en: string; repeats?: true; optional?: true }>,
): Procedure<S> {
  return {
    id,
    title,
    menu,
    steps: steps.map((s) => ({
      id: `${id}.${s.step}`,
      short: s.step,
      kind: s.kind,
      text: { zh: s.zh, en: s.en },
      ...(s.repeats ? { repeats: true as const } : {}),
      ...(s.optional ? { optional: true as const } : {}),
    })),
  };
}

/** The step of `proc` named `short` (the part after the dot); throws on a typo so scenarios fail loudly. */
export function stepOf<S extends string>(proc: Procedure<S>, short: S): ProcedureStep<S> {
  const id = `${proc.id}.${short}`;
  const s = proc.steps.find((x) => x.id === id);
  if (!s) throw new Error(`procedure ${proc.id} has no step ${id} (steps: ${proc.steps.map((x) => x.id).join(', ')})`);
  return s;
}

/** The part of a step's id after `<procedure>.`. */
export function shortName<S extends string>(proc: Procedure<S>, step: ProcedureStep<S>): S {
  return step.short ?? (step.id.slice(proc.id.length + 1) as S);
}
