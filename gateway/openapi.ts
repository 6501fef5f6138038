/**
 * The REST API described as OpenAPI 3.1, from the routes' own schemas (gateway/api-schemas.ts): @fastify/swagger builds
 * the document, served at GET /openapi.json, and @fastify/swagger-ui serves an interactive page at /docs. Both are open
 * like the dashboard (gateway/auth.ts) and run under the gateway's Content-Security-Policy: Swagger UI loads its script
 * and styles as same-origin files and runs no inline script.
 *
 * The schemas document; they do not decide. Requests are checked by the shared rules (shared/submit-rules.ts, the
 * same words as gRPC, no type coercion) and answers are written with JSON.stringify, so a field missing from a schema
 * can never be dropped from an answer (the Kubernetes routes keep serialising their 200 bodies by their schemas). What the edge hooks add to every operation (authentication, the write rate
 * limit, the coordinator being away) is documented here, where {@link accessOf} decides it.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { ErrorCode } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { errorResponse, openapiSchema, SHARED_SCHEMAS } from './api-schemas.js';
import { accessOf } from './auth.js';

/** Where Swagger UI is served. */
export const DOCS_PREFIX = '/docs';
/** Where the document is served. */
export const OPENAPI_PATH = '/openapi.json';

const BEARER = 'bearerAuth';

type Responses = Record<string, { description?: string; headers?: Record<string, unknown> } & Record<string, unknown>>;

/** Adds a documented answer to an operation, or adds its codes and headers to one the route already documents. */
function addResponse(responses: Responses, status: string, added: ReturnType<typeof errorResponse>): void {
  const had = responses[status];
  if (!had) {
    responses[status] = added;
    return;
  }
  responses[status] = {
    ...had,
    description: `${had.description ?? ''}; or: ${added.description}`,
    ...(had.headers || added.headers ? { headers: { ...had.headers, ...added.headers } } : {}),
  };
}

/** The answers a request can get from the edge, whatever its route: auth (401/403), rate limit (429), coordinator. */
function documentEdges(schema: FastifySchema | undefined, method: string, url: string): FastifySchema {
  const access = accessOf({ method, url });
  const responses: Responses = { ...((schema?.response as Responses | undefined) ?? {}) };
  let security: FastifySchema['security'] = [];
  if (access === 'write') {
    security = [{ [BEARER]: [] }];
    addResponse(responses, '401', errorResponse('With API tokens configured: no valid bearer token', [ErrorCode.UNAUTHENTICATED]));
    addResponse(responses, '403', errorResponse('A read-only token', [ErrorCode.FORBIDDEN]));
    addResponse(
      responses,
      '429',
      errorResponse('More submissions and cancels from this client than PIGRID_RATE_LIMIT_MAX per window', [ErrorCode.RATE_LIMITED], {
        'retry-after': { type: 'integer', minimum: 1, description: 'Seconds until the rate limit lets this client write again' },
      }),
    );
  } else if (access === 'read') {
    // Reads need a token only with PIGRID_READ_AUTH=token; `{}` says "or none".
    security = [{ [BEARER]: [] }, {}];
    addResponse(responses, '401', errorResponse('With PIGRID_READ_AUTH=token: no valid bearer token', [ErrorCode.UNAUTHENTICATED]));
  }
  if (url.startsWith('/api/calculate')) {
    addResponse(
      responses,
      '503',
      errorResponse('The coordinator is unreachable, draining or cannot write its database; retry shortly', [
        ErrorCode.COORDINATOR_UNAVAILABLE,
        ErrorCode.COORDINATOR_DRAINING,
        ErrorCode.STORE_UNAVAILABLE,
      ]),
    );
    addResponse(responses, '504', errorResponse('The coordinator did not answer in time', [ErrorCode.COORDINATOR_UNAVAILABLE]));
  }
  if (url.startsWith('/api/')) {
    addResponse(
      responses,
      '500',
      errorResponse('A bug; the message quotes the request id to find in the gateway log', [ErrorCode.INTERNAL]),
    );
  }
  return { ...schema, security, response: responses };
}

/**
 * Registers @fastify/swagger and @fastify/swagger-ui. Call before any route is added: @fastify/swagger collects the
 * routes in an onRoute hook, so it only sees routes registered in plugins that load after it.
 */
export function registerOpenApi(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // Request schemas are documentation: the routes check input with the shared rules (no coercion, catalogued codes).
  app.setValidatorCompiler(() => () => true);
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pigrid gateway',
        version: VERSION,
        description:
          'Spreads a Monte Carlo π calculation over a pool of workers and returns one exact answer. ' +
          'Every error has the body `{"error": {"code", "message", "field"}}` (components.schemas.Error); the codes: ' +
          'docs/errors.md. Writes (submit, cancel) are rate-limited per client (429 `RATE_LIMITED` with `Retry-After`).',
      },
      tags: [
        { name: 'calculations', description: 'Submit, follow, list and cancel π calculations' },
        { name: 'cluster', description: 'The worker pool as the coordinator and Kubernetes see it' },
        { name: 'operations', description: 'Health, readiness, metrics and this document' },
        { name: 'dashboard', description: 'The live dashboard page (GET /) and its files' },
      ],
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API token (PIGRID_API_TOKENS_FILE, docs/security.md). When tokens are configured, submit and cancel ' +
              'need a `write` token, and reads need any token with PIGRID_READ_AUTH=token. Without tokens all is open.',
          },
        },
      },
    },
    // Shared schemas appear under their own names (components.schemas.Error), not as def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }) => ({
      schema: documentEdges(schema, typeof route.method === 'string' ? route.method : route.method[0], url),
      url,
    }),
  });
  void app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // BaseLayout: no top bar, whose Swagger logo is an SVG with an inline <style> the CSP refuses (and that the page
    // does not need: it shows this one document).
    uiConfig: { layout: 'BaseLayout', deepLinking: true, displayRequestDuration: true },
  });
}

/**
 * The serializer compiler of the documented routes: JSON.stringify, as without a schema. Their response schemas are
 * documentation; fast-json-stringify would silently drop any property a schema does not list.
 */
export function serializeWithoutSchema(): (data: unknown) => string {
  return (data) => JSON.stringify(data);
}

/** `GET /openapi.json`: the document. Register in the scope of the other documented routes. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, { schema: openapiSchema }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(app.swagger()),
  );
}
