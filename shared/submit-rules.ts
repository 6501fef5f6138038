/**
 * The rules a request must meet (a Submit, a List page size), shared by the gateway (REST) and the coordinator
 * (gRPC) so that both refuse the same input with the same words. Values arrive either as JSON numbers (REST) or as decimal
 * strings (gRPC int64 fields): both are checked exactly, without float rounding.
 */
import { ErrorCode, type FieldViolation } from './errors.js';

/** Largest seed: 2^53 - 1, so it survives a round trip through JSON numbers. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** Smallest chunk a request may ask for; smaller chunks only add overhead. */
export const MIN_CHUNK_SIZE = 1_000;
/** Largest chunk: a chunk's hit count must fit the kernel's unsigned 32-bit counter (its MAX_CHUNK_POINTS; kernel.test.ts). */
export const MAX_CHUNK_SIZE = 4_294_967_295;

/** Server-side limits (configurable, see the README). */
export interface SubmitLimits {
  /** Largest `points` accepted. @default 10^13 */
  readonly maxPoints: number;
  /** Largest number of chunks one calculation may have. @default 1,000,000 */
  readonly maxChunks: number;
  /** Chunk size used when the request names none. @default 2,000,000,000 */
  readonly defaultChunkSize: number;
}

export type Mode = 'single' | 'distributed';
export const MODES: readonly Mode[] = ['single', 'distributed'];

/** A request after validation: every field resolved. `seed` is undefined when the server must choose one. */
export interface ValidSubmit {
  readonly points: number;
  readonly mode: Mode;
  readonly seed: number | undefined;
  readonly chunkSize: number;
}

type Raw = unknown;

/** Parses an exact non-negative integer from a JSON number or a decimal string; null when it is neither. */
function exactInteger(v: Raw): bigint | null {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return null;
}

function describe(v: Raw): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return String(v);
  return `a value of type ${typeof v}`;
}

function checkInteger(
  field: string,
  code: ErrorCode,
  v: Raw,
  min: bigint,
  max: bigint,
  acceptStrings: boolean,
): { value: number } | FieldViolation {
  const rule = `${field} must be an integer from ${min} to ${max}`;
  if (typeof v === 'string' && !acceptStrings) {
    return { field, code, message: `${rule}; got ${describe(v)} (a string is not a number)` };
  }
  const n = exactInteger(v);
  if (n === null) return { field, code, message: `${rule}; got ${describe(v)}` };
  if (n < min || n > max) return { field, code, message: `${rule}; got ${n}` };
  return { value: Number(n) };
}

/**
 * Validates a submit request. `acceptStrings` is true for gRPC, whose int64 fields arrive as strings, and false
 * for REST, where "points": "100" is refused (a string is not a number).
 * Returns every violation, not just the first.
 */
export function validateSubmit(
  input: { points?: Raw; mode?: Raw; seed?: Raw; chunkSize?: Raw },
  limits: SubmitLimits,
  opts: { acceptStrings: boolean; chunkSizeField?: string },
): { ok: true; value: ValidSubmit } | { ok: false; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const chunkField = opts.chunkSizeField ?? 'chunk_size';

  let points = 0;
  if (input.points === undefined || input.points === null) {
    violations.push({
      field: 'points',
      code: ErrorCode.INVALID_POINTS,
      message: `points is required: an integer from 1 to ${limits.maxPoints}`,
    });
  } else {
    const r = checkInteger('points', ErrorCode.INVALID_POINTS, input.points, 1n, BigInt(limits.maxPoints), opts.acceptStrings);
    if ('value' in r) points = r.value;
    else violations.push(r);
  }

  let mode: Mode = 'distributed';
  if (input.mode !== undefined && input.mode !== null) {
    if (typeof input.mode !== 'string' || !(MODES as readonly string[]).includes(input.mode)) {
      violations.push({
        field: 'mode',
        code: ErrorCode.INVALID_MODE,
        message: `mode must be one of "single", "distributed"; got ${describe(input.mode)}`,
      });
    } else mode = input.mode as Mode;
  }

  let seed: number | undefined;
  if (input.seed !== undefined && input.seed !== null) {
    const r = checkInteger('seed', ErrorCode.INVALID_SEED, input.seed, 0n, BigInt(MAX_SEED), opts.acceptStrings);
    if ('value' in r) seed = r.value;
    else violations.push(r);
  }

  let chunkSize = limits.defaultChunkSize;
  if (input.chunkSize !== undefined && input.chunkSize !== null) {
    const r = checkInteger(
      chunkField,
      ErrorCode.INVALID_CHUNK_SIZE,
      input.chunkSize,
      BigInt(MIN_CHUNK_SIZE),
      BigInt(MAX_CHUNK_SIZE),
      opts.acceptStrings,
    );
    if ('value' in r) chunkSize = r.value;
    else violations.push(r);
  }

  if (violations.length === 0 && points > 0) {
    const chunks = Math.ceil(points / chunkSize);
    if (chunks > limits.maxChunks) {
      violations.push({
        field: input.chunkSize === undefined || input.chunkSize === null ? 'points' : chunkField,
        code: ErrorCode.TOO_MANY_CHUNKS,
        message: `points / ${chunkField} must give at most ${limits.maxChunks} chunks; ${points} points in chunks of ${chunkSize} give ${chunks}`,
      });
    }
  }
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, value: { points, mode, seed, chunkSize } };
}

