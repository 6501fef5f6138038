/**
 * REST authentication at the edge: one onRequest hook, before any route runs.
 *
 * With API tokens configured (PIGRID_API_TOKENS_FILE, shared/api-tokens.ts):
 * - writes (any method other than GET/HEAD under /api/: submit, cancel) need `Authorization: Bearer <token>` with a
 *   `write` token: 401 UNAUTHENTICATED + `WWW-Authenticate: Bearer …` without a valid one, 403 FORBIDDEN with a
 *   `read` token;
 * - reads under /api/ are open (PIGRID_READ_AUTH=open, the default) or need any valid token (=token);
 * - the dashboard page and its script, /docs (Swagger UI), /openapi.json, /healthz, /readyz and /metrics are always
 *   open: they carry no calculation data (the dashboard and /docs ask for a token when the API wants one).
 * Without tokens everything is open. Every request gets a principal for the rate limit and the stream caps:
 * `token:<name>` or `ip:<address>`; the coordinator is sent the header itself and checks the token again.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, type ApiTokens } from '../shared/api-tokens.js';
import { ErrorCode } from '../shared/errors.js';
import { HttpError } from './http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request runs as: `token:<name>` or `ip:<address>` (set by the auth hook). */
    principal: string;
  }
}

const REALM = 'Bearer realm="pigrid"';

/** What a request needs: a write token, a read token, or nothing. */
export function accessOf(request: Pick<FastifyRequest, 'method' | 'url'>): 'write' | 'read' | 'open' {
  if (!request.url.startsWith('/api/')) return 'open';
  if (request.url.startsWith('/api/k8s/')) return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
}

/** The principal of a request before the hook ran (rate-limit keys use it). */
export function principalOf(request: FastifyRequest): string {
  return request.principal || `ip:${request.ip}`;
}

function unauthenticated(message: string, challenge: string): HttpError {
  const err = HttpError.of(401, ErrorCode.UNAUTHENTICATED, message);
  err.headers['www-authenticate'] = challenge;
  return err;
}

export function registerAuth(app: FastifyInstance, tokens: ApiTokens): void {
  app.decorateRequest('principal', '');
  app.addHook('onRequest', async (request) => {
    request.principal = `ip:${request.ip}`;
    if (!tokens.enabled) return;
    const access = accessOf(request);
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (token !== undefined) {
      const entry = tokens.verify(token);
      if (!entry) throw unauthenticated('the bearer token is not valid', `${REALM}, error="invalid_token"`);
      if (access === 'write' && entry.scope !== 'write') {
        const err = HttpError.of(403, ErrorCode.FORBIDDEN, `token ${entry.name} may only read; ${request.method} needs a write token`);
        err.headers['www-authenticate'] = `${REALM}, error="insufficient_scope"`;
        throw err;
      }
      request.principal = `token:${entry.name}`;
      return;
    }
    if (access === 'write' || (access === 'read' && tokens.readPolicy === 'token')) {
      throw unauthenticated(
        header === undefined
          ? `${access === 'write' ? 'this request changes state and' : 'reading'} needs a token: send Authorization: Bearer <token>`
          : 'Authorization must be "Bearer <token>"',
        header === undefined ? REALM : `${REALM}, error="invalid_request"`,
      );
    }
  });
}
