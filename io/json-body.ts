/**
 * The JSON body of an HTTP request, for the harness's small local servers (the operator station,
 * the VsmManager console). One behaviour for both:
 *  - the body must be one JSON object; an empty body, other JSON or broken JSON is refused
 *    (BodyError 400: "the request body is empty: send a JSON object, e.g. {}" or "the request
 *    body is not a JSON object");
 *  - a body over `maxBytes` is refused as soon as it passes the limit (BodyError 413: "the request
 *    body is larger than N bytes"), nothing more of it is kept, and the rest is read and thrown
 *    away so the connection stays usable and the client gets the answer that says why.
 */
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    /** The HTTP status that says it: 400 (not a JSON object) or 413 (too large). */
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (d: Buffer): void => {
      size += d.length;
      if (size <= maxBytes) {
        parts.push(d);
        return;
      }
      parts.length = 0;
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume(); // drain the rest: the answer still reaches the client
      reject(new BodyError(413, `the request body is larger than ${maxBytes} bytes`));
    };
    const onEnd = (): void => {
      const text = Buffer.concat(parts).toString('utf8');
      parts.length = 0; // the body may hold a PIN: keep no copy
      if (text.trim() === '') return reject(new BodyError(400, 'the request body is empty: send a JSON object, e.g. {}'));
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) return resolve(v as Record<string, unknown>);
      } catch {
        // below
      }
      reject(new BodyError(400, 'the request body is not a JSON object'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
}
