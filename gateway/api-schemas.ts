/**
 * JSON Schemas of the REST API, for the OpenAPI document (gateway/openapi.ts) and nothing else: requests are checked by
 * the shared hand-written rules (shared/submit-rules.ts), so REST and gRPC refuse the same input with the same words,
 * and these routes' answers are serialised with JSON.stringify. The schemas say what those rules and types say; the OpenAPI test
 * (test/integration/openapi-docs.test.ts) checks them against real answers.
 */
import { ErrorCode } from '../shared/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_CHUNK_SIZE, MAX_PAGE_SIZE, MAX_SEED, MIN_CHUNK_SIZE, MODES } from '../shared/submit-rules.js';

const nullable = (type: 'string' | 'number' | 'integer') => ({ type: [type, 'null'] }) as const;
const count = (description: string) => ({ type: 'integer', minimum: 0, description }) as const;

/** Error codes a client can receive (docs/errors.md), so the document lists the catalogue. */
const CLIENT_CODES = Object.values(ErrorCode).filter(
  (c) =>
    ![
      ErrorCode.RESULT_MISMATCH,
      ErrorCode.CHUNK_FAILED,
      ErrorCode.CANCELLED_BY_CLIENT,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.DNS_LOOKUP_FAILED,
      ErrorCode.LEASE_RETURNED,
      ErrorCode.KERNEL_INVALID_INPUT,
      ErrorCode.KERNEL_ABORTED,
      ErrorCode.KERNEL_ERROR,
    ].includes(c as never),
);

const violation = {
  type: 'object',
  required: ['field', 'code', 'message'],
  properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
} as const;

/** `{"error": {"code", "message", "field"}}`: every REST error (gateway/http-errors.ts, gateway/framework-errors.ts). */
export const errorSchema = {
  $id: 'Error',
  title: 'Error',
  description: 'Every REST error, Fastify’s own refusals included. The codes and their meaning: docs/errors.md.',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'field'],
      properties: {
        code: { type: 'string', description: 'A stable code from the catalogue.', examples: CLIENT_CODES },
        message: { type: 'string', description: 'Names the field and the rule; quotes at most 40 characters of input.' },
        field: { ...nullable('string'), description: 'The offending field (`body` for the body as a whole), else null.' },
        violations: { type: 'array', items: violation, description: 'Every broken rule, when a submit body breaks several.' },
      },
    },
  },
  examples: [{ error: { code: 'INVALID_POINTS', message: 'points must be an integer from 1 to 10000000000000; got 0', field: 'points' } }],
} as const;

/** A calculation as REST shows it (gateway/calculation-json.ts). */
export const calculationSchema = {
  $id: 'Calculation',
  title: 'Calculation',
  type: 'object',
  required: [
    'id',
    'status',
    'mode',
    'points',
    'points_done',
    'progress',
    'inside',
    'result_pi',
    'std_error',
    'seed',
    'chunk_size',
    'chunk_count',
    'chunks_done',
    'chunks_released',
    'duplicate_results',
    'chunks_verified',
    'chunks_recomputed',
    'verified_by',
    'created_at',
    'started_at',
    'finished_at',
    'duration_ms',
    'error',
    'error_code',
  ],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] },
    mode: { type: 'string', enum: [...MODES] },
    points: { type: 'integer', minimum: 1 },
    points_done: count('Points computed and counted so far.'),
    progress: { type: 'number', minimum: 0, maximum: 1, description: 'points_done / points.' },
    inside: count('Points that fell inside the quarter circle so far.'),
    result_pi: { ...nullable('number'), description: '4 · inside / points, once completed.' },
    std_error: { ...nullable('number'), description: 'Standard error of result_pi, once completed.' },
    seed: { type: 'integer', minimum: 0, maximum: MAX_SEED },
    chunk_size: { type: 'integer', minimum: MIN_CHUNK_SIZE, maximum: MAX_CHUNK_SIZE },
    chunk_count: count('Chunks the points are split into.'),
    chunks_done: count('Chunks counted.'),
    chunks_released: count('Leases that ended without a result (a worker left or failed) and were leased again.'),
    duplicate_results: count('Results of a chunk that was already counted (ignored).'),
    chunks_verified: count('Chunks a second, independent computation confirmed.'),
    chunks_recomputed: count('Chunks computed again because their worker was quarantined.'),
    verified_by: {
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 0 },
      description: 'Verifying worker id → chunks it confirmed.',
    },
    created_at: { type: 'string', format: 'date-time' },
    started_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    duration_ms: { ...nullable('integer'), description: 'From start to end, once ended.' },
    error: { ...nullable('string'), description: 'Why it failed or was cancelled.' },
    error_code: { ...nullable('string'), description: 'RESULT_MISMATCH, CHUNK_FAILED or CANCELLED_BY_CLIENT (docs/errors.md).' },
  },
} as const;

