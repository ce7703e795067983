/**
 * Host-command transcript: what the harness asked each device and what it answered, kept as
 * evidence. Entries are built by the harness from fields it chooses (command code, index, KCV,
 * status), never from raw frames, so secrets do not get in; `redact` is the safety net for free
 * text (error messages): runs of 32+ hex digits (clear double-length keys, shares, cryptograms),
 * a key-flag letter followed by 16+ hex digits (an SJJ1310 cryptogram under the LMK or a ZMK, the
 * single-DES `Z` + 16H one included) and long base64 runs are masked; KCVs (16 hex digits on
 * their own) stay readable as evidence.
 */
export interface TranscriptEntry {
  /** Milliseconds since the transcript started. */
  t: number;
  device: string;
  /** e.g. `BU kcv`, `M6 mac`, `mgmt backup-export`. */
  command: string;
  /** Non-secret request facts: index, key type, data length. */
  request?: Record<string, string | number | boolean>;
  /** `ok` or the error code/message (redacted). */
  result: string;
  /** Non-secret answer facts: KCV, count. */
  answer?: Record<string, string | number | boolean>;
}

const LONG_HEX = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])/g;
/** Flag (Z X U Y T P R M N L, decision 3) + hex: a key cryptogram, whatever its length. */
const CRYPTOGRAM = /(?<![0-9A-Za-z])[ZXUYTPRMNL][0-9A-Fa-f]{16,}(?![0-9A-Fa-f])/g;
const LONG_B64 = /[A-Za-z0-9+/]{40,}={0,2}/g;
const PIN_LIKE = /\b(pin|password|口令)(\s*[:=]\s*|\s+)\S+/gi;

export function redact(text: string): string {
  return text
    .replace(CRYPTOGRAM, (m) => `[REDACTED cryptogram ${m[0]}]`)
    .replace(LONG_HEX, (m) => `[REDACTED ${m.length} hex]`)
    .replace(LONG_B64, (m) => `[REDACTED ${m.length} chars]`)
    .replace(PIN_LIKE, (_m, name: string, sep: string) => `${name}${sep}[REDACTED]`);
}

function redactFacts(facts: Record<string, string | number | boolean> | undefined): Record<string, string | number | boolean> | undefined {
  if (!facts) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(facts)) out[k] = typeof v === 'string' ? redact(v) : v;
  return out;
}

export class Transcript {
  private readonly started = Date.now();
  readonly entries: TranscriptEntry[] = [];
  /** Bounded so a 1,000-key scenario does not attach megabytes; the count of dropped entries is kept. */
  dropped = 0;

  constructor(private readonly limit = 2000) {}

  record(device: string, command: string, result: string, request?: TranscriptEntry['request'], answer?: TranscriptEntry['answer']): void {
    if (this.entries.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.entries.push({ t: Date.now() - this.started, device, command, request: redactFacts(request), result: redact(result), answer: redactFacts(answer) });
  }

  /**
   * Runs `fn` and records the facts its answer proves (a KCV, a count). The command itself and
   * any error are recorded by the client's command listener (harness/devices/connect.ts).
   */
  async around<T>(device: string, command: string, request: TranscriptEntry['request'], fn: () => Promise<T>, answer?: (r: T) => TranscriptEntry['answer']): Promise<T> {
    const r = await fn();
    if (answer) this.record(device, `${command} (answer)`, 'ok', request, answer(r));
    return r;
  }

  toJSON(): { entries: TranscriptEntry[]; dropped: number } {
    return { entries: this.entries, dropped: this.dropped };
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}${code !== undefined ? ` ${String(code)}` : ''}: ${e.message}`;
  }
  return String(e);
}
