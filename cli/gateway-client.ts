/**
 * The CLI's view of the gateway's REST API (README "REST API"): JSON requests with a deadline, errors turned into
 * {@link CliError}s with the gateway's own message, and the Server-Sent Events progress stream.
 */
import type { CalculationJson } from '../gateway/calculation-json.js';
import { CliError, ExitCode } from './exit-codes.js';

export type { CalculationJson };

export interface SubmitBody {
  points: number;
  mode?: 'single' | 'distributed';
  seed?: number;
  chunk_size?: number;
}

export interface CalculationPage {
  calculations: CalculationJson[];
  next_page_token: string | null;
}

/** What `GET /api/k8s/status` answers (only the parts the CLI shows). */
export interface ClusterStatusJson {
  in_cluster: boolean;
  namespace?: string | null;
  hpas?: {
    name: string;
    current_replicas: number | null;
    desired_replicas: number | null;
    min_replicas: number | null;
    max_replicas: number;
    current_cpu_utilization?: number | null;
    target_cpu_utilization?: number | null;
  }[];
  pods?: Record<string, { name: string; phase: string; ready: boolean; restarts: number }[]>;
  coordinator:
    | {
        workers: {
          id: string;
          address: string;
          capacity: number;
          in_flight: number;
          state: string;
          chunks_completed: number;
          chunks_verified: number;
          credits: number;
        }[];
        quarantined: { worker_id: string; reason: string; quarantined_at: string }[];
        total_capacity: number;
        leases_in_flight: number;
        backlog_chunks: number;
        active_calculations: number;
        single_mode_threads: number;
        error?: undefined;
      }
    | { error: { code: string; message: string } };
  errors?: { source: string; code: string; message: string }[];
}

/** The reason behind a failed fetch, in words a user can act on. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'it did not answer in time';
  const code = e?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
    default:
      return e?.cause?.message ?? e?.message ?? String(err);
  }
}

/** `Authorization: Bearer $PIGRID_TOKEN` when the gateway wants an API token (docs/security.md). */
function tokenHeaders(): Record<string, string> {
  const token = process.env.PIGRID_TOKEN?.trim();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export class GatewayClient {
  readonly base: string;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--url ${JSON.stringify(url)} is not a URL; expected something like http://127.0.0.1:8080`, ExitCode.USAGE);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CliError(`--url must be http:// or https://; got ${JSON.stringify(url)}`, ExitCode.USAGE);
    }
    this.base = parsed.href.replace(/\/+$/, '');
  }

  unreachable(err: unknown): CliError {
    return new CliError(
      `cannot reach the gateway at ${this.base}: ${networkReason(err)}. Is pigrid running (npm start)? Point --url or PIGRID_URL at its gateway.`,
      ExitCode.UNREACHABLE,
    );
  }

  /** The gateway's error answer as a CliError: its message, its code, 4 for 4xx and 5 for 5xx. */
  private refused(status: number, text: string): CliError {
    let message = text.trim().slice(0, 500) || `HTTP ${status}`;
    let code: string | undefined;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.message) message = body.error.message;
      code = body.error?.code;
    } catch {
      // not JSON (a proxy's page): keep the text
    }
    const what = status >= 500 ? 'the gateway failed' : 'the gateway refused';
    return new CliError(
      `${what} (HTTP ${status}${code ? ` ${code}` : ''}): ${message}`,
      status >= 500 ? ExitCode.SERVER_ERROR : ExitCode.REFUSED,
      code,
    );
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          ...tokenHeaders(),
          ...(body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.unreachable(err);
    }
    if (!res.ok) throw this.refused(res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `the gateway at ${this.base} answered ${path} with something that is not JSON; is --url a pigrid gateway?`,
        ExitCode.SERVER_ERROR,
      );
    }
  }

  submit(body: SubmitBody): Promise<CalculationJson> {
    return this.request('POST', '/api/calculate', body);
  }
  get(id: string): Promise<CalculationJson> {
    return this.request('GET', `/api/calculate/${encodeURIComponent(id)}`);
  }
  cancel(id: string): Promise<CalculationJson> {
    return this.request('POST', `/api/calculate/${encodeURIComponent(id)}/cancel`);
  }
  list(pageSize?: number, pageToken?: string): Promise<CalculationPage> {
    const q = new URLSearchParams();
    if (pageSize !== undefined) q.set('page_size', String(pageSize));
    if (pageToken) q.set('page_token', pageToken);
    const qs = q.toString();
    return this.request('GET', `/api/calculate${qs ? `?${qs}` : ''}`);
  }
  status(): Promise<ClusterStatusJson> {
    return this.request('GET', '/api/k8s/status');
  }

  /**
   * Follows `GET /api/calculate/{id}/events` until its `end` event and returns the final calculation. Calls
   * `onProgress` with every snapshot. A stream that breaks (gateway restart, coordinator unavailable) is opened
   * again, for up to `retryForMs` without any event; a refusal (unknown id) is thrown at once.
   */
  async follow(id: string, onProgress: (c: CalculationJson) => void, retryForMs = 30_000): Promise<CalculationJson> {
    let lastHeard = Date.now();
    let last: CalculationJson | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const end = await this.followOnce(id, (c) => {
          lastHeard = Date.now();
          last = c;
          onProgress(c);
        });
        if (end) return end;
      } catch (err) {
        if (!(err instanceof CliError) || (err.exitCode !== ExitCode.UNREACHABLE && err.exitCode !== ExitCode.SERVER_ERROR)) throw err;
        if (Date.now() - lastHeard > retryForMs) throw err;
      }
      if (last && ['completed', 'failed', 'cancelled'].includes(last.status)) return last;
      if (Date.now() - lastHeard > retryForMs)
        throw new CliError(`the event stream of ${id} broke and did not come back within ${retryForMs} ms`, ExitCode.UNREACHABLE);
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 2_000)));
    }
  }

  /** One event-stream connection: resolves with the final calculation on `end`, undefined if the stream broke. */
  private async followOnce(id: string, onProgress: (c: CalculationJson) => void): Promise<CalculationJson | undefined> {
    const controller = new AbortController();
    // The deadline covers connecting and the first answer; a stream then lives as long as the calculation.
    const connectTimer = setTimeout(() => controller.abort(new DOMException('connect timeout', 'TimeoutError')), this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/calculate/${encodeURIComponent(id)}/events`, {
        headers: { ...tokenHeaders(), accept: 'text/event-stream' },
        signal: controller.signal,
      });
    } catch (err) {
      throw this.unreachable(controller.signal.reason ?? err);
    } finally {
      clearTimeout(connectTimer);
    }
    if (!res.ok) throw this.refused(res.status, await res.text().catch(() => ''));
    if (!res.body) return undefined;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let sep: number;
        while ((sep = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(buffer.slice(sep).match(/^\r?\n\r?\n/)![0].length + sep);
          const event = parseEvent(block);
          if (!event) continue;
          if (event.name === 'progress') onProgress(JSON.parse(event.data) as CalculationJson);
          else if (event.name === 'end') {
            const final = JSON.parse(event.data) as CalculationJson;
            onProgress(final);
            controller.abort();
            return final;
          } else if (event.name === 'error') {
            controller.abort();
            throw this.refused(503, event.data);
          }
        }
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      return undefined; // the connection broke: the caller reconnects
    }
    return undefined;
  }
}

/** One Server-Sent Event block (`event:` and `data:` lines); comments (keep-alives) give undefined. */
export function parseEvent(block: string): { name: string; data: string } | undefined {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { name, data: data.join('\n') };
}
