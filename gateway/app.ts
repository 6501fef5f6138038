/**
 * Builds the gateway's Fastify app without listening, so tests can `inject()` or listen on port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiTokens } from '../shared/api-tokens.js';
import { ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { registerAuth } from './auth.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { clientErrorHandler, frameworkErrors, frameworkRefusal, installJsonParser, quote } from './framework-errors.js';
import { HttpError, internalErrorBody } from './http-errors.js';
import type { KubeReader } from './k8s/kube-reader.js';
import { healthzSchema, readyzSchema } from './api-schemas.js';
import { registerMetrics, registerMetricsRoute } from './metrics.js';
import { registerOpenApi, registerOpenApiRoute, serializeWithoutSchema } from './openapi.js';
import { registerCalculationRoutes } from './routes/calculations.js';
import { registerRateLimit, StreamLimits, type GatewayLimits } from './limits.js';
import { RequestLog, requestLogger } from './request-log.js';
import { dashboardHtml, registerDashboard } from './routes/dashboard.js';
import { registerK8sRoutes } from './routes/k8s-routes.js';
import { registerSecurityHeaders } from './security-headers.js';
import { CalculationReads } from './calculation-reads.js';
import { wireAnswer, wirePath, type WireAnswer } from './wire-reads.js';

/** Largest request body accepted. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface GatewayDeps {
  readonly coordinator: CoordinatorClient;
  readonly kube: KubeReader;
  /**
   * Where Fastify and the routes log: a line as each request completes (gateway/request-log.ts), and errors, each with
   * the request id as `reqId` (the id the coordinator is sent as x-request-id). Nothing is logged without one.
   */
  readonly log?: Logger;
  /** API tokens (gateway/auth.ts). @default none: everything open */
  readonly tokens?: ApiTokens;
  /** Rate limit and stream caps (gateway/limits.ts). @default the documented defaults */
  readonly limits?: GatewayLimits;
  /** The request log: a line when a request is answered (gateway/request-log.ts). @default true */
  readonly logRequests?: boolean;
}

const DEFAULT_LIMITS: GatewayLimits = { rateLimitMax: 60, rateLimitWindowMs: 60_000, maxEventStreams: 500, maxEventStreamsPerClient: 20 };
const NO_TOKENS: ApiTokens = { enabled: false, readPolicy: 'open', verify: () => undefined, close: () => {} };

/** Fastify's own request ids (`req-1`, `req-2`, …, base 36), from one counter the wire path shares. */
function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

