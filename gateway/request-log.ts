/**
 * The gateway's request log: ONE line per answered request, written when it completes, with the few fields an operator
 * reads (`reqId`, the id the coordinator is sent as x-request-id; `method`, `url`, `statusCode`, `responseTime` in ms,
 * and `client`: `token:<name>` or `ip:<address>`). Fastify's own request logging writes two lines per request
 * (`incoming request`, `request completed`) through its full req/res serializers, which took GETs to 0.65× of the
 * rate without them (docs/performance.md "REST").
 *
 * The probes (/healthz, /readyz, /metrics, scraped every few seconds) are logged at debug. Fastify's other lifecycle
 * lines (a stream that failed after its headers were sent, ...) keep their default shape. `enabled: false`
 * (PIGRID_LOG_REQUESTS=false) turns every per-request line off; errors the gateway's own handlers log stay.
 *
 * Each request's own logger (`request.log`, bound to its `reqId`) is made only when something logs through it
 * ({@link requestLogger}); the request line itself goes through the gateway's logger with `reqId` as its first field,
 * which writes the same line as the request's logger would.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { principalOf } from './auth.js';
import { REQUEST_LINE_MESSAGE, requestLineWriter, type RequestLineWriter } from './request-line.js';

/** Probes scraped every few seconds: their request lines appear only at debug. */
const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export class RequestLog extends LogController {
  private readonly log: FastifyBaseLogger | undefined;
  private readonly enabled: boolean;
  /** The line written as pino writes it, without its generic path (gateway/request-line.ts); else `log.info`. */
  private readonly write: RequestLineWriter | undefined;

  /** `log`: the gateway's logger, which the request lines go through (none: Fastify's logger is off, no lines). */
  constructor(enabled: boolean, log?: FastifyBaseLogger) {
    super({ disableRequestLogging: !enabled });
    this.log = log;
    this.enabled = enabled;
    this.write = enabled ? requestLineWriter(log) : undefined;
  }

  /** Nothing as a request comes in: its one line is written when it completes. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.log === undefined || this.isLogDisabled(request)) return;
    if (error) this.log.error({ ...fields(request, reply), err: error }, 'request errored');
    else if (PROBE_ROUTES.has(request.routeOptions.url ?? '')) this.log.debug(fields(request, reply), 'request completed');
    else this.line(request.id, request.method, request.url, reply.statusCode, reply.elapsedTime, principalOf(request));
  }

  /** The line of a request answered without error on a route that is not a probe (also written by gateway/wire-reads.ts). */
  line(reqId: string, method: string, url: string, statusCode: number, responseTime: number, client: string): void {
    if (this.log === undefined || !this.enabled) return;
    if (this.write !== undefined) return this.write(reqId, method, url, statusCode, responseTime, client);
    // `reqId` first: the same line the request's own logger (bound to it) would write.
    this.log.info({ reqId, method, url, statusCode, responseTime, client }, REQUEST_LINE_MESSAGE);
  }
}

/** A request line's fields, `reqId` first: the same line the request's own logger (bound to it) would write. */
function fields(request: FastifyRequest, reply: FastifyReply) {
  return {
    reqId: request.id,
    method: request.method,
    url: request.url,
    statusCode: reply.statusCode,
    responseTime: reply.elapsedTime,
    client: principalOf(request),
  };
}

type LogArgs = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that becomes `parent.child(bindings, options)` the first time it is used. Fastify makes a child
 * logger for every request (pino serialises its bindings when it is made); most requests never log through it (the
 * request line does not), and making it was ~2 % of the gateway's CPU per cached GET (docs/performance.md).
 */
class RequestLogger implements FastifyBaseLogger {
  private readonly parent: FastifyBaseLogger;
  private readonly bindings: Bindings;
  private readonly options: ChildLoggerOptions;
  private made: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.parent = parent;
    this.bindings = bindings;
    this.options = options;
  }

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: LogArgs): void {
    this.logger.fatal(...args);
  }

  error(...args: LogArgs): void {
    this.logger.error(...args);
  }

  warn(...args: LogArgs): void {
    this.logger.warn(...args);
  }

  info(...args: LogArgs): void {
    this.logger.info(...args);
  }

  debug(...args: LogArgs): void {
    this.logger.debug(...args);
  }

  trace(...args: LogArgs): void {
    this.logger.trace(...args);
  }

  silent(...args: LogArgs): void {
    this.logger.silent(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: each request's logger, made when first used. */
export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options);
}
