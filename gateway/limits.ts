/**
 * The gateway's own bounds: a per-client rate limit on writes (submit, cancel) and caps on open event streams (SSE),
 * for all clients of this gateway process and per client. A client is the request's principal (its token, else its
 * address). The coordinator bounds the rest (calculations queued + running, queued points, Watch streams).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EnvReader } from '../shared/config.js';
import { ErrorCode } from '../shared/errors.js';
import { accessOf, principalOf } from './auth.js';
import { HttpError } from './http-errors.js';

export interface GatewayLimits {
  /** Writes per client per window. @default 60 */
  readonly rateLimitMax: number;
  /** @default 60000 ms */
  readonly rateLimitWindowMs: number;
  /** Open event streams on this gateway. @default 500 */
  readonly maxEventStreams: number;
  /** Open event streams per client on this gateway. @default 20 */
  readonly maxEventStreamsPerClient: number;
}

export function readGatewayLimits(r: EnvReader): GatewayLimits {
  return {
    rateLimitMax: r.int('PIGRID_RATE_LIMIT_MAX', 60, 1, 1_000_000),
    rateLimitWindowMs: r.int('PIGRID_RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    maxEventStreams: r.int('PIGRID_MAX_EVENT_STREAMS', 500, 1, 1_000_000),
    maxEventStreamsPerClient: r.int('PIGRID_MAX_EVENT_STREAMS_PER_CLIENT', 20, 1, 1_000_000),
  };
}

/** Methods that never write: a route with only these gets no rate-limit hook. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Rate limit on writes, keyed by principal (the auth hook runs first: the limit applies in preHandler). A route whose
 * methods only read is left out (`config.rateLimit: false`): every request to it would be allow-listed anyway, after
 * an async key, allow-list and route look-up per request (docs/performance.md "REST").
 */
export function registerRateLimit(app: FastifyInstance, limits: GatewayLimits): void {
  // Before the plugin's own onRoute hook, which reads the flag.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((m) => READ_METHODS.has(m)) && route.config?.rateLimit === undefined) {
      route.config = { ...route.config, rateLimit: false };
    }
  });
  void app.register(rateLimit, {
    hook: 'preHandler',
    max: limits.rateLimitMax,
    timeWindow: limits.rateLimitWindowMs,
    keyGenerator: (request: FastifyRequest) => principalOf(request),
    allowList: (request: FastifyRequest) => accessOf(request) !== 'write',
    errorResponseBuilder: (_request, context) => {
      const err = HttpError.of(
        429,
        ErrorCode.RATE_LIMITED,
        `at most ${context.max} submissions and cancels per ${Math.round(limits.rateLimitWindowMs / 1000)} s per client; retry in ${context.after}`,
      );
      err.headers['retry-after'] = String(Math.max(1, Math.ceil(context.ttl / 1000)));
      return err;
    },
  });
}

/** Counts open event streams; `open` throws TOO_MANY_STREAMS (429) past a cap. */
export class StreamLimits {
  private readonly limits: GatewayLimits;
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(limits: GatewayLimits) {
    this.limits = limits;
  }

  /** Opens a stream for `client`; call the returned function once when it closes. */
  open(client: string): () => void {
    const mine = this.perClient.get(client) ?? 0;
    if (this.total >= this.limits.maxEventStreams) {
      throw HttpError.of(
        429,
        ErrorCode.TOO_MANY_STREAMS,
        `this gateway has ${this.total} event streams open (at most ${this.limits.maxEventStreams}); retry later or poll GET /api/calculate/{id}`,
      );
    }
    if (mine >= this.limits.maxEventStreamsPerClient) {
      throw HttpError.of(
        429,
        ErrorCode.TOO_MANY_STREAMS,
        `you have ${mine} event streams open (at most ${this.limits.maxEventStreamsPerClient} per client); close one first`,
      );
    }
    this.total += 1;
    this.perClient.set(client, mine + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.total -= 1;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
    };
  }
}
