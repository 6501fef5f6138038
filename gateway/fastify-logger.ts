/**
 * Fastify's logger interface (pino's call shape) on top of the pigrid logger, so what Fastify and the routes log
 * (`request.log.error({ err }, 'msg')`, with the request id bound as `reqId`) comes out in the one line format.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from '../shared/logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Fastify's request and reply objects are not log material; the request id already names the request. */
const DROPPED = new Set(['req', 'res']);

function fieldsOf(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!DROPPED.has(k)) out[k] = v;
  return out;
}

export function fastifyLogger(log: Logger, level = 'info'): FastifyBaseLogger {
  const at =
    (lvl: Level) =>
    (first?: unknown, msg?: unknown): void => {
      if (typeof first === 'string') return log[lvl](first);
      if (first instanceof Error) return log[lvl](typeof msg === 'string' ? msg : first.message, { err: first });
      const fields = typeof first === 'object' && first !== null ? fieldsOf(first as Record<string, unknown>) : {};
      log[lvl](typeof msg === 'string' ? msg : '', fields);
    };
  return {
    level,
    fatal: at('error'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('debug'),
    silent: () => {},
    child: (bindings: Record<string, unknown>) => fastifyLogger(log.child(bindings), level),
  };
}
