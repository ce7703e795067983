/**
 * How each command module builds a WireCommand: fields in, answer decoded, and whether it is safe
 * to repeat on another host (it is unless it stores or deletes something on the device).
 */
import type { WireCommand } from '../failover.ts';
import { encodeCommand, openAnswer, readStatus, type AnswerStatus, FieldReader } from './codec.ts';

/** A command whose answer must carry error 00; `decode` reads the fields after it. */
export function command<T>(
  code: string,
  name: string,
  idempotent: boolean,
  fields: Array<string | Buffer>,
  decode: (r: FieldReader) => T,
): WireCommand<T> {
  return wire(code, name, idempotent, fields, (answer, host) => decode(openAnswer(code, answer, host)));
}

/**
 * A command that decides itself what each error code means (verifyCVV: any code → false). The
 * response code and the error code's validity are still checked.
 */
export function statusCommand<T>(
  code: string,
  name: string,
  idempotent: boolean,
  fields: Array<string | Buffer>,
  decode: (status: AnswerStatus, host: string) => T,
): WireCommand<T> {
  return wire(code, name, idempotent, fields, (answer, host) => decode(readStatus(code, answer, host), host));
}

/** The request and the name every command carries; only how the answer is read differs. */
function wire<T>(code: string, name: string, idempotent: boolean, fields: Array<string | Buffer>, parse: WireCommand<T>['parse']): WireCommand<T> {
  return { code, name: `${code} ${name}`, idempotent, message: encodeCommand(code, ...fields), parse };
}

/** A reader over an answer body, for status commands that accepted 00. */
export function readerOf(code: string, body: Buffer, host: string): FieldReader {
  return new FieldReader(body, `${code} on ${host}`);
}