/** Every shared schema, added with `app.addSchema` and shown under `components.schemas`. */
export const SHARED_SCHEMAS = [errorSchema, calculationSchema] as const;

const ref = (id: 'Error' | 'Calculation') => ({ $ref: `${id}#` }) as const;

/** A response of the shared error body, with the codes that can come with it. */
export function errorResponse(description: string, codes: readonly ErrorCode[], headers?: Record<string, unknown>) {
  return { description: `${description} (${codes.map((c) => `\`${c}\``).join(', ')})`, ...(headers ? { headers } : {}), ...ref('Error') };
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 100, description: 'A calculation id, as returned by a submit.' } },
} as const;

const calculationResponse = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  ...ref('Calculation'),
});

const notFound = errorResponse('No calculation has that id', [ErrorCode.CALCULATION_NOT_FOUND]);
const idTooLong = errorResponse('The id is longer than 100 characters', [ErrorCode.INVALID_ID]);

/** `POST /api/calculate`. */
export const submitSchema = {
  summary: 'Submit a calculation',
  description:
    'Starts a Monte Carlo estimate of π over `points` random points. Numbers must be JSON numbers (a string is not a ' +
    'number, nothing is coerced), the body a JSON object of at most 16 KiB with no other fields. The coordinator ' +
    `also refuses \`points\` above PIGRID_MAX_POINTS (default 10^13) and more than PIGRID_MAX_CHUNKS (default 10^6) chunks.`,
  tags: ['calculations'],
  body: {
    type: 'object',
    required: ['points'],
    additionalProperties: false,
    properties: {
      points: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Random points to draw.' },
      mode: {
        type: ['string', 'null'],
        enum: [...MODES, null],
        default: 'distributed',
        description: '`distributed`: chunks spread over the workers; `single`: one thread on the coordinator.',
      },
      seed: {
        type: ['integer', 'null'],
        minimum: 0,
        maximum: MAX_SEED,
        description: 'Fixes the random stream: the same seed and points give the same answer. Absent: one is chosen.',
      },
      chunk_size: {
        type: ['integer', 'null'],
        minimum: MIN_CHUNK_SIZE,
        maximum: MAX_CHUNK_SIZE,
        description: 'Points per chunk (a unit of work). Absent: PIGRID_CHUNK_SIZE (default 2·10^9).',
      },
    },
    examples: [{ points: 200_000_000, mode: 'distributed', seed: 31415, chunk_size: 20_000_000 }],
  },
  response: {
    202: calculationResponse('Accepted: the calculation as stored, `queued` or already `running`', {
      location: { type: 'string', description: 'Where to follow it: /api/calculate/{id}' },
    }),
    400: errorResponse('The body breaks a rule; `violations` lists every one', [
      ErrorCode.INVALID_BODY,
      ErrorCode.UNKNOWN_FIELD,
      ErrorCode.INVALID_POINTS,
      ErrorCode.INVALID_MODE,
      ErrorCode.INVALID_SEED,
      ErrorCode.INVALID_CHUNK_SIZE,
      ErrorCode.TOO_MANY_CHUNKS,
    ]),
    413: errorResponse('The body is larger than 16 KiB', [ErrorCode.INVALID_BODY]),
    415: errorResponse('The body is not application/json', [ErrorCode.INVALID_BODY]),
    429: errorResponse('The coordinator’s caps on calculations queued or running, or on queued points, are reached', [
      ErrorCode.TOO_MANY_CALCULATIONS,
      ErrorCode.TOO_MANY_QUEUED_POINTS,
    ]),
  },
} as const;

