/**
 * The gateway REST API as the load benchmark uses it. Every call has a timeout and returns a result
 * value instead of throwing, so a failed request becomes a counted error, never a crash.
 */
import type { LoadBenchErrorCode } from './errors.js';
import { toNumber } from './cluster-snapshot.js';

/** Lifecycle states of a calculation (the gateway's lower-case spelling). */
export type CalculationStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** States after which a calculation never changes. */
export const TERMINAL_STATUSES: ReadonlySet<CalculationStatus> = new Set(['completed', 'failed', 'cancelled']);

/** The fields of the calculation JSON the bench reads. */
export interface CalculationView {
  id: string;
  status: CalculationStatus;
  points: number | null;
  durationMs: number | null;
}

/** Body of `POST /api/calculate`. */
export interface SubmitBody {
  points: number;
  mode: 'single' | 'distributed';
  chunk_size?: number;
}

/** Outcome of one request. `status` is the HTTP status when there was a response. */
export type ApiResult<T> =
  { ok: true; status: number; body: T } | { ok: false; code: LoadBenchErrorCode; status: number | null; message: string };

/** Reads a calculation JSON (status upper- or lower-case, `STATUS_` prefix tolerated); null if it is not one. */
export function parseCalculation(body: unknown): CalculationView | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const id = typeof b.id === 'string' || typeof b.id === 'number' ? String(b.id) : '';
  const status = (typeof b.status === 'string' ? b.status : '').toLowerCase().replace(/^status_/, '') as CalculationStatus;
  if (id === '' || !['queued', 'running', 'completed', 'failed', 'cancelled'].includes(status)) return null;
  return { id, status, points: toNumber(b.points), durationMs: toNumber(b.duration_ms) };
}

/** The calls the bench makes; `signal` cancels a call early (reported as ABORTED). */
export interface GatewayClient {
  submit(body: SubmitBody, signal?: AbortSignal): Promise<ApiResult<CalculationView>>;
  get(id: string, signal?: AbortSignal): Promise<ApiResult<CalculationView>>;
  cancel(id: string, signal?: AbortSignal): Promise<ApiResult<CalculationView | null>>;
  /** `timeoutMs` overrides the probe timeout (the baseline probe is not on the sample clock). */
  k8sStatus(signal?: AbortSignal, timeoutMs?: number): Promise<ApiResult<unknown>>;
  k8sMetrics(signal?: AbortSignal, timeoutMs?: number): Promise<ApiResult<unknown>>;
}

/** Timeouts of a {@link GatewayClient}. */
export interface ClientTimeouts {
  /** Submit, poll and cancel. */
  requestTimeoutMs: number;
  /** `/api/k8s/*` probes; shorter, so a slow probe only blanks one row. */
  probeTimeoutMs: number;
}

/** Extracts `error.code: error.message` from the API's error JSON, else the start of the text. */
function errorText(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e) return `${e.code ?? ''}: ${e.message ?? ''}`;
  } catch {
    /* not JSON: fall through */
  }
  return text.slice(0, 200);
}

/**
 * A client that only ever talks to `baseUrl` (a path prefix in it is kept). Redirects are not
 * followed: a 3xx is an HTTP_ERROR, so the bench cannot be sent to another host.
 */
export function createGatewayClient(baseUrl: string, timeouts: ClientTimeouts): GatewayClient {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');

  async function request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ApiResult<unknown>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const linked = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const what = `${method} ${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(new URL(prefix + path, base.origin), {
        method,
        redirect: 'manual',
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: linked,
      });
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) return { ok: false, code: 'ABORTED', status: null, message: `${what} aborted` };
      if (timeout.aborted) return { ok: false, code: 'REQUEST_TIMEOUT', status: null, message: `${what} timed out after ${timeoutMs} ms` };
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, code: 'NETWORK_ERROR', status: null, message: `${what}: ${cause ?? (err as Error).message}` };
    }
    if (res.status < 200 || res.status > 299) {
      return { ok: false, code: 'HTTP_ERROR', status: res.status, message: `${what} -> ${res.status} ${errorText(text)}` };
    }
    if (text.trim() === '') return { ok: true, status: res.status, body: null };
    try {
      return { ok: true, status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, code: 'BAD_RESPONSE', status: res.status, message: `${what}: body is not JSON` };
    }
  }

  async function calculation(r: Promise<ApiResult<unknown>>, what: string): Promise<ApiResult<CalculationView>> {
    const res = await r;
    if (!res.ok) return res;
    const calc = parseCalculation(res.body);
    return calc
      ? { ok: true, status: res.status, body: calc }
      : { ok: false, code: 'BAD_RESPONSE', status: res.status, message: `${what}: not a calculation` };
  }

  const id = (calcId: string): string => encodeURIComponent(calcId);
  return {
    submit: (body, signal) =>
      calculation(request('POST', '/api/calculate', body, timeouts.requestTimeoutMs, signal), 'POST /api/calculate'),
    get: (calcId, signal) =>
      calculation(request('GET', `/api/calculate/${id(calcId)}`, undefined, timeouts.requestTimeoutMs, signal), 'GET /api/calculate/:id'),
    cancel: async (calcId, signal) => {
      const res = await request('POST', `/api/calculate/${id(calcId)}/cancel`, undefined, timeouts.requestTimeoutMs, signal);
      return res.ok ? { ok: true, status: res.status, body: parseCalculation(res.body) } : res;
    },
    k8sStatus: (signal, timeoutMs) => request('GET', '/api/k8s/status', undefined, timeoutMs ?? timeouts.probeTimeoutMs, signal),
    k8sMetrics: (signal, timeoutMs) => request('GET', '/api/k8s/metrics', undefined, timeoutMs ?? timeouts.probeTimeoutMs, signal),
  };
}
