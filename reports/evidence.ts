/**
 * Evidence attachments (one attachment of a test in results.json; the harness's Evidence class
 * writes them): loads the bodies a results.json refers to, redacts them, and sorts
 * out what the certification report shows in full (KCV tables, devices, tokens) from what it
 * only binds by digest (transcripts, logs, screenshots).
 *
 * Attachment naming the harness follows (docs/reports.md, "Evidence"): a name containing
 * `kcv` or `check-value` is a KCV table; `device` lists devices under test; `token`, `ukey`
 * or `serial` lists tokens; `fact` holds named findings; `procedure-steps` the step log (how
 * each step was done). JSON bodies of these kinds are kept; other bodies only by SM3.
 */
import { readFileSync } from 'node:fs';
import { sm3, hex } from '../crypto/index.ts';
import type { Json } from './canonical.ts';
import type { AttachmentRef } from './playwright-results.ts';
import type { Redactor } from './redact.ts';

export type EvidenceKind = 'kcv' | 'devices' | 'tokens' | 'facts' | 'steps' | 'other';

export interface EvidenceAttachment {
  name: string;
  contentType: string;
  kind: EvidenceKind;
  /** SM3 of the redacted body (upper-case hex), or undefined when the body is missing. */
  sm3?: string;
  /** Redacted JSON value, for JSON evidence of the kinds shown in full. */
  value?: Json;
  /** Why there is no body (file gone, unreadable). */
  missing?: string;
}

export function kindOf(name: string): EvidenceKind {
  const n = name.toLowerCase();
  if (/kcv|check[-_ ]?value/.test(n)) return 'kcv';
  if (/device/.test(n)) return 'devices';
  if (/token|ukey|serial/.test(n)) return 'tokens';
  if (/fact/.test(n)) return 'facts';
  if (/procedure-steps|step-log/.test(n)) return 'steps';
  return 'other';
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-ndjson)|.*\+json$)/;

function loadBody(a: AttachmentRef): Buffer {
  if (a.body !== undefined) return Buffer.from(a.body, 'base64');
  if (a.path) return readFileSync(a.path);
  throw new Error('attachment has neither body nor path');
}

/** Playwright's own diagnostics (error-context, traces, videos) are not evidence. */
export function isPlaywrightDiagnostic(a: AttachmentRef): boolean {
  return ['error-context', 'trace', 'video', 'screenshot'].includes(a.name) || a.name.startsWith('_');
}

export function loadEvidence(a: AttachmentRef, redactor: Redactor): EvidenceAttachment {
  const kind = kindOf(a.name);
  let raw: Buffer;
  try {
    raw = loadBody(a);
  } catch (e) {
    return { name: a.name, contentType: a.contentType, kind, missing: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  if (!TEXT_TYPES.test(a.contentType)) {
    // Binary evidence cannot be redacted by rule; bind it by digest only, never show it.
    return { name: a.name, contentType: a.contentType, kind: 'other', sm3: hex(sm3(raw)) };
  }
  const text = raw.toString('utf8');
  if (a.contentType.includes('json')) {
    try {
      const value = redactor.value(JSON.parse(text) as Json) ?? null;
      const body = Buffer.from(JSON.stringify(value), 'utf8');
      return { name: a.name, contentType: a.contentType, kind, sm3: hex(sm3(body)), value: kind === 'other' ? undefined : value };
    } catch {
      // Not JSON after all: fall through to the text rules.
    }
  }
  return { name: a.name, contentType: a.contentType, kind: kind === 'other' ? 'other' : kind, sm3: hex(sm3(Buffer.from(redactor.text(text), 'utf8'))) };
}
