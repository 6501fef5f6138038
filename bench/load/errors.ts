/**
 * How the load benchmark counts failed requests. They never crash a run: they become blank cells and are counted
 * in {@link ErrorTally}, reported in `summary.json` under `errors`. (Bad options are pigrid's INVALID_CONFIG.)
 */

/** Stable error codes, each with the description that README.md repeats (see load-bench-errors.test.ts). */
export const LOAD_BENCH_ERROR_CODES = {
  REQUEST_TIMEOUT: 'A request got no answer within its timeout.',
  NETWORK_ERROR: 'The connection failed (refused, reset, DNS).',
  HTTP_ERROR: 'The gateway answered with a non-2xx status (counted per status in byHttpStatus).',
  BAD_RESPONSE: 'The body was not JSON of the shape the contract describes.',
  ABORTED: 'The run was stopped by its signal; requests cut short by it are not counted.',
} as const;

/** One of {@link LOAD_BENCH_ERROR_CODES}. */
export type LoadBenchErrorCode = keyof typeof LOAD_BENCH_ERROR_CODES;

/** The API a failed request was made to. */
export type Endpoint = 'submit' | 'poll' | 'cancel' | 'status' | 'metrics';

/** An error as recorded in the summary. `t_s` is seconds since the run started. */
export interface ErrorExample {
  t_s: number;
  endpoint: Endpoint;
  code: LoadBenchErrorCode;
  status: number | null;
  message: string;
}

/** `summary.errors`. */
export interface ErrorSummary {
  total: number;
  byEndpoint: Record<Endpoint, number>;
  byCode: Partial<Record<LoadBenchErrorCode, number>>;
  byHttpStatus: Record<string, number>;
  /** The first {@link MAX_ERROR_EXAMPLES} errors. */
  examples: ErrorExample[];
}

/** How many errors are kept verbatim in `summary.errors.examples`. */
export const MAX_ERROR_EXAMPLES = 20;

/** Counts request errors by endpoint, code and HTTP status; `ABORTED` is ignored. */
export class ErrorTally {
  private readonly summary: ErrorSummary = {
    total: 0,
    byEndpoint: { submit: 0, poll: 0, cancel: 0, status: 0, metrics: 0 },
    byCode: {},
    byHttpStatus: {},
    examples: [],
  };

  /** Records one failed request. */
  record(error: ErrorExample): void {
    if (error.code === 'ABORTED') return;
    const s = this.summary;
    s.total++;
    s.byEndpoint[error.endpoint]++;
    s.byCode[error.code] = (s.byCode[error.code] ?? 0) + 1;
    if (error.status !== null) s.byHttpStatus[String(error.status)] = (s.byHttpStatus[String(error.status)] ?? 0) + 1;
    if (s.examples.length < MAX_ERROR_EXAMPLES) s.examples.push(error);
  }

  /** A deep copy of the counts so far. */
  toJSON(): ErrorSummary {
    return structuredClone(this.summary);
  }
}
