/**
 * What the gateway's edge hooks add to every answer, whatever path produced it (gateway/security-headers.ts,
 * gateway/auth.ts, gateway/limits.ts, gateway/metrics.ts): the security headers, exactly as helmet sets them, on a
 * 200, a 304, a 401, a 404, a 415, a 429, a 503, the event stream (a hijacked reply) and the dashboard; the rate limit
 * on writes only; the latency histogram for matched and unmatched routes. The real app on loopback; the coordinator
 * is a fake of our CoordinatorClient interface.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Calculation__Output } from '../../generated/proto/pigrid/v1/Calculation.js';
import { buildApp } from '../../gateway/app.js';
import type { CoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import { dashboardHtml } from '../../gateway/routes/dashboard.js';
import { helmetOptions, securityHeaders } from '../../gateway/security-headers.js';
import type { ApiTokens } from '../../shared/api-tokens.js';
import { calculationOutput } from '../fakes/calculation-output.js';

const calc = (id: string, status: Calculation__Output['status']) => calculationOutput(id, status, 5);

const down = () => Object.assign(new Error('down'), { code: 14, details: 'down', metadata: { get: () => [] } });
const coordinator = {
  async get(id: string) {
    if (id === 'ended') return calc(id, 'STATUS_COMPLETED');
    if (id === 'running') return calc(id, 'STATUS_RUNNING');
    throw down();
  },
  async submit() {
    return calc('new', 'STATUS_QUEUED');
  },
  watch: () => () => {},
  close: () => {},
} as unknown as CoordinatorClient;

const WRITER = 'writer-token';
const tokens: ApiTokens = {
  enabled: true,
  readPolicy: 'open',
  verify: (t) => (t === WRITER ? { name: 'writer', scope: 'write' } : undefined),
  close: () => {},
};

let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  app = buildApp({
    coordinator,
    kube: await createKubeReader({ env: {} }),
    tokens,
    limits: { rateLimitMax: 1, rateLimitWindowMs: 60_000, maxEventStreams: 10, maxEventStreamsPerClient: 10 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
});

/** The headers helmet itself sets on a real Node response with the gateway's options. */
async function helmetOnARealResponse(): Promise<Record<string, string>> {
  const middleware = helmet(helmetOptions(dashboardHtml()));
  const server = createServer((req, res) => middleware(req, res, () => res.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    return Object.fromEntries([...res.headers].filter(([k]) => !skip.has(k)));
  } finally {
    server.close();
  }
}

const post = (path: string, auth?: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ points: 1000 }),
  });

function expectSecurityHeaders(headers: Headers | IncomingHttpHeaders, what: string): void {
  const get = (k: string) => (headers instanceof Headers ? headers.get(k) : (headers[k] as string | undefined));
  for (const [name, value] of Object.entries(securityHeaders(dashboardHtml()))) expect(get(name), `${what}: ${name}`).toBe(value);
}

describe('the edge hooks on every answer', () => {
  it('computes the same headers helmet sets on a real response', async () => {
    const expected = await helmetOnARealResponse();
    expect(securityHeaders(dashboardHtml())).toEqual(expected);
    expect(expected['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(expected['x-content-type-options']).toBe('nosniff');
  });

  it('sends the security headers on answers of every kind', async () => {
    const ended = await fetch(`${base}/api/calculate/ended`);
    expect(ended.status).toBe(200);
    const etag = ended.headers.get('etag')!;
    const answers: [string, Response, number][] = [
      ['GET ended', ended, 200],
      ['304', await fetch(`${base}/api/calculate/ended`, { headers: { 'if-none-match': etag } }), 304],
      ['401', await post('/api/calculate'), 401],
      ['404', await fetch(`${base}/nowhere`), 404],
      ['415', await fetch(`${base}/api/calculate`, { method: 'POST', headers: { authorization: `Bearer ${WRITER}` }, body: 'x' }), 415],
      ['503', await fetch(`${base}/api/calculate/other`), 503],
      ['dashboard', await fetch(`${base}/`), 200],
      ['healthz', await fetch(`${base}/healthz`), 200],
    ];
    for (const [what, res, status] of answers) {
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res.headers, what);
    }
  });

  it('sends them on the event stream, whose reply is hijacked', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/calculate/running/events`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expectSecurityHeaders(res.headers, 'event stream');
    ac.abort();
  });

  it('rate-limits writes only: reads carry no rate-limit headers and are never refused', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/api/calculate/ended`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
    const first = await post('/api/calculate', WRITER);
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    const second = await post('/api/calculate', WRITER);
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectSecurityHeaders(second.headers, '429');
  });

  it('observes every answer in the latency histogram, an unknown path as route "unmatched"', async () => {
    await fetch(`${base}/api/calculate/ended`);
    await fetch(`${base}/nowhere`);
    const text = await (await fetch(`${base}/metrics`)).text();
    const count = (labels: string) =>
      Number(new RegExp(`^pigrid_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(count('method="GET",route="/api/calculate/:id",status_code="200"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="unmatched",status_code="404"')).toBeGreaterThanOrEqual(1);
  });
});