/** `GET /api/calculate/{id}`. */
export const getSchema = {
  summary: 'Get a calculation',
  description:
    'An ended calculation never changes: it comes with a strong ETag and `Cache-Control: public, max-age=31536000, ' +
    'immutable`; a running one with `no-cache` and an ETag that changes with it.',
  tags: ['calculations'],
  params: idParams,
  headers: {
    type: 'object',
    properties: { 'if-none-match': { type: 'string', description: 'An ETag from an earlier answer: 304 if unchanged.' } },
  },
  response: {
    200: calculationResponse('The calculation', {
      etag: { type: 'string' },
      'cache-control': { type: 'string' },
    }),
    304: { description: 'Not modified: the If-None-Match ETag is current', type: 'null' },
    404: notFound,
    414: idTooLong,
  },
} as const;

/** `GET /api/calculate`. */
export const listSchema = {
  summary: 'List calculations, newest first',
  tags: ['calculations'],
  querystring: {
    type: 'object',
    properties: {
      page_size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      page_token: { type: 'string', description: 'The `next_page_token` of the previous page.' },
    },
  },
  response: {
    200: {
      description: 'One page',
      type: 'object',
      required: ['calculations', 'next_page_token'],
      properties: {
        calculations: { type: 'array', items: ref('Calculation') },
        next_page_token: { ...nullable('string'), description: 'Null on the last page.' },
      },
    },
    400: errorResponse('A bad page size or token', [ErrorCode.INVALID_PAGE_SIZE, ErrorCode.INVALID_PAGE_TOKEN]),
  },
} as const;

/** `POST /api/calculate/{id}/cancel`. */
export const cancelSchema = {
  summary: 'Cancel a calculation',
  description: 'Stops it and keeps its partial progress (`error_code: CANCELLED_BY_CLIENT`); an ended one is returned as it is.',
  tags: ['calculations'],
  params: idParams,
  response: { 200: calculationResponse('The calculation, `cancelled` unless it had already ended'), 404: notFound, 414: idTooLong },
} as const;

/** `GET /api/calculate/{id}/events`. */
export const eventsSchema = {
  summary: 'Follow a calculation live (Server-Sent Events)',
  description:
    '`event: progress` with the calculation as `data:` at once and on every change, then one `event: end` with the ' +
    'final state, or `event: error` with an error body. A comment line every 15 s keeps proxies from closing it. ' +
    'Use `curl -N` or `EventSource`; Swagger UI shows it only once the stream has ended.',
  tags: ['calculations'],
  params: idParams,
  response: {
    200: {
      description: 'The event stream',
      content: {
        'text/event-stream': {
          schema: { type: 'string', examples: ['event: progress\ndata: {"id":"…","status":"running",…}\n\n'] },
        },
      },
    },
    404: notFound,
    414: idTooLong,
    429: errorResponse('Too many event streams open on this gateway, or for this client', [ErrorCode.TOO_MANY_STREAMS]),
  },
} as const;

const statusBody = (status: string, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: ['status', ...Object.keys(extra)],
  properties: { status: { type: 'string', enum: [status] }, ...extra },
});

/** `GET /healthz`. */
export const healthzSchema = {
  summary: 'Liveness: the gateway process answers',
  tags: ['operations'],
  response: { 200: { description: 'Alive', ...statusBody('ok') } },
} as const;

/** `GET /readyz`. */
export const readyzSchema = {
  summary: 'Readiness: the coordinator answers within a second',
  tags: ['operations'],
  response: {
    200: { description: 'Ready', ...statusBody('ready') },
    503: { description: 'Not ready', ...statusBody('not ready', { reason: { type: 'string' } }) },
  },
} as const;

/** `GET /metrics`. */
export const metricsSchema = {
  summary: 'Prometheus metrics of this gateway',
  tags: ['operations'],
  response: {
    200: {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
} as const;

/** `GET /openapi.json`. */
export const openapiSchema = {
  summary: 'This document (OpenAPI 3.1); the UI is at /docs',
  tags: ['operations'],
  response: { 200: { description: 'The OpenAPI document', type: 'object', additionalProperties: true } },
} as const;

/** A file of the dashboard. */
export function dashboardAssetSchema(path: string, type: string) {
  const what = path === '/' ? 'The live dashboard page' : `A file of the dashboard (${path.split('/').pop()})`;
  return {
    summary: what,
    tags: ['dashboard'],
    response: { 200: { description: what, content: { [type.split(';')[0]]: { schema: { type: 'string' } } } } },
  } as const;
}
