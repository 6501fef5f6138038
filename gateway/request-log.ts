/**
 * The gateway's request log: ONE line per answered request, written when it completes, with the few fields an operator
 * reads (`reqId`, the id the coordinator is sent as x-request-id, from the request's child logger; `method`, `url`,
 * `statusCode`, `responseTime` in ms, and `client`: `token:<name>` or `ip:<address>`). Fastify's own request logging
 * writes two lines per request (`incoming request`, `request completed`) through its full req/res serializers, which
 * took GETs to 0.65× of the rate without them (docs/performance.md "REST").
 *
 * The probes (/healthz, /readyz, /metrics, scraped every few seconds) are logged at debug. Fastify's other lifecycle
 * lines (a stream that failed after its headers were sent, ...) keep their default shape. `enabled: false`
 * (PIGRID_LOG_REQUESTS=false) turns every per-request line off; errors the gateway's own handlers log stay.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { principalOf } from './auth.js';

/** Probes scraped every few seconds: their request lines appear only at debug. */
const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export class RequestLog extends LogController {
  constructor(enabled: boolean) {
    super({ disableRequestLogging: !enabled });
  }

  /** Nothing as a request comes in: its one line is written when it completes. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
      client: principalOf(request),
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else if (PROBE_ROUTES.has(request.routeOptions.url ?? '')) reply.log.debug(fields, 'request completed');
    else reply.log.info(fields, 'request completed');
  }
}
