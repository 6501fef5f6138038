/**
 * The calculations REST API: submit, get, list, cancel, and a live progress stream (Server-Sent Events).
 * Everything goes to the coordinator through its gRPC API. The schemas document the routes (gateway/openapi.ts); the
 * input is checked by the shared rules (shared/submit-rules.ts), never coerced.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { SubmitRequest } from '../../generated/proto/pigrid/v1/SubmitRequest.js';
import { ErrorCode } from '../../shared/errors.js';
import { checkJsonSubmitBody, checkPageSize, type Mode } from '../../shared/submit-rules.js';
import { modeToWire } from '../../shared/wire.js';
import { cancelSchema, eventsSchema, getSchema, listSchema, submitSchema } from '../api-schemas.js';
import { toCalculationJson } from '../calculation-json.js';
import { CalculationReads, type ServedCalculation } from '../calculation-reads.js';
import type { CallMeta, CoordinatorClient } from '../coordinator-client.js';
import { principalOf } from '../auth.js';
import { HttpError, fromGrpcError, internalErrorBody } from '../http-errors.js';
import type { StreamLimits } from '../limits.js';
import { registerReadGauge } from '../metrics.js';

async function viaCoordinator<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromGrpcError(err);
  }
}

/** What the coordinator is told about a REST write: its id, its client's token (checked again there), its client. */
function meta(request: FastifyRequest): CallMeta {
  return { requestId: request.id, authorization: request.headers.authorization, client: principalOf(request) };
}

export function registerCalculationRoutes(
  app: FastifyInstance,
  coordinator: CoordinatorClient,
  streamLimits?: StreamLimits,
  metrics?: Registry,
  reads: CalculationReads = new CalculationReads(coordinator),
): void {
  // Open event streams end when the gateway shuts down, so close() never waits on a client that never leaves.
  const streams = new Set<() => void>();
  if (metrics) {
    registerReadGauge(
      metrics,
      'pigrid_gateway_upstream_watches',
      'Watch streams this gateway holds open to the coordinator (one per followed calculation).',
      () => reads.upstreams,
    );
    registerReadGauge(metrics, 'pigrid_gateway_event_streams', 'Server-Sent Event streams open on this gateway.', () => streams.size);
  }
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
    reads.close();
  });

  app.post('/api/calculate', { schema: submitSchema }, async (request, reply) => {
    const violations = checkJsonSubmitBody(request.body);
    if (violations.length > 0) throw HttpError.invalid(violations);
    const body = request.body as { points?: number | null; mode?: Mode | null; seed?: number | null; chunk_size?: number | null };
    // checkJsonSubmitBody let through only a known mode or none.
    const req: SubmitRequest = { mode: body.mode ? modeToWire(body.mode) : 'MODE_UNSPECIFIED' };
    if (body.points !== undefined && body.points !== null) req.points = body.points;
    if (body.seed !== undefined && body.seed !== null) req.seed = body.seed;
    if (body.chunk_size !== undefined && body.chunk_size !== null) req.chunkSize = body.chunk_size;
    const created = await viaCoordinator(() => coordinator.submit(req, meta(request)));
    reads.noteSubmitted(created);
    const json = toCalculationJson(created);
    return reply.code(202).header('location', `/api/calculate/${json.id}`).send(json);
  });

  /**
   * Answered from what the gateway already knows (see CalculationReads). An ended calculation never changes: it is
   * served with a strong ETag and `immutable` caching; a running one with `no-cache` and an ETag that changes with it.
   * A known calculation is answered synchronously (no promise on the hot path); only the first read of one waits.
   * Over a socket, a known calculation's plain GET does not reach this route at all: gateway/wire-reads.ts answers it
   * the same way before Fastify (what this route sends, it must send too: test/integration/gateway-wire-reads.test.ts).
   */
  const sendServed = (request: FastifyRequest, reply: FastifyReply, served: ServedCalculation): void => {
    reply.header('etag', served.etag);
    reply.header('cache-control', served.terminal ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.headers['if-none-match'] === served.etag) reply.code(304).send();
    else reply.type('application/json; charset=utf-8').send(served.body);
  };
  app.get<{ Params: { id: string } }>('/api/calculate/:id', { schema: getSchema }, (request, reply) => {
    const known = reads.known(request.params.id);
    if (known) return sendServed(request, reply, known);
    return reads.get(request.params.id, request.id, viaCoordinator).then((served) => sendServed(request, reply, served));
  });

  app.post<{ Params: { id: string } }>('/api/calculate/:id/cancel', { schema: cancelSchema }, async (request) => {
    reads.forgetSubmitted(request.params.id);
    return toCalculationJson(await viaCoordinator(() => coordinator.cancel(request.params.id, meta(request))));
  });

  app.get<{ Querystring: { page_size?: string; page_token?: string } }>('/api/calculate', { schema: listSchema }, async (request) => {
    const pageSize = checkPageSize(request.query.page_size);
    if (!('value' in pageSize)) throw HttpError.invalid([pageSize]);
    const page = await viaCoordinator(() => coordinator.list(pageSize.value, request.query.page_token ?? '', meta(request)));
    return { calculations: page.calculations.map(toCalculationJson), next_page_token: page.nextPageToken || null };
  });

  /**
   * Live progress as Server-Sent Events: one `progress` event per snapshot (throttled by the coordinator), then an
   * `end` event with the final state. Unknown ids answer 404 JSON before the stream starts.
   */
  app.get<{ Params: { id: string } }>('/api/calculate/:id/events', { schema: eventsSchema }, async (request, reply) => {
    const first = await reads.get(request.params.id, request.id, viaCoordinator);
    const release = streamLimits?.open(principalOf(request)) ?? (() => {});
    reply.hijack();
    const res = reply.raw;
    // A hijacked reply: the security headers the onRequest hook gave the reply are written here.
    res.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const sendRaw = (event: string, body: string) => res.write(`event: ${event}\ndata: ${body}\n\n`);
    let last = first;
    sendRaw('progress', first.body);
    let closed = false;
    let unsubscribe = () => {};
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const finish = () => {
      if (closed) return false;
      closed = true;
      clearInterval(keepAlive);
      streams.delete(shutdown);
      unsubscribe();
      release();
      return true;
    };
    const end = (event: string, body: string) => {
      if (!finish()) return;
      sendRaw(event, body);
      res.end();
    };
    // Declared before any path can call finish(), which removes it from `streams`.
    const shutdown = () => {
      if (finish()) res.end();
    };
    if (first.terminal) {
      end('end', first.body);
      return;
    }
    // Every SSE client of one calculation shares the gateway's one upstream Watch stream.
    unsubscribe = reads.subscribe(first.json.id, {
      data(c) {
        // Runs in a gRPC stream event after the reply was hijacked: Fastify's error handler cannot see a throw here.
        try {
          last = c;
          if (c.terminal) end('end', c.body);
          else sendRaw('progress', c.body);
        } catch (err) {
          request.log.error({ calculationId: first.json.id, err }, 'unexpected error in the event stream');
          end('error', JSON.stringify(internalErrorBody(request.id)));
        }
      },
      end(err) {
        if (err) {
          const failed = fromGrpcError(err);
          if (failed.status >= 500)
            request.log.warn(
              { calculationId: first.json.id, code: failed.body.error.code, err },
              'event stream ended by a coordinator error',
            );
          end('error', JSON.stringify(failed.body.error.code === ErrorCode.INTERNAL ? internalErrorBody(request.id) : failed.body));
        } else end('end', last.body);
      },
    });
    streams.add(shutdown);
    request.raw.on('close', () => finish());
  });
}
