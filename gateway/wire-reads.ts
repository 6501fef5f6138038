/**
 * GET /api/calculate/{id} of a calculation the gateway already knows, answered at the HTTP server's request event,
 * before Fastify makes its request and reply (the wire path). What such an answer depends on is fixed per snapshot
 * of the calculation: its body, its ETag, its caching rule and the security headers, so the header lines are prebuilt
 * once per snapshot ({@link WireAnswer}) instead of being merged into Fastify's reply and copied into Node's header
 * object key by key on every request. Everything else an answer of the Fastify route carries is done here too: the
 * request id (the same generator Fastify uses), the latency histogram, the request log line.
 *
 * Only a request the route would answer from memory, with nothing for a hook to decide, takes the wire path; every
 * other request goes to Fastify unchanged: another method or path, a query string, a percent-encoded or over-long
 * id, a calculation the gateway does not know yet (its first read asks the coordinator), an Authorization header or a
 * read policy that wants one (the auth hook decides), and any request once the server is closing (Fastify answers
 * 503). test/integration/gateway-wire-reads.test.ts checks that both paths answer alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteLatencyHistogram } from './metrics.js';
import type { RequestLog } from './request-log.js';

/** The route whose answers the wire path gives, as its metrics and log lines name it. */
export const WIRE_ROUTE = '/api/calculate/:id';
const PREFIX = '/api/calculate/';
/** The router's longest parameter (Fastify's maxParamLength): longer ids are refused by Fastify (414). */
const MAX_ID_LENGTH = 100;

/** What the wire path sends for one snapshot of a calculation: its header lines (name, value, …) for 200 and 304. */
export interface WireAnswer {
  readonly etag: string;
  readonly body: string;
  readonly headers200: readonly string[];
  readonly headers304: readonly string[];
}

/**
 * The header lines the Fastify route sends, in its order: the security headers (the onRequest hook), the ETag and
 * caching rule (the route), then Content-Type and Content-Length (Fastify's send); a 304 has neither of the last two.
 * Node adds Date, Connection and Keep-Alive to both paths alike.
 */
export function wireAnswer(
  security: Readonly<Record<string, string>>,
  served: { readonly etag: string; readonly body: string; readonly terminal: boolean },
): WireAnswer {
  const common: string[] = [];
  for (const [name, value] of Object.entries(security)) common.push(name, value);
  common.push('etag', served.etag, 'cache-control', served.terminal ? 'public, max-age=31536000, immutable' : 'no-cache');
  return {
    etag: served.etag,
    body: served.body,
    headers200: [...common, 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(served.body))],
    headers304: common,
  };
}

export interface WirePathDeps {
  /** The answer for a calculation id the gateway knows (no call, no promise), else undefined. */
  readonly known: (id: string) => WireAnswer | undefined;
  /** Whether a read without Authorization may go on without the auth hook (no tokens, or reads open). */
  readonly readsOpen: boolean;
  readonly genReqId: () => string;
  readonly latency: RouteLatencyHistogram;
  readonly log: RequestLog;
  /** True once the server is closing: Fastify answers 503 from then on. */
  readonly closing: () => boolean;
}

/** The id in a path `/api/calculate/<id>` the wire path may answer, else undefined. */
function idOf(url: string): string | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const id = url.slice(PREFIX.length);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    // '/', '?', '#', '%' and anything outside printable ASCII: Fastify routes and decodes those.
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x25 || c <= 0x20 || c >= 0x7f) return undefined;
  }
  return id;
}

/** The server's request handler: the wire path where it applies, else `fastify`. */
export function wirePath(
  deps: WirePathDeps,
  fastify: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' || deps.closing()) return fastify(req, res);
    const id = idOf(req.url ?? '');
    if (id === undefined) return fastify(req, res);
    if (!deps.readsOpen || req.headers.authorization !== undefined) return fastify(req, res);
    const answer = deps.known(id);
    if (answer === undefined) return fastify(req, res);
    const start = performance.now();
    const reqId = deps.genReqId();
    const notModified = req.headers['if-none-match'] === answer.etag;
    const status = notModified ? 304 : 200;
    res.writeHead(status, notModified ? (answer.headers304 as string[]) : (answer.headers200 as string[]));
    res.end(notModified ? undefined : answer.body, () => {
      const ms = performance.now() - start;
      deps.latency.observe('GET', WIRE_ROUTE, status, ms / 1000);
      deps.log.line(reqId, 'GET', req.url!, status, ms, `ip:${req.socket.remoteAddress}`);
    });
  };
}
