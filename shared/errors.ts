/**
 * pigrid's one error family: every error it throws on purpose is a {@link PigridError} whose `code` comes from this
 * catalogue. Codes are stable strings: clients may match on them. Every code is documented in docs/errors.md (a test
 * checks that): the codes a client sees, the codes of a calculation that ended early, and the codes that stay inside
 * the processes (bad configuration at start, DNS lookups, kernel failures reported on the Work stream).
 */
export const ErrorCode = {
  INVALID_POINTS: 'INVALID_POINTS',
  INVALID_MODE: 'INVALID_MODE',
  INVALID_SEED: 'INVALID_SEED',
  INVALID_CHUNK_SIZE: 'INVALID_CHUNK_SIZE',
  TOO_MANY_CHUNKS: 'TOO_MANY_CHUNKS',
  INVALID_ID: 'INVALID_ID',
  INVALID_PAGE_SIZE: 'INVALID_PAGE_SIZE',
  INVALID_PAGE_TOKEN: 'INVALID_PAGE_TOKEN',
  INVALID_BODY: 'INVALID_BODY',
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
  CALCULATION_NOT_FOUND: 'CALCULATION_NOT_FOUND',
  RESULT_MISMATCH: 'RESULT_MISMATCH',
  CHUNK_FAILED: 'CHUNK_FAILED',
  CANCELLED_BY_CLIENT: 'CANCELLED_BY_CLIENT',
  COORDINATOR_DRAINING: 'COORDINATOR_DRAINING',
  COORDINATOR_UNAVAILABLE: 'COORDINATOR_UNAVAILABLE',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL: 'INTERNAL',
  INVALID_URL: 'INVALID_URL',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CALCULATIONS: 'TOO_MANY_CALCULATIONS',
  TOO_MANY_QUEUED_POINTS: 'TOO_MANY_QUEUED_POINTS',
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  // Inside the processes: never an answer to a client.
  INVALID_CONFIG: 'INVALID_CONFIG',
  DNS_LOOKUP_FAILED: 'DNS_LOOKUP_FAILED',
  // Failure codes of a chunk on the Work stream (ChunkFailure.code).
  LEASE_RETURNED: 'LEASE_RETURNED',
  KERNEL_INVALID_INPUT: 'KERNEL_INVALID_INPUT',
  KERNEL_ABORTED: 'KERNEL_ABORTED',
  KERNEL_ERROR: 'KERNEL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A refused input: which field, which rule, in words a user can act on. */
export interface FieldViolation {
  readonly field: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/** An error that carries a catalogue code and, for bad input, the offending field. */
export class PigridError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  /** Every broken rule, each naming its setting (INVALID_CONFIG); empty otherwise. */
  readonly problems: readonly string[];
  constructor(code: ErrorCode, message: string, field?: string, options: { cause?: unknown; problems?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PigridError';
    this.code = code;
    this.field = field;
    this.problems = Object.freeze([...(options.problems ?? [])]);
  }
}

/** The one error of a bad configuration: `what` names it, `problems` lists every setting and the rule it breaks. */
export function invalidConfig(what: string, problems: readonly string[]): PigridError {
  return new PigridError(ErrorCode.INVALID_CONFIG, `invalid ${what}:\n  - ${problems.join('\n  - ')}`, undefined, { problems });
}
