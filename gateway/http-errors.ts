/**
 * The one table from gRPC status to HTTP status, and the JSON error body every REST error uses:
 * `{"error": {"code", "message", "field"}}`. Details of internal errors are logged, never sent.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, type FieldViolation } from '../shared/errors.js';
import { CODE_METADATA_KEY, FIELD_METADATA_KEY } from '../shared/wire.js';

const TABLE: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

export interface ErrorBody {
  error: { code: string; message: string; field: string | null; violations?: FieldViolation[] };
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  /** Headers that go with the answer (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string> = {};
  /** `cause`: what went wrong underneath (the gRPC error); logged, never sent. */
  constructor(status: number, body: ErrorBody, cause?: unknown) {
    super(body.error.message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.body = body;
  }
  static of(status: number, code: string, message: string, field: string | null = null, cause?: unknown): HttpError {
    return new HttpError(status, { error: { code, message, field } }, cause);
  }
  static invalid(violations: readonly FieldViolation[]): HttpError {
    const [first] = violations;
    return new HttpError(400, {
      error: { code: first.code, message: violations.map((v) => v.message).join('; '), field: first.field, violations: [...violations] },
    });
  }
}

/** The answer to anything unexpected: no details, but the request id that finds them in the gateway log. */
export function internalErrorBody(requestId: string): ErrorBody {
  return {
    error: { code: ErrorCode.INTERNAL, message: `internal error (request ${requestId}; details are in the gateway log)`, field: null },
  };
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'metadata' in err;
}

/** Translates a coordinator error into the REST answer; the original error stays as its `cause` for the log. */
export function fromGrpcError(err: unknown): HttpError {
  if (!isServiceError(err)) return HttpError.of(500, ErrorCode.INTERNAL, 'internal error', null, err);
  const status = TABLE[err.code] ?? 500;
  const code = String(err.metadata?.get(CODE_METADATA_KEY)[0] ?? '');
  const field = err.metadata?.get(FIELD_METADATA_KEY)[0];
  if (err.code === grpc.status.UNAVAILABLE && !code) {
    return HttpError.of(503, ErrorCode.COORDINATOR_UNAVAILABLE, 'the coordinator is unreachable; retry shortly', null, err);
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED) {
    return HttpError.of(504, ErrorCode.COORDINATOR_UNAVAILABLE, 'the coordinator did not answer in time', null, err);
  }
  if (status === 500) return HttpError.of(500, ErrorCode.INTERNAL, 'internal error', null, err);
  return HttpError.of(status, code || ErrorCode.INTERNAL, err.details, field === undefined ? null : String(field), err);
}