/** Fields a REST submit body may have. */
export const SUBMIT_FIELDS = ['points', 'mode', 'seed', 'chunk_size'] as const;

/**
 * JSON-level checks the REST gateway makes before a request goes to the coordinator (which then applies the
 * range rules above): the body is an object, has no unknown fields, and numbers are whole JSON numbers - not
 * strings, not fractions, not beyond 2^53 - 1 where JSON stops being exact.
 */
export function checkJsonSubmitBody(body: unknown): FieldViolation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [
      {
        field: 'body',
        code: ErrorCode.INVALID_BODY,
        message: `the body must be a JSON object like {"points": 1000000, "mode": "distributed"}; got ${describe(body)}`,
      },
    ];
  }
  const violations: FieldViolation[] = [];
  for (const key of Object.keys(body)) {
    if (!(SUBMIT_FIELDS as readonly string[]).includes(key)) {
      violations.push({
        field: key,
        code: ErrorCode.UNKNOWN_FIELD,
        message: `unknown field ${JSON.stringify(key)}; allowed: ${SUBMIT_FIELDS.join(', ')}`,
      });
    }
  }
  const codes: Record<string, ErrorCode> = {
    points: ErrorCode.INVALID_POINTS,
    seed: ErrorCode.INVALID_SEED,
    chunk_size: ErrorCode.INVALID_CHUNK_SIZE,
  };
  for (const [field, code] of Object.entries(codes)) {
    const v = (body as Record<string, unknown>)[field];
    if (v === undefined || (v === null && field !== 'points')) continue;
    if (typeof v === 'number' && Number.isSafeInteger(v)) continue;
    const why = typeof v === 'string' ? ' (a string is not a number)' : '';
    violations.push({
      field,
      code,
      message: `${field} must be a whole JSON number of at most ${Number.MAX_SAFE_INTEGER}; got ${describe(v)}${why}`,
    });
  }
  const mode = (body as Record<string, unknown>).mode;
  if (mode !== undefined && mode !== null && !(typeof mode === 'string' && (MODES as readonly string[]).includes(mode))) {
    violations.push({
      field: 'mode',
      code: ErrorCode.INVALID_MODE,
      message: `mode must be one of "single", "distributed"; got ${describe(mode)}`,
    });
  }
  return violations;
}

/** Calculations per List page when the request names no page size. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest List page. */
export const MAX_PAGE_SIZE = 500;

/**
 * The `page_size` of List: absent means {@link DEFAULT_PAGE_SIZE}, else an integer from 1 to {@link MAX_PAGE_SIZE}.
 * gRPC passes a number (0, proto3's default, is absent); REST passes the query string as it came.
 */
export function checkPageSize(raw: number | string | undefined): { value: number } | FieldViolation {
  if (raw === undefined) return { value: DEFAULT_PAGE_SIZE };
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE) return { value: n };
  return {
    field: 'page_size',
    code: ErrorCode.INVALID_PAGE_SIZE,
    message: `page_size must be an integer from 1 to ${MAX_PAGE_SIZE} (absent: ${DEFAULT_PAGE_SIZE}); got ${describe(raw)}`,
  };
}
