/**
 * The calculations REST API: submit, get, list, cancel, and a live progress stream (Server-Sent Events).
 * Everything goes to the coordinator through its gRPC API.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SubmitRequest } from '../../generated/proto/pigrid/v1/SubmitRequest.js';
import { ErrorCode } from '../../shared/errors.js';
import { checkJsonSubmitBody } from '../../shared/submit-rules.js';
import { toCalculationJson } from '../calculation-json.js';
import type { CallMeta, CoordinatorClient } from '../coordinator-client.js';
import { HttpError, fromGrpcError, internalErrorBody } from '../http-errors.js';
import type { StreamLimits } from '../limits.js';

const MAX_PAGE_SIZE = 500;

async function viaCoordinator<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromGrpcError(err);
  }
}

/** What the coordinator is told about a REST request: its id, its client's token (checked again there), its client. */
function meta(request: FastifyRequest): CallMeta {
  return { requestId: request.id, authorization: request.headers.authorization, client: request.principal || `ip:${request.ip}` };
}

export function registerCalculationRoutes(app: FastifyInstance, coordinator: CoordinatorClient, streamLimits?: StreamLimits): void {
  // Open event streams end when the gateway shuts down, so close() never waits on a client that never leaves.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.post('/api/calculate', async (request, reply) => {
    const violations = checkJsonSubmitBody(request.body);
    if (violations.length > 0) throw HttpError.invalid(violations);
    const body = request.body as { points?: number | null; mode?: string | null; seed?: number | null; chunk_size?: number | null };
    const req: SubmitRequest = {
      mode: body.mode === 'single' ? 'MODE_SINGLE' : body.mode === 'distributed' ? 'MODE_DISTRIBUTED' : 'MODE_UNSPECIFIED',
    };
    if (body.points !== undefined && body.points !== null) req.points = body.points;
    if (body.seed !== undefined && body.seed !== null) req.seed = body.seed;
    if (body.chunk_size !== undefined && body.chunk_size !== null) req.chunkSize = body.chunk_size;
    const created = await viaCoordinator(() => coordinator.submit(req, meta(request)));
    const json = toCalculationJson(created);
    return reply.code(202).header('location', `/api/calculate/${json.id}`).send(json);
  });

  app.get<{ Params: { id: string } }>('/api/calculate/:id', async (request) => {
    return toCalculationJson(await viaCoordinator(() => coordinator.get(request.params.id, meta(request))));
  });

  app.post<{ Params: { id: string } }>('/api/calculate/:id/cancel', async (request) => {
    return toCalculationJson(await viaCoordinator(() => coordinator.cancel(request.params.id, meta(request))));
  });

  app.get<{ Querystring: { page_size?: string; page_token?: string } }>('/api/calculate', async (request) => {
    const raw = request.query.page_size;
    let pageSize = 0;
    if (raw !== undefined) {
      pageSize = Number(raw);
      if (!/^\d+$/.test(raw) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        throw HttpError.of(400, ErrorCode.INVALID_PAGE_SIZE, `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}; got ${JSON.stringify(raw)}`, 'page_size');
      }
    }
    const page = await viaCoordinator(() => coordinator.list(pageSize, request.query.page_token ?? '', meta(request)));
    return { calculations: page.calculations.map(toCalculationJson), next_page_token: page.nextPageToken || null };
  });

  /**
   * Live progress as Server-Sent Events: one `progress` event per snapshot (throttled by the coordinator), then an
   * `end` event with the final state. Unknown ids answer 404 JSON before the stream starts.
   */
  app.get<{ Params: { id: string } }>('/api/calculate/:id/events', async (request, reply) => {
    const first = toCalculationJson(await viaCoordinator(() => coordinator.get(request.params.id, meta(request))));
    const release = streamLimits?.open(request.principal || `ip:${request.ip}`) ?? (() => {});
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let last = first;
    send('progress', first);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const finish = () => {
      clearInterval(keepAlive);
      streams.delete(shutdown);
      release();
    };
    const stop = coordinator.watch(
      first.id,
      (c) => {
        // Runs in a gRPC stream event after the reply was hijacked: Fastify's error handler cannot see a throw here.
        try {
          last = toCalculationJson(c);
          send('progress', last);
        } catch (err) {
          request.log.error({ calculation: first.id, err }, 'unexpected error in the event stream');
          finish();
          stop();
          send('error', internalErrorBody(request.id));
          res.end();
        }
      },
      (err) => {
        finish();
        if (err) {
          const failed = fromGrpcError(err);
          if (failed.status >= 500) request.log.warn({ calculation: first.id, code: failed.body.error.code, err }, 'event stream ended by a coordinator error');
          send('error', failed.body.error.code === ErrorCode.INTERNAL ? internalErrorBody(request.id) : failed.body);
        } else send('end', last);
        res.end();
      },
      meta(request),
    );
    const shutdown = () => {
      finish();
      stop();
      res.end();
    };
    streams.add(shutdown);
    request.raw.on('close', () => {
      finish();
      stop();
    });
  });
}
