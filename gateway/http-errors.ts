/**
 * The one table from gRPC status to HTTP status, and the JSON error body every REST error uses:
 * `{"error": {"code", "message", "field"}}`. Details of internal errors are logged, never sent.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, type FieldViolation } from '../shared/errors.js';

const TABLE: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

export interface ErrorBody {
  error: { code: string; message: string; field: string | null; violations?: FieldViolation[] };
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  constructor(status: number, body: ErrorBody) {
    super(body.error.message);
    this.status = status;
    this.body = body;
  }
  static of(status: number, code: string, message: string, field: string | null = null): HttpError {
    return new HttpError(status, { error: { code, message, field } });
  }
  static invalid(violations: readonly FieldViolation[]): HttpError {
    const [first] = violations;
    return new HttpError(400, {
      error: { code: first.code, message: violations.map((v) => v.message).join('; '), field: first.field, violations: [...violations] },
    });
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'metadata' in err;
}

/** Translates a coordinator error into the REST answer. */
export function fromGrpcError(err: unknown): HttpError {
  if (!isServiceError(err)) return HttpError.of(500, ErrorCode.INTERNAL, 'internal error');
  const status = TABLE[err.code] ?? 500;
  const code = String(err.metadata?.get('pigrid-code')[0] ?? '');
  const field = err.metadata?.get('pigrid-field')[0];
  if (err.code === grpc.status.UNAVAILABLE && !code) {
    return HttpError.of(503, ErrorCode.COORDINATOR_UNAVAILABLE, 'the coordinator is unreachable; retry shortly');
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED) {
    return HttpError.of(504, ErrorCode.COORDINATOR_UNAVAILABLE, 'the coordinator did not answer in time');
  }
  if (status === 500) return HttpError.of(500, ErrorCode.INTERNAL, 'internal error');
  return HttpError.of(status, code || ErrorCode.INTERNAL, err.details, field === undefined ? null : String(field));
}
