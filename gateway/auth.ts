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
 * Without tokens everything is open and no hook runs at all. Every request has a principal for the rate limit and the
 * stream caps ({@link principalOf}): `token:<name>` or `ip:<address>`; the coordinator is sent the header itself and
 * checks the token again.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, type ApiTokens } from '../shared/api-tokens.js';
import { ErrorCode } from '../shared/errors.js';
import { HttpError } from './http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `token:<name>` when the auth hook accepted a bearer token, else empty: read it through {@link principalOf}. */
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

/** Who a request runs as: `token:<name>` when it sent a valid token, else `ip:<address>`. */
export function principalOf(request: FastifyRequest): string {
  return request.principal || `ip:${request.ip}`;
}

function unauthenticated(message: string, challenge: string): HttpError {
  const err = HttpError.of(401, ErrorCode.UNAUTHENTICATED, message);
  err.headers['www-authenticate'] = challenge;
  return err;
}

/** The refusal of a request, or undefined when it may go on (and then its principal is set when it sent a token). */
function check(request: FastifyRequest, tokens: ApiTokens): HttpError | undefined {
  const access = accessOf(request);
  const header = request.headers.authorization;
  const token = bearerToken(header);
  if (token !== undefined) {
    const entry = tokens.verify(token);
    if (!entry) return unauthenticated('the bearer token is not valid', `${REALM}, error="invalid_token"`);
    if (access === 'write' && entry.scope !== 'write') {
      const err = HttpError.of(403, ErrorCode.FORBIDDEN, `token ${entry.name} may only read; ${request.method} needs a write token`);
      err.headers['www-authenticate'] = `${REALM}, error="insufficient_scope"`;
      return err;
    }
    request.principal = `token:${entry.name}`;
    return undefined;
  }
  if (access === 'write' || (access === 'read' && tokens.readPolicy === 'token')) {
    return unauthenticated(
      header === undefined
        ? `${access === 'write' ? 'this request changes state and' : 'reading'} needs a token: send Authorization: Bearer <token>`
        : 'Authorization must be "Bearer <token>"',
      header === undefined ? REALM : `${REALM}, error="invalid_request"`,
    );
  }
  return undefined;
}

export function registerAuth(app: FastifyInstance, tokens: ApiTokens): void {
  app.decorateRequest('principal', '');
  if (!tokens.enabled) return;
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', function checkAuth(request, _reply, done) {
    done(check(request, tokens));
  });
}
