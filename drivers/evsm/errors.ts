/**
 * Every error the EVSM client throws. Callers branch on the class (or `code`), so each failure
 * kind has its own class and a message that names what to look at (a line, a key, a host).
 */

/** Base class: lets callers catch "anything from the EVSM client" in one clause. */
export class EvsmError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a configuration problem sits: a line of the file, or an item of the string form. */
export interface ConfigLocation {
  /** File path, or `<string>` for the string form. */
  source: string;
  /** 1-based line (file form) or `;`-separated item (string form); absent for whole-file problems. */
  line?: number;
  section?: string;
  key?: string;
}

/** Describes a location the way the messages quote it: `cacipher.ini line 7 [HOST1] port`. */
export function describeLocation(loc: ConfigLocation): string {
  const unit = loc.source === '<string>' ? 'item' : 'line';
  const parts = [loc.source];
  if (loc.line !== undefined) parts.push(`${unit} ${loc.line}`);
  if (loc.section !== undefined) parts.push(`[${loc.section}]`);
  if (loc.key !== undefined) parts.push(loc.key);
  return parts.join(' ');
}

/** A malformed configuration: the client refuses to start with it. */
export class CacipherConfigError extends EvsmError {
  readonly location: ConfigLocation;
  constructor(location: ConfigLocation, problem: string) {
    super('CONFIG', `${describeLocation(location)}: ${problem}`);
    this.location = location;
  }
}

/** The device answered with a non-zero error code: an answer, not a transport failure. */
export class EvsmCommandError extends EvsmError {
  readonly command: string;
  readonly errorCode: string;
  readonly host: string;
  constructor(command: string, errorCode: string, host: string, meaning?: string) {
    super('DEVICE', `${command} on ${host} answered error ${errorCode}${meaning ? ` (${meaning})` : ''}`);
    this.command = command;
    this.errorCode = errorCode;
    this.host = host;
  }
}

/**
 * A call's arguments were refused locally, before anything was sent: the same checks the vendor
 * SDK makes (account length, IV present, deriveFactor of 32H, …). `sdkErrorCode` is what the SDK's
 * TAException would carry (0 for its plain parameter checks, -601 null argument, -602 value not
 * allowed).
 */
export class EvsmParameterError extends EvsmError {
  readonly sdkErrorCode: number;
  constructor(message: string, sdkErrorCode = 0) {
    super('PARAMETER', message);
    this.sdkErrorCode = sdkErrorCode;
  }
}

/** The answer could not be understood (wrong length, wrong header, wrong response code). */
export class EvsmProtocolError extends EvsmError {
  constructor(message: string) {
    super('PROTOCOL', message);
  }
}

/** A single host failed: refused, reset, closed or did not answer in time. */
export class EvsmHostError extends EvsmError {
  readonly host: string;
  /** refused/connect-timeout/reset/closed/read-timeout/tls: what went wrong on the wire. */
  readonly reason: HostFailureReason;
  /** Whether the request bytes reached the socket before the failure (decides retry safety). */
  readonly requestSent: boolean;
  constructor(host: string, reason: HostFailureReason, requestSent: boolean, detail: string, cause?: unknown) {
    super('HOST', `${host}: ${reason}${detail ? ` — ${detail}` : ''}`, { cause });
    this.host = host;
    this.reason = reason;
    this.requestSent = requestSent;
  }
}

export type HostFailureReason =
  | 'refused'
  | 'connect-timeout'
  | 'reset'
  | 'closed'
  | 'read-timeout'
  | 'tls'
  | 'down'
  | 'busy'
  | 'client-closed';

/** No configured host could take the command. `attempts` lists what was tried, in order. */
export class EvsmUnavailableError extends EvsmError {
  readonly attempts: readonly EvsmHostError[];
  constructor(command: string, attempts: readonly EvsmHostError[]) {
    const tried = attempts.length ? attempts.map((a) => a.message).join('; ') : 'every host is marked down';
    super('UNAVAILABLE', `${command}: no healthy EVSM host (${tried})`);
    this.attempts = attempts;
  }
}

/**
 * A state-changing command was in flight when its host failed. The device may or may not have
 * applied it, so the client did not repeat it elsewhere: the caller must check and decide.
 */
export class EvsmNotRetriedError extends EvsmError {
  readonly command: string;
  readonly host: string;
  constructor(command: string, host: string, cause: EvsmHostError) {
    super(
      'NOT_RETRIED',
      `${command} changes device state and was in flight on ${host} when it failed (${cause.reason}); ` +
        'it was NOT retried on another host because it may already have been applied — check the device and repeat it yourself if needed',
      { cause },
    );
    this.command = command;
    this.host = host;
  }
}

/** The client was closed while the command waited or ran. */
export class EvsmClosedError extends EvsmError {
  constructor() {
    super('CLOSED', 'the EVSM client is closed');
  }
}
