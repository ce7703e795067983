/**
 * The certification data: everything the certification page shows, as one JSON value. The
 * page is rendered from it alone, its canonical form is what the SM3 digest covers, and the
 * page embeds it so `report verify` can recompute both (docs/reports.md).
 */
import type { Json } from '../canonical.ts';
import { loadEvidence, isPlaywrightDiagnostic, type EvidenceAttachment } from '../evidence.ts';
import type { RunResults, RunStatus, TestRun } from '../playwright-results.ts';
import type { Redactor } from '../redact.ts';

export const CERT_FORMAT = 'evsm-lab/certification/1';
/**
 * Version of the page layout (render.ts). `verify` re-renders a page to compare it, which only
 * works with the layout it was made with: bump this whenever render.ts changes its output.
 */
export const PAGE_LAYOUT = 'evsm-lab/certification-page/3';

export type DeviceRow = { target: string; name: string; model: string; serial: string; address: string };
/** `role`: the role records read back from the token in this run, or "not verified …" (`verified` false). */
export type TokenRow = { target: string; serial: string; label: string; uses: string; role: string; verified: boolean };
export type EvidenceRow = { name: string; contentType: string; kind: string; sm3: string; value?: Json; missing?: string };
export type ScenarioRun = {
  id: string;
  title: string;
  target: string;
  status: RunStatus;
  durationMs: number;
  reason?: string;
  failedStep?: string;
  steps: string[];
  evidence: EvidenceRow[];
};

export type CertificationData = {
  format: string;
  /** Page layout the report was rendered with (PAGE_LAYOUT). */
  layout: string;
  lab: string;
  /** When the report was made (ISO 8601, UTC). */
  issued: string;
  /** `legs`: an interrupted run resumed (evsm-lab run --resume) ran in this many legs; absent for one. */
  run: { startTime: string; durationMs: number; legs?: number };
  versions: { [name: string]: string };
  targets: string[];
  devices: DeviceRow[];
  tokens: TokenRow[];
  runs: ScenarioRun[];
  /** Tests in results.json outside the catalog (no scenario id, or not on a target project); counted, not certified. */
  otherTests: number;
  /** Errors outside any test, redacted. */
  globalErrors: string[];
};

/** Catalog order: KS, DMK, EXT, HA first, then any other prefix alphabetically; numbers numerically. */
const PREFIX_ORDER = ['KS', 'DMK', 'EXT', 'HA'];
export function compareIds(a: string, b: string): number {
  const [pa, na] = a.split('-');
  const [pb, nb] = b.split('-');
  const ra = PREFIX_ORDER.indexOf(pa);
  const rb = PREFIX_ORDER.indexOf(pb);
  if (pa !== pb) return (ra < 0 ? 99 : ra) - (rb < 0 ? 99 : rb) || pa.localeCompare(pb);
  return Number(na) - Number(nb);
}

export function str(v: Json | undefined): string {
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function objects(v: Json | undefined): { [k: string]: Json | undefined }[] {
  if (Array.isArray(v)) return v.filter((x): x is { [k: string]: Json | undefined } => !!x && typeof x === 'object' && !Array.isArray(x));
  if (v && typeof v === 'object') {
    // Either one record, or a map name → record ({A: {...}, B: {...}}).
    const values = Object.values(v);
    if (values.length && values.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      return Object.entries(v).map(([k, x]) => ({ name: k, ...(x as { [k: string]: Json | undefined }) }));
    }
    return [v];
  }
  return [];
}

function devicesFrom(target: string, e: EvidenceAttachment): DeviceRow[] {
  return objects(e.value).map((d) => ({
    target,
    name: str(d.name ?? d.id ?? d.label),
    model: str(d.model ?? d.hsmModel),
    serial: str(d.serial ?? d.serialNumber),
    address: d.host !== undefined ? `${str(d.host)}${d.port !== undefined ? `:${str(d.port)}` : ''}` : str(d.address),
  }));
}

/** A token reading that found no role record (the harness records `blank`). */
const NO_ROLE = 'blank';

/**
 * A token's row. `role` lists only the role records read back from the token in this run,
 * each with the scenarios it was read in (the harness reads the record when it notes a use:
 * `{serial, label, role, as, step}`, `role` being what it read, `blank` when there was none);
 * `uses` is what the run used it for (`as`), which says nothing about what the token holds.
 * Emulator targets give every test fresh tokens with the same serials, and a bench re-writes a
 * token from scenario to scenario: hence the scenario beside each role. `verified` is false
 * when no role record was read back: the page then says the role was not verified.
 */
type TokenUse = { target: string; serial: string; label: string; use: string; read: string; scenario: string };

function tokensFrom(target: string, scenario: string, e: EvidenceAttachment): TokenUse[] {
  if (Array.isArray(e.value) && e.value.every((x) => typeof x === 'string')) {
    return e.value.map((s) => ({ target, serial: str(s), label: '', use: '', read: '', scenario }));
  }
  return objects(e.value).map((t) => ({
    target,
    serial: str(t.serial ?? t.serialNumber ?? t.id),
    label: str(t.label),
    use: str(t.as ?? t.use),
    read: str(t.role),
    scenario,
  }));
}

/** One row per token and target: its uses listed together, and the role records read back, by scenario. */
function mergeTokens(uses: TokenUse[]): TokenRow[] {
  const byKey = new Map<string, { row: TokenRow; uses: Set<string>; roles: Map<string, Set<string>>; blankSeen: boolean }>();
  for (const u of uses) {
    const k = `${u.target}|${u.serial}`;
    let t = byKey.get(k);
    if (!t) byKey.set(k, (t = { row: { target: u.target, serial: u.serial, label: u.label, uses: '', role: '', verified: false }, uses: new Set(), roles: new Map(), blankSeen: false }));
    t.row.label ||= u.label;
    if (u.use) t.uses.add(u.use);
    if (u.read === NO_ROLE) t.blankSeen = true;
    else if (u.read) t.roles.set(u.read, (t.roles.get(u.read) ?? new Set()).add(u.scenario));
  }
  return [...byKey.values()].map(({ row, uses: used, roles, blankSeen }) => ({
    ...row,
    uses: [...used].join(', '),
    verified: roles.size > 0,
    role: roles.size
      ? [...roles].map(([role, where]) => `${role} (${[...where].sort(compareIds).join(', ')})`).join(', ')
      : blankSeen
        ? 'not verified (no role record when taken)'
        : 'not verified',
  }));
}

function uniqueBy<T>(rows: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const r of rows) if (!seen.has(key(r))) seen.set(key(r), r);
  return [...seen.values()];
}

