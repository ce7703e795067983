/**
 * Renders the certification page from the certification data and its seal, and nothing
 * else: the same inputs give the same bytes, which is how `report verify` detects a page
 * whose visible text was edited (it renders again and compares).
 */
import type { Json } from '../canonical.ts';
import { keyFingerprint, type Seal } from '../seal.ts';
import { objects, str, type CertificationData, type ScenarioRun } from './model.ts';

export const DATA_ELEMENT_ID = 'evsm-lab-certification-data';
export const SEAL_ELEMENT_ID = 'evsm-lab-certification-seal';

const STATUS_RANK: Record<string, number> = { failed: 3, flaky: 2, skipped: 1, passed: 0 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON inside <script>: escape what could close the element or start markup. */
export function scriptJson(v: Json | Seal): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function fmtDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function badge(status: string): string {
  return `<span class="st st-${esc(status)}">${esc(status)}</span>`;
}

/** Rows shown per evidence table; the rest stay in the embedded data, bound by the digest. */
export const MAX_ROWS = 50;

function capped(rows: string[][]): { rows: string[][]; note: string } {
  if (rows.length <= MAX_ROWS) return { rows, note: '' };
  return { rows: rows.slice(0, MAX_ROWS), note: `<p class="note">${rows.length - MAX_ROWS} more rows not printed; all ${rows.length} are in the embedded results (covered by the digest) and in the Allure report.</p>` };
}

/**
 * KCV rows {device, kcv, …} pivoted to one line per key: a KCV column per device and whether they
 * agree, which is what a reader of a sync report looks for. A key is named by its index and type
 * (internal keys), or by when it was read (the DMK check value table: `when` = before/after).
 */
function kcvPivot(rows: { [k: string]: Json | undefined }[]): string | undefined {
  if (!rows.length || !rows.every((r) => r.device !== undefined && 'kcv' in r)) return undefined;
  const byIndex = rows.every((r) => r.index !== undefined);
  const devices = [...new Set(rows.map((r) => str(r.device)))];
  const keyOf = (r: { [k: string]: Json | undefined }): string => (byIndex ? str(r.index) : str(r.when ?? r.name ?? 'DMK'));
  // A DMK table read once per device at different moments (A after original init, B after
  // recovery init) compares the devices' last values, in one row.
  const readings = new Map<string, Set<string>>();
  for (const r of rows) readings.set(keyOf(r), (readings.get(keyOf(r)) ?? new Set()).add(str(r.device)));
  const lastPerDevice = !byIndex && devices.length > 1 && [...readings.values()].every((d) => d.size === 1);
  const keys = new Map<string, { key: string; type: string; kcvs: Map<string, string> }>();
  for (const r of rows) {
    const type = str(r.type ?? r.algorithm);
    const key = lastPerDevice ? 'last read on each device' : keyOf(r);
    const k = `${key}|${type}`;
    if (!keys.has(k)) keys.set(k, { key, type, kcvs: new Map() });
    keys.get(k)!.kcvs.set(str(r.device), str(r.kcv));
  }
  const body = [...keys.values()].map((k) => {
    const values = devices.map((d) => k.kcvs.get(d) ?? '');
    const present = values.filter(Boolean);
    const same = present.length === devices.length && present.every((v) => v === present[0]);
    // an index missing on one device is a difference; a moment only one device was read at is not a comparison
    const verdict =
      devices.length < 2 || (!byIndex && present.length < 2)
        ? '<span class="st st-none">one device</span>'
        : same
          ? '<span class="st st-passed">equal</span>'
          : '<span class="st st-failed">differ</span>';
    return [esc(k.key), esc(k.type), ...values.map((v) => `<code>${esc(v || '—')}</code>`), verdict];
  });
  const c = capped(body);
  return table([byIndex ? 'Index' : 'Read', 'Type', ...devices, 'KCVs'], c.rows, 'kcv') + c.note;
}

/** A scalar as text; an object or array as a small table of its own (facts are read by people). */
function readable(v: Json | undefined): string {
  if (v === null || v === undefined || typeof v !== 'object') return `<code>${esc(str(v))}</code>`;
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return `<code>${esc(v.map((x) => str(x)).join(', '))}</code>`;
  if (Array.isArray(v) && !objects(v).length) return `<code>${esc(JSON.stringify(v))}</code>`;
  if (Array.isArray(v)) return valueTable(v);
  const rows = Object.entries(v).map(([k, x]) => [esc(k), readable(x)]);
  return table(['', ''], rows, 'kv');
}

function valueTable(v: Json | undefined): string {
  const rows = objects(v);
  if (!rows.length) return `<pre>${esc(JSON.stringify(v, null, 2) ?? '')}</pre>`;
  const pivot = kcvPivot(rows);
  if (pivot) return pivot;
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const c = capped(rows.map((r) => cols.map((col) => readable(r[col]))));
  return table(cols, c.rows, 'kcv') + c.note;
}

/**
 * Devices by target, name and model. Emulator targets start fresh devices for each test, so a
 * name can stand for many serials; they are listed together rather than one row each.
 */
function devices(data: CertificationData): string {
  if (!data.devices.length) return '<p>No device evidence was attached to this run.</p>';
  const groups = new Map<string, { target: string; name: string; model: string; serials: string[]; addresses: string[] }>();
  for (const d of data.devices) {
    const k = `${d.target}|${d.name}|${d.model}`;
    if (!groups.has(k)) groups.set(k, { target: d.target, name: d.name, model: d.model, serials: [], addresses: [] });
    const g = groups.get(k)!;
    if (d.serial && !g.serials.includes(d.serial)) g.serials.push(d.serial);
    if (d.address && !g.addresses.includes(d.address)) g.addresses.push(d.address);
  }
  const list = (xs: string[]) => (xs.length <= 4 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`);
  const rows = [...groups.values()].map((g) => [
    esc(g.target), esc(g.name), esc(g.model), `${g.serials.length > 1 ? `${g.serials.length} devices: ` : ''}${esc(list(g.serials))}`, esc(list(g.addresses)),
  ]);
  return table(['Target', 'Device', 'Model', 'Serial', 'Address'], rows);
}

function matrix(data: CertificationData): string {
  const ids = [...new Set(data.runs.map((r) => r.id))];
  const rows = ids.map((id) => {
    const runs = data.runs.filter((r) => r.id === id);
    const cells = data.targets.map((t) => {
      const here = runs.filter((r) => r.target === t);
      if (!here.length) return `<span class="st st-none" data-scenario="${esc(id)}" data-target="${esc(t)}" data-status="not run">not run</span>`;
      const worst = here.reduce((a, r) => (STATUS_RANK[r.status] > STATUS_RANK[a] ? r.status : a), 'passed' as string);
      const passed = here.filter((r) => r.status === 'passed' || r.status === 'flaky').length;
      const count = here.length > 1 ? ` ${passed}/${here.length}` : '';
      return `<span class="st st-${esc(worst)}" data-scenario="${esc(id)}" data-target="${esc(t)}" data-status="${esc(worst)}">${esc(worst)}${count}</span>`;
    });
    return [`<b class="id">${esc(id)}</b>`, esc(titleRest(runs[0])), ...cells];
  });
  return table(['Scenario', 'What it proves', ...data.targets], rows, 'matrix');
}

/** The title without its leading id (the id has its own column). */
function titleRest(r: ScenarioRun): string {
  return r.title.slice(r.id.length).replace(/^[\s:—–-]+/, '');
}

/**
 * The procedure steps of a run, short: consecutive step ids of one procedure (`backup-export.open`,
 * `backup-export.choose-keys`, …) become `backup-export ×8`; plain ids are listed. Then how the
 * steps were done, from the step log (performed by the harness, prompted, answered by the pool).
 * The full list stays in the data and in Allure.
 */
function stepSummary(r: ScenarioRun): string {
  const groups: { name: string; n: number }[] = [];
  for (const s of r.steps) {
    const name = /^([\w-]+)\.[\w.-]+$/.exec(s)?.[1] ?? s;
    const last = groups[groups.length - 1];
    if (last && last.name === name && name !== s) last.n++;
    else groups.push({ name, n: 1 });
  }
  const shown = groups.slice(0, 12).map((g) => `<code>${esc(g.name)}</code>${g.n > 1 ? ` ×${g.n}` : ''}`);
  if (groups.length > 12) shown.push(`+${groups.length - 12} more`);
  const log = r.evidence.find((e) => e.kind === 'steps');
  const hows = new Map<string, number>();
  for (const row of objects(log?.value)) if (typeof row.how === 'string') hows.set(row.how, (hows.get(row.how) ?? 0) + 1);
  const how = [...hows].map(([k, n]) => `${n} ${esc(k)}`).join(', ');
  return shown.join(' → ') + (how ? ` <span class="note">(${how})</span>` : '');
}

function runRow(r: ScenarioRun): string[] {
  return [
    `<b class="id">${esc(r.id)}</b>`,
    esc(titleRest(r)),
    esc(r.target),
    `<span data-run-status="${esc(r.status)}">${badge(r.status)}</span>`,
    esc(fmtDuration(r.durationMs)),
    stepSummary(r),
  ];
}

/** Named findings the scenarios recorded (counts, progress, refusals), one line each. */
function facts(data: CertificationData): string {
  const rows: string[][] = [];
  for (const r of data.runs) {
    for (const e of r.evidence.filter((x) => x.kind === 'facts')) {
      const v = e.value;
      const entries = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : [[e.name, v] as const];
      for (const [k, x] of entries) rows.push([`<b class="id">${esc(r.id)}</b>`, esc(r.target), esc(k), readable(x)]);
    }
  }
  if (!rows.length) return '<p>No facts were recorded.</p>';
  const c = capped(rows);
  return table(['Scenario', 'Target', 'Fact', 'Value'], c.rows, 'facts') + c.note;
}

function kcvEvidence(data: CertificationData): string {
  const parts: string[] = [];
  for (const r of data.runs) {
    for (const e of r.evidence.filter((x) => x.kind === 'kcv')) {
      const body = e.missing ? `<p class="warn">evidence missing: ${esc(e.missing)}</p>` : valueTable(e.value);
      // the title is part of the heading: two variants of one scenario id must not read the same
      parts.push(`<div class="ev"><h3>${esc(r.id)} ${esc(titleRest(r))} · ${esc(r.target)} · ${esc(e.name)}</h3>${body}<p class="digest">SM3 ${esc(e.sm3)}</p></div>`);
    }
  }
  return parts.length ? parts.join('\n') : '<p>No KCV evidence was attached to this run.</p>';
}

function deviations(data: CertificationData): string {
  const dev = data.runs.filter((r) => r.status !== 'passed');
  const rows = dev.map((r) => [
    `<b class="id">${esc(r.id)}</b>`,
    esc(r.target),
    badge(r.status),
    r.failedStep ? `<code>${esc(r.failedStep)}</code>` : '',
    `<pre class="reason">${esc((r.reason ?? '').split('\n').slice(0, 8).join('\n').slice(0, 800))}</pre>`,
  ]);
  const global = data.globalErrors.map((e) => `<li><pre class="reason">${esc(e.slice(0, 800))}</pre></li>`).join('');
  return (
    (rows.length ? table(['Scenario', 'Target', 'Status', 'Failed step', 'Reason'], rows, 'dev') : '<p>None: every scenario run passed.</p>') +
    (global ? `<h3>Errors outside scenarios</h3><ul>${global}</ul>` : '')
  );
}

function evidenceIndex(data: CertificationData): string {
  const rows = data.runs.flatMap((r) =>
    r.evidence.map((e) => [esc(r.id), esc(r.target), esc(e.name), esc(e.kind), e.missing ? `missing (${esc(e.missing)})` : `<code>${esc(e.sm3)}</code>`]),
  );
  return rows.length ? table(['Scenario', 'Target', 'Attachment', 'Kind', 'SM3 of redacted body'], rows, 'idx') : '<p>No evidence attachments.</p>';
}

function sealSection(seal: Seal): string {
  const sig = seal.signature;
  return `<dl class="seal">
<dt>SM3 digest of the results</dt><dd><code id="digest">${esc(seal.digest)}</code></dd>
<dt>Signature</dt><dd>${
    sig
      ? `SM2 (user ID ${esc(sig.userId)})<br><code class="wrap">${esc(sig.value)}</code><br>public key <code class="wrap">${esc(sig.publicKey)}</code><br>key fingerprint <code>${esc(keyFingerprint(Buffer.from(sig.publicKey, 'hex')))}</code>`
      : 'not signed'
  }</dd>
</dl>
<p class="note">Check with <code>evsm-lab report verify certification.html --public-key LAB.pub</code>. The digest covers the canonical form of the data embedded in this page (docs/reports.md); the page text is rendered from that data.</p>`;
}

const CSS = `
@page { size: A4; margin: 14mm 12mm; }
body { font: 10.5px/1.45 "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 20px; margin: 0 0 2px; } h2 { font-size: 14px; margin: 18px 0 6px; border-bottom: 1px solid #999; padding-bottom: 2px; }
h3 { font-size: 11px; margin: 8px 0 3px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; page-break-inside: auto; }
tr { page-break-inside: avoid; } th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eef1f5; } code { font: 9.5px "DejaVu Sans Mono", monospace; } .wrap { word-break: break-all; }
.st { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: bold; font-size: 9.5px; }
.st-passed { background: #d6f5d6; color: #0b5d0b; } .st-failed { background: #fbd5d5; color: #8a0c0c; }
.st-skipped { background: #eee; color: #555; } .st-flaky { background: #fff0c2; color: #7a5a00; } .st-none { color: #999; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 1px 12px; margin: 8px 0; }
.meta dt { font-weight: bold; } .meta dd { margin: 0; }
.verdict { font-size: 13px; font-weight: bold; padding: 6px 8px; margin: 8px 0; border-radius: 4px; }
.verdict.ok { background: #d6f5d6; } .verdict.bad { background: #fbd5d5; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; font-size: 9px; } .digest, .note { color: #555; font-size: 9px; }
.ev { page-break-inside: avoid; } table.kv { width: auto; margin: 0; } table.kv thead { display: none; } .id { white-space: nowrap; } .seal dt { font-weight: bold; } .seal dd { margin: 0 0 4px 0; }
`;

export function renderCertification(data: CertificationData, seal: Seal): string {
  const n = data.runs.length;
  const count = (s: string) => data.runs.filter((r) => r.status === s).length;
  const ok = n > 0 && count('failed') === 0 && data.globalErrors.length === 0;
  const verdict = n === 0
    ? 'No scenario of the catalog ran: nothing is certified.'
    : `${n} scenario runs on ${data.targets.join(', ')}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped${count('flaky') ? `, ${count('flaky')} flaky` : ''}.`;
  const versions = Object.entries(data.versions).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(' · ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>EVSM certification report — ${esc(data.lab)} — ${esc(data.issued.slice(0, 10))}</title>
<meta name="evsm-lab-digest" content="${esc(seal.digest)}">
<style>${CSS}</style>
</head>
<body>
<header>
<h1>EVSM key synchronisation — certification report</h1>
<dl class="meta">
<dt>Lab</dt><dd id="lab">${esc(data.lab)}</dd>
<dt>Issued</dt><dd>${esc(data.issued.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</dd>
<dt>Run started</dt><dd>${esc(data.run.startTime.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} (${esc(fmtDuration(data.run.durationMs))}${data.run.legs ? `, in ${data.run.legs} legs: interrupted and resumed, each test's last result counts` : ''})</dd>
<dt>Targets</dt><dd>${esc(data.targets.join(', ') || 'none')}</dd>
<dt>Software</dt><dd>${versions}</dd>
<dt>SM3 digest</dt><dd><code>${esc(seal.digest)}</code>${seal.signature ? ' · signed (SM2)' : ' · not signed'}</dd>
</dl>
<div class="verdict ${ok ? 'ok' : 'bad'}" id="verdict">${esc(verdict)}</div>
</header>
<h2>Devices under test</h2>
${devices(data)}
<h2>Tokens under test</h2>
${data.tokens.length ? `${table(['Target', 'Serial', 'Label', 'Used as', 'Role read back in this run'], data.tokens.map((t) => [t.target, t.serial, t.label, t.uses, t.role].map(esc)))}
<p class="note">A role is listed only as the token's role record was read back during this run, with the scenarios it was read in; "used as" is what the run used the token for.</p>` : '<p>No token evidence was attached to this run.</p>'}
<h2>Scenario × target</h2>
${matrix(data)}
<h2>Deviations</h2>
${deviations(data)}
<h2>Scenario runs</h2>
${table(['Id', 'Scenario', 'Target', 'Status', 'Time', 'Procedure steps'], data.runs.map(runRow), 'runs')}
${data.otherTests ? `<p class="note">${data.otherTests} tests outside the catalog (no scenario id, or not on a target project) were in the results and are not part of this certification.</p>` : ''}
<h2>KCV evidence</h2>
${kcvEvidence(data)}
<h2>Facts recorded by the scenarios</h2>
${facts(data)}
<h2>Evidence index</h2>
${evidenceIndex(data)}
<h2>Seal</h2>
${sealSection(seal)}
<script type="application/json" id="${DATA_ELEMENT_ID}">${scriptJson(data)}</script>
<script type="application/json" id="${SEAL_ELEMENT_ID}">${scriptJson(seal)}</script>
</body>
</html>
`;
}
