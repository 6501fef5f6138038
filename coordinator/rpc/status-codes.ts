/**
 * The one table that turns pigrid error codes into gRPC status codes. The code and the field travel in trailing
 * metadata (`pigrid-code`, `pigrid-field`) so the gateway can answer REST clients with the same words.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, PigridError } from '../../shared/errors.js';
import { CODE_METADATA_KEY, FIELD_METADATA_KEY } from '../../shared/wire.js';

const TABLE: Partial<Record<ErrorCode, grpc.status>> = {
  [ErrorCode.INVALID_POINTS]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_MODE]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_SEED]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_CHUNK_SIZE]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.TOO_MANY_CHUNKS]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_ID]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_PAGE_SIZE]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_PAGE_TOKEN]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.CALCULATION_NOT_FOUND]: grpc.status.NOT_FOUND,
  [ErrorCode.COORDINATOR_DRAINING]: grpc.status.UNAVAILABLE,
  [ErrorCode.STORE_UNAVAILABLE]: grpc.status.UNAVAILABLE,
  [ErrorCode.UNAUTHENTICATED]: grpc.status.UNAUTHENTICATED,
  [ErrorCode.FORBIDDEN]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.TOO_MANY_CALCULATIONS]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.TOO_MANY_QUEUED_POINTS]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.TOO_MANY_STREAMS]: grpc.status.RESOURCE_EXHAUSTED,
};

/**
 * A ServiceError for the callback of a unary handler (or stream.destroy). Only the codes in the table are answers;
 * anything else (a bug, an I/O failure, an error meant for the inside of the process) is INTERNAL without details,
 * and the handlers log it with its stack and the call's ids (`answerFor` in calculations-service.ts), which is what
 * "see the coordinator log" points at.
 */
export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  const status = err instanceof PigridError ? TABLE[err.code] : undefined;
  if (err instanceof PigridError && status !== undefined) {
    metadata.set(CODE_METADATA_KEY, err.code);
    if (err.field) metadata.set(FIELD_METADATA_KEY, err.field);
    return { code: status, details: err.message, metadata };
  }
  metadata.set(CODE_METADATA_KEY, ErrorCode.INTERNAL);
  return { code: grpc.status.INTERNAL, details: 'internal error (see the coordinator log)', metadata };
}