export interface BuildOptions {
  lab: string;
  issued: Date;
  versions: { [name: string]: string };
  redactor: Redactor;
}

function scenarioRun(t: TestRun & { id: string }, redactor: Redactor): ScenarioRun {
  const evidence = t.attachments.filter((a) => !isPlaywrightDiagnostic(a)).map((a) => loadEvidence(a, redactor));
  return {
    id: t.id,
    title: redactor.text(t.title),
    target: t.project,
    status: t.status,
    durationMs: t.durationMs,
    reason: t.reason === undefined ? undefined : redactor.text(t.reason),
    failedStep: t.failedStep === undefined ? undefined : redactor.text(t.failedStep),
    steps: t.steps.map((s) => redactor.text(s)),
    evidence: evidence.map((e) => ({ name: e.name, contentType: e.contentType, kind: e.kind, sm3: e.sm3 ?? '', value: e.value, missing: e.missing })),
  };
}

/**
 * Projects that are targets: those whose metadata names a target (as playwright.config.ts
 * does for embedded/containers/hardware). When no project says so, every project counts.
 */
export function targetProjects(results: RunResults): Set<string> | undefined {
  const named = results.projects.filter((p) => typeof p.metadata.target === 'string').map((p) => p.name);
  return named.length ? new Set(named) : undefined;
}

export function buildCertification(results: RunResults, opts: BuildOptions): CertificationData {
  const targets = targetProjects(results);
  const catalog = results.tests.filter((t): t is TestRun & { id: string } => t.id !== undefined && (!targets || targets.has(t.project)));
  const runs = catalog
    .map((t) => scenarioRun(t, opts.redactor))
    .sort((a, b) => compareIds(a.id, b.id) || a.title.localeCompare(b.title) || a.target.localeCompare(b.target));
  const devices: DeviceRow[] = [];
  const tokens: TokenUse[] = [];
  for (const r of runs) {
    for (const e of r.evidence) {
      const ev = { ...e, kind: e.kind as EvidenceAttachment['kind'], value: e.value };
      if (e.kind === 'devices') devices.push(...devicesFrom(r.target, ev));
      if (e.kind === 'tokens') tokens.push(...tokensFrom(r.target, r.id, ev));
    }
  }
  return {
    format: CERT_FORMAT,
    layout: PAGE_LAYOUT,
    lab: opts.lab,
    issued: opts.issued.toISOString(),
    run: { startTime: results.startTime, durationMs: results.durationMs, ...(results.legs ? { legs: results.legs } : {}) },
    versions: opts.versions,
    targets: [...new Set(runs.map((r) => r.target))].sort(),
    devices: uniqueBy(devices, (d) => `${d.target}|${d.name}|${d.serial}`).sort((a, b) => a.target.localeCompare(b.target) || a.name.localeCompare(b.name)),
    tokens: mergeTokens(tokens).sort((a, b) => a.target.localeCompare(b.target) || a.serial.localeCompare(b.serial)),
    runs,
    otherTests: results.tests.length - catalog.length,
    globalErrors: results.globalErrors.map((e) => opts.redactor.text(e)),
  };
}
