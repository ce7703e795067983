/**
 * Refusals, as values the two protocols turn into answers. Messages never carry key material:
 * they say what was wrong and what to do, nothing more.
 */

/** A host-protocol refusal: a 2-digit error code (docs/host-protocol.md section 3). */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** A management-protocol refusal: a stable symbolic code (docs/management-protocol.md). */
export class MgmtError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MgmtError';
  }
}
