/**
 * The kernel's errors and input validation. Their codes are pigrid's (shared/errors.ts, docs/errors.md):
 *
 * | code                   | meaning                                                        |
 * |------------------------|----------------------------------------------------------------|
 * | `KERNEL_INVALID_INPUT` | seed, chunkIndex or points out of range (a `RangeError`)       |
 * | `KERNEL_ABORTED`       | the caller's `shouldStop()` returned true between pieces       |
 * | `KERNEL_ERROR`         | anything else that went wrong while computing a chunk          |
 *
 * A worker reports them as the code of a failed chunk on the Work stream.
 */
import { ErrorCode } from '../shared/errors.js';
import { MAX_CHUNK_INDEX, MAX_CHUNK_POINTS, MAX_SEED } from './stream-spec.js';

/** The kernel's codes in pigrid's catalogue. */
export const KernelErrorCode = {
  INVALID_INPUT: ErrorCode.KERNEL_INVALID_INPUT,
  ABORTED: ErrorCode.KERNEL_ABORTED,
  ERROR: ErrorCode.KERNEL_ERROR,
} as const;
/** One of {@link KernelErrorCode}'s values. */
export type KernelErrorCodeValue = (typeof KernelErrorCode)[keyof typeof KernelErrorCode];

/** An Error carrying one of the kernel's stable codes. */
export type CodedError = Error & { code: KernelErrorCodeValue };

/** Builds an error with a stable `code`; invalid input is a `RangeError`. */
export function kernelError(code: KernelErrorCodeValue, message: string): CodedError {
  const error = (code === KernelErrorCode.INVALID_INPUT ? new RangeError(message) : new Error(message)) as CodedError;
  error.code = code;
  return error;
}

/**
 * Throws a `RangeError` with code `KERNEL_INVALID_INPUT` unless seed is in 0..2^64-1,
 * chunkIndex an integer in 0..2^32-1 and points an integer in 1..MAX_CHUNK_POINTS.
 * Every problem is reported in one message.
 */
export function validateChunkInput(seed: bigint, chunkIndex: number, points: number): void {
  const problems: string[] = [];
  if (typeof seed !== 'bigint' || seed < 0n || seed > MAX_SEED) {
    problems.push(`seed must be a bigint in 0..2^64-1 (got ${String(seed)})`);
  }
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex > MAX_CHUNK_INDEX) {
    problems.push(`chunkIndex must be an integer in 0..${MAX_CHUNK_INDEX} (got ${String(chunkIndex)})`);
  }
  if (!Number.isInteger(points) || points < 1 || points > MAX_CHUNK_POINTS) {
    problems.push(`points must be an integer in 1..${MAX_CHUNK_POINTS} (got ${String(points)})`);
  }
  if (problems.length > 0) throw kernelError(KernelErrorCode.INVALID_INPUT, problems.join('; '));
}

/**
 * The shape in which a kernel error crosses a thread boundary. Node 20's structured clone
 * keeps only `name`, `message` and `stack` of an Error instance and drops `code`, so the pool
 * task throws this plain object instead (no stack: it is never sent over the wire).
 */
export interface SerializedKernelError {
  readonly name: string;
  readonly message: string;
  readonly code: KernelErrorCodeValue;
}

/**
 * Converts anything thrown while computing a chunk to a {@link SerializedKernelError}:
 * known kernel codes are kept, everything else becomes `KERNEL_ERROR`.
 */
export function serializeKernelError(error: unknown): SerializedKernelError {
  const code = (error as { code?: unknown } | null)?.code;
  const known = Object.values(KernelErrorCode) as unknown[];
  const isError = error instanceof Error;
  return {
    name: isError ? error.name : 'Error',
    message: isError ? error.message : String(error),
    code: known.includes(code) ? (code as KernelErrorCodeValue) : KernelErrorCode.ERROR,
  };
}

/** True for a value shaped like a {@link SerializedKernelError} (e.g. a rejected pool task). */
export function isSerializedKernelError(value: unknown): value is SerializedKernelError {
  const v = value as Partial<SerializedKernelError> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.message === 'string' &&
    typeof v.code === 'string' &&
    (Object.values(KernelErrorCode) as string[]).includes(v.code)
  );
}

/** Rebuilds a coded Error (a `RangeError` for invalid input) from its serialized form. */
export function rebuildKernelError(serialized: SerializedKernelError): CodedError {
  return kernelError(serialized.code, serialized.message);
}
