/**
 * The request log line (gateway/request-log.ts) written as pino writes it, without pino's generic path. Under GET load
 * the gateway writes one such line per answer; `log.info({ reqId, method, url, statusCode, responseTime, client },
 * 'request completed')` makes the field object, walks it key by key (own-property, serializer and stringifier look-ups
 * per key) and runs pino's diagnostics wrapper: 6.8–9.1 µs of user CPU per line in a tight loop into a pipe, against
 * 4.0–5.2 µs for the same line concatenated here (docs/performance.md "REST GET: the request line").
 *
 * The line is pino's own, not a copy of its format: the level prefix, the time, the bindings, the message key and the
 * line end are read from the logger (`pino.symbols`, public), so they follow its options. What this does not
 * reproduce it does not try: a logger with a log formatter, mixin, nested key, message prefix, hooks, redaction or
 * serializers of these keys, a stream that wants pino's metadata (multistream), or one whose line for a sample request
 * differs from what pino itself writes (checked once, when made) gets no writer, and its lines go through `log.info`.
 * A subscriber of pino's `pino_asJson` tracing channel also sends the line back through pino, so it sees every line.
 *
 * Strings are quoted with JSON.stringify, which writes what pino's quoting (tools.js asString) writes for every
 * string without a lone UTF-16 surrogate; none of these fields can hold one (Node decodes a request's URL and the peer
 * address byte by byte as latin1, the request id and method are ASCII). test/unit/request-line.test.ts compares the
 * lines with pino's for arbitrary values.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

/** Writes one request line (the fields of gateway/request-log.ts `RequestLog.line`, in that order). */
export type RequestLineWriter = (
  reqId: string,
  method: string,
  url: string,
  statusCode: number,
  responseTime: number,
  client: string,
) => void;

export const REQUEST_LINE_MESSAGE = 'request completed';

const FIELDS = ['reqId', 'method', 'url', 'statusCode', 'responseTime', 'client'] as const;
/** pino's tracing channel around its line serialisation (pino/lib/tools.js). */
const asJsonChannel = tracingChannel('pino_asJson');

interface PinoInternals {
  readonly [key: symbol]: unknown;
}

/** A number as pino writes a field's number: itself when finite, else null. */
const num = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * The writer for `log`'s request lines, or undefined when `log` is not a pino logger whose line this reproduces
 * (its lines then go through `log.info`).
 */
export function requestLineWriter(log: FastifyBaseLogger | undefined): RequestLineWriter | undefined {
  if (log === undefined) return undefined;
  const s = pino.symbols;
  const p = log as unknown as PinoInternals;
  const stream = p[s.streamSym] as { write?: (line: string) => unknown; [key: symbol]: unknown } | undefined;
  const time = p[s.timeSym];
  const lsCache = p[s.lsCacheSym] as Record<number, string> | undefined;
  const end = p[s.endSym];
  const messageKey = p[s.messageKeySym];
  const asJson = p[s.asJsonSym];
  const formatters = p[s.formattersSym] as { log?: unknown } | undefined;
  const hooks = p[s.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const serializers = (p[s.serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (p[s.stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  const info = (log as unknown as { levels?: { values?: Record<string, number> } }).levels?.values?.info;
  if (
    typeof stream?.write !== 'function' ||
    stream[Symbol.for('pino.metadata')] === true ||
    typeof time !== 'function' ||
    typeof end !== 'string' ||
    typeof messageKey !== 'string' ||
    typeof asJson !== 'function' ||
    info === undefined ||
    typeof lsCache?.[info] !== 'string' ||
    p[s.mixinSym] ||
    p[s.nestedKeySym] ||
    // Typed nowhere, but exported at run time with the others (pino/lib/symbols.js).
    p[(s as unknown as Record<string, symbol>).msgPrefixSym] ||
    formatters?.log ||
    hooks?.logMethod ||
    hooks?.streamWrite ||
    [...FIELDS, messageKey].some((k) => serializers[k] !== undefined) ||
    Reflect.ownKeys(stringifiers).length > 0
  ) {
    return undefined;
  }
  const write = stream.write.bind(stream);
  const prefix = lsCache[info];
  const tail = `,"${messageKey}":${JSON.stringify(REQUEST_LINE_MESSAGE)}${end}`;
  const line = (t: string, reqId: string, method: string, url: string, statusCode: number, responseTime: number, client: string) =>
    // The bindings are read per line: `log.setBindings()` changes them.
    `${prefix}${t}${p[s.chindingsSym] as string},"reqId":${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"url":${JSON.stringify(url)},"statusCode":${num(statusCode)},"responseTime":${num(responseTime)},"client":${JSON.stringify(client)}${tail}`;

  // Once: the line for a sample request must be the one pino writes (same time), quotes and backslashes included.
  const t0 = (time as () => string)();
  const sample = ['req-1z', 'GET', '/api/calculate/"a\\b"?x=é', 304, 0.123456789, 'ip:::1'] as const;
  const fields = Object.fromEntries(FIELDS.map((k, i) => [k, sample[i]]));
  const reference = (asJson as (obj: object, msg: string, num: number, time: string) => string).call(
    log,
    fields,
    REQUEST_LINE_MESSAGE,
    info,
    t0,
  );
  if (line(t0, ...sample) !== reference) return undefined;

  return (reqId, method, url, statusCode, responseTime, client) => {
    if (!(log as pino.Logger).isLevelEnabled('info')) return;
    if (asJsonChannel.hasSubscribers) {
      log.info({ reqId, method, url, statusCode, responseTime, client }, REQUEST_LINE_MESSAGE);
      return;
    }
    write(line((time as () => string)(), reqId, method, url, statusCode, responseTime, client));
  };
}
