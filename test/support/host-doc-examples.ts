/**
 * The worked examples of docs/host-protocol.md: ```wire blocks of `→ request` / `← answer` lines,
 * payloads after the 2-byte length (header length 0). Printable bytes are written as they are,
 * other bytes as `<hex:…>`. An answer ending in `…` is compared up to there (random output).
 */
export interface DocExample {
  request: Buffer;
  answer: Buffer;
  /** the answer is only a prefix of the real one */
  prefix: boolean;
  line: number;
}

export function decodeWire(s: string): Buffer {
  const parts: Buffer[] = [];
  const re = /<hex:([0-9A-Fa-f]*)>/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    parts.push(Buffer.from(s.slice(last, m.index), 'utf8'), Buffer.from(m[1], 'hex'));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Printable ASCII as is, anything else as <hex:…>. */
export function encodeWire(b: Buffer): string {
  let out = '';
  let run = '';
  for (const x of b) {
    if (x >= 0x20 && x < 0x7f && x !== 0x3c) {
      if (run) out += `<hex:${run}>`;
      run = '';
      out += String.fromCharCode(x);
    } else run += x.toString(16).toUpperCase().padStart(2, '0');
  }
  return run ? out + `<hex:${run}>` : out;
}

export function parseDocExamples(doc: string): DocExample[] {
  const out: DocExample[] = [];
  const lines = doc.split('\n');
  let inWire = false;
  let pending: { request: Buffer; line: number } | undefined;
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l.startsWith('```')) {
      inWire = l === '```wire';
      return;
    }
    if (!inWire) return;
    if (l.startsWith('→ ')) pending = { request: decodeWire(l.slice(2)), line: i + 1 };
    else if (l.startsWith('← ') && pending) {
      const a = l.slice(2);
      const prefix = a.endsWith('…');
      out.push({ request: pending.request, answer: decodeWire(prefix ? a.slice(0, -1) : a), prefix, line: pending.line });
      pending = undefined;
    }
  });
  return out;
}
