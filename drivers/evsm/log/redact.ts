/**
 * Redaction: the client never writes a key, PIN, share or clear component to a log. Two layers,
 * because one is not enough: fields whose *name* says secret are masked whatever their value,
 * and any long hex/base64 run in free text is masked too (a key can hide in an error message).
 */

const SECRET_NAME = /(key|pin|share|component|clear|secret|password|passwd|kbk|dmk|lmk|zmk|zpk|zak|data|plain|cipher|mac)/i;

/** Hex runs of 16+ digits (a DES key is 16) and base64 runs of 24+ chars are masked. */
const HEX_RUN = /\b[0-9A-Fa-f]{16,}\b/g;
const B64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

export function redactText(text: string): string {
  return text
    .replace(HEX_RUN, (m) => `<redacted ${m.length} hex>`)
    .replace(B64_RUN, (m) => `<redacted ${m.length} chars>`);
}

export type LogValue = string | number | boolean | undefined | null;

/**
 * Masks a structured log record. Numbers and booleans stay (sizes, counts, ports); strings under
 * a secret-sounding name become their length only; other strings go through `redactText`.
 */
export function redactFields(fields: Record<string, LogValue>): Record<string, LogValue> {
  const out: Record<string, LogValue> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      out[name] = SECRET_NAME.test(name) ? `<redacted ${value.length} chars>` : redactText(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}
