/**
 * Builds the gateway's Fastify app without listening, so tests can `inject()` or listen on port 0.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { fastifyLogger } from './fastify-logger.js';
import { HttpError, internalErrorBody } from './http-errors.js';
import type { KubeReader } from './k8s/kube-reader.js';
import { registerMetrics } from './metrics.js';
import { registerCalculationRoutes } from './routes/calculations.js';
import { registerDashboard } from './routes/dashboard.js';
import { registerK8sRoutes } from './routes/k8s-routes.js';

/** Largest request body accepted. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface GatewayDeps {
  readonly coordinator: CoordinatorClient;
  readonly kube: KubeReader;
  /** Where Fastify and the routes log (request id bound as `reqId`); nothing is logged without one. */
  readonly log?: Logger;
}

export function buildApp(deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.log ? { loggerInstance: fastifyLogger(deps.log) } : { logger: false }),
    // Errors are logged by the error handler below; a line per request would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
  });
  // JSON only: any other content type is refused with 415 instead of reaching the routes as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) {
        // The coordinator failed or is unreachable: it logs its side; this line ties it to the REST request.
        const fields = { code: err.body.error.code, status: err.status, method: request.method, url: request.url };
        if (err.status === 500) request.log.error({ ...fields, err: err.cause ?? err }, 'coordinator call failed');
        else request.log.warn({ ...fields, error: err.cause ?? err }, 'coordinator unavailable');
      }
      const body = err.body.error.code === ErrorCode.INTERNAL ? internalErrorBody(request.id) : err.body;
      return reply.code(err.status).send(body);
    }
    // Fastify's own refusals: malformed JSON, wrong content type, body too large.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const message =
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'the body must be JSON: send Content-Type: application/json'
          : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? `the body must be at most ${BODY_LIMIT_BYTES} bytes`
            : err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'the body must be a JSON object like {"points": 1000000, "mode": "distributed"}; got an empty body'
              : `the body is not valid JSON: ${err.message}`;
      return reply.code(err.statusCode).send({ error: { code: ErrorCode.INVALID_BODY, message, field: 'body' } });
    }
    request.log.error({ method: request.method, url: request.url, err }, 'unexpected error in a REST route');
    return reply.code(500).send(internalErrorBody(request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: ErrorCode.NOT_FOUND, message: `no route ${request.method} ${request.url}`, field: null } }),
  );

  registerMetrics(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.coordinator.clusterStatus(1_000);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not ready', reason: 'the coordinator does not answer' });
    }
  });
  registerCalculationRoutes(app, deps.coordinator);
  registerK8sRoutes(app, {
    kube: deps.kube,
    clusterView: async (signal) => {
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
    },
  });
  registerDashboard(app);
  return app;
}
