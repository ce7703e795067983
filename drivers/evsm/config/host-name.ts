/**
 * What a `host` value may be: an IPv4 or IPv6 address, or a DNS host name (RFC 1123 labels).
 * Anything else — `127.0.0.1;evil`, `http://127.0.0.1`, `127.0.0.1#comment`, a quoted value —
 * is refused rather than handed to the resolver (issue 13, finding 8).
 */
import { isIP } from 'node:net';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Why `value` is not a host, or undefined when it is one. */
export function hostProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (isIP(value)) return undefined;
  if (value.length > 253) return 'is longer than 253 characters';
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const labels = name.split('.');
  if (labels.some((l) => !LABEL.test(l))) return 'is not a host name or an IP address';
  // All-numeric last label: meant as an IPv4 address, and not a valid one (999.1.1.1, 127.1).
  if (/^\d+$/.test(labels[labels.length - 1])) return 'is not a valid IP address';
  return undefined;
}

/** A hint for values that hold an inline `#`: the SDK keeps it as part of the value. */
export function inlineCommentHint(value: string): string {
  return value.includes('#') ? ' (a "#" after a value is part of the value: comments take a whole line)' : '';
}