/** Fastify's keep-alive timeout, which it sets on a server it makes itself (a serverFactory's server gets it here). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export function buildApp(deps: GatewayDeps): FastifyInstance {
  // Typed as Fastify's logger interface, so the app and the route plugins share the default FastifyInstance type.
  const loggerInstance: FastifyBaseLogger | undefined = deps.log;
  const requestLog = new RequestLog(deps.logRequests !== false, loggerInstance);
  const genReqId = requestIds();
  // Fastify's handler until the routes exist; then the wire path in front of it (gateway/wire-reads.ts).
  let handle: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  let fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: false }),
    genReqId,
    serverFactory: (handler) => {
      handle = fastifyHandler = handler;
      const server = createServer((req, res) => handle(req, res));
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
    // One line per request (gateway/request-log.ts); PIGRID_LOG_REQUESTS=false turns them off.
    logController: requestLog,
    // Each request's logger is made when something logs through it (gateway/request-log.ts).
    childLoggerFactory: requestLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Routing and HTTP-parser refusals in our shape, quoting at most a short prefix of the input.
    frameworkErrors,
    clientErrorHandler,
  });
  // JSON only: any other content type is refused with 415 instead of reaching the routes as a string.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const html = dashboardHtml();
  const security = registerSecurityHeaders(app, html);
  registerAuth(app, deps.tokens ?? NO_TOKENS);
  registerRateLimit(app, limits);
  // After the edge hooks (so /docs gets them too), before the routes (gateway/openapi.ts).
  registerOpenApi(app);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) {
        // The coordinator failed or is unreachable: it logs its side; this line ties it to the REST request.
        const fields = { code: err.body.error.code, status: err.status, method: request.method, url: request.url };
        if (err.status === 500) request.log.error({ ...fields, err: err.cause ?? err }, 'coordinator call failed');
        else request.log.warn({ ...fields, err: err.cause ?? err }, 'coordinator unavailable');
      }
      const body = err.body.error.code === ErrorCode.INTERNAL ? internalErrorBody(request.id) : err.body;
      return reply.code(err.status).headers(err.headers).send(body);
    }
    // Fastify's own refusals: wrong content type, body too large, bad Content-Length.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const refusal = frameworkRefusal(err, BODY_LIMIT_BYTES);
      return reply.code(refusal.status).send(refusal.body);
    }
    request.log.error({ method: request.method, url: request.url, err }, 'unexpected error in a REST route');
    return reply.code(500).send(internalErrorBody(request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: ErrorCode.NOT_FOUND, message: `no route ${request.method} ${quote(request.url)}`, field: null } }),
  );

  const metrics = registerMetrics(app);
  const reads = new CalculationReads(deps.coordinator);
  const answers = new WeakMap<object, WireAnswer>();
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const tokens = deps.tokens ?? NO_TOKENS;
  handle = wirePath(
    {
      known: (id) => {
        const served = reads.known(id);
        if (served === undefined) return undefined;
        let answer = answers.get(served);
        if (answer === undefined) answers.set(served, (answer = wireAnswer(security, served)));
        return answer;
      },
      readsOpen: !tokens.enabled || tokens.readPolicy === 'open',
      genReqId,
      latency: metrics.latency,
      log: requestLog,
      closing: () => closing,
    },
    fastifyHandler,
  );
  // Every route is added in a plugin that loads after @fastify/swagger and the rate limit (registered above), so their
  // onRoute hooks see it: a route added to `app` directly here would be missing from /openapi.json and unlimited.
  void app.register(async (documented) => {
    documented.setSerializerCompiler(serializeWithoutSchema);
    documented.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' }));
    documented.get('/readyz', { schema: readyzSchema }, async (_request, reply) => {
      try {
        await deps.coordinator.clusterStatus(1_000);
        return { status: 'ready' };
      } catch {
        return reply.code(503).send({ status: 'not ready', reason: 'the coordinator does not answer' });
      }
    });
    registerMetricsRoute(documented, metrics.registry);
    registerOpenApiRoute(documented);
    registerDashboard(documented);
    registerCalculationRoutes(documented, deps.coordinator, new StreamLimits(limits), metrics.registry, reads);
  });
  // Its own scope: the Kubernetes routes serialise their 200 bodies by their schemas (gateway/k8s/k8s-schemas.ts).
  void app.register(async (k8s) =>
    registerK8sRoutes(k8s, {
      kube: deps.kube,
      clusterView: async (signal) => clusterView(deps, signal),
    }),
  );
  return app;
}

/** The coordinator's view of the pool, as `coordinator` in GET /api/k8s/status. */
async function clusterView(deps: GatewayDeps, signal?: AbortSignal): Promise<unknown> {
  const s = await deps.coordinator.clusterStatus(deps.kube.timeoutMs, signal);
  return {
    workers: s.workers.map((w) => ({
      id: w.id,
      address: w.address,
      capacity: w.capacity,
      in_flight: w.inFlight,
      state: w.state,
      chunks_completed: Number(w.chunksCompleted),
      chunks_verified: Number(w.chunksVerified),
      credits: w.credits,
      instance_id: w.instanceId,
      connected_at: new Date(Number(w.connectedAtMs)).toISOString(),
    })),
    quarantined: s.quarantined.map((q) => ({
      worker_id: q.workerId,
      instance_id: q.instanceId,
      reason: q.reason,
      quarantined_at: new Date(Number(q.quarantinedAtMs)).toISOString(),
    })),
    total_capacity: s.totalCapacity,
    leases_in_flight: s.leasesInFlight,
    backlog_chunks: Number(s.backlogChunks),
    active_calculations: s.activeCalculations,
    single_mode_threads: s.singleModeThreads,
  };
}
