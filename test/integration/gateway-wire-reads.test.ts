/**
 * The wire path (gateway/wire-reads.ts): a GET of a calculation the gateway already knows is answered at the HTTP
 * server's request event, without Fastify's request, reply and hooks, and must answer exactly as the Fastify route
 * does: the same status, header lines in the same order, body, 304, request log line and latency histogram series.
 * Everything a hook or the router decides still goes through Fastify. The real app on loopback (inject() never
 * reaches the wire path: it calls Fastify's routing directly); the coordinator is a fake of our CoordinatorClient.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Calculation__Output } from '../../generated/proto/pigrid/v1/Calculation.js';
import { buildApp } from '../../gateway/app.js';
import type { CoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import type { ApiTokens } from '../../shared/api-tokens.js';
import { captureLogs } from '../../harness/log-lines.js';
import { calculationOutput } from '../fakes/calculation-output.js';

const calc = (id: string, status: Calculation__Output['status']) => calculationOutput(id, status, 5);
const notFound = () =>
  Object.assign(new Error('no such calculation'), { code: 5, details: 'no such calculation', metadata: { get: () => [] } });
const coordinator = {
  async get(id: string) {
    if (id.startsWith('ended')) return calc(id, 'STATUS_COMPLETED');
    if (id.startsWith('running')) return calc(id, 'STATUS_RUNNING');
    throw notFound();
  },
  watch: () => () => {},
  close: () => {},
} as unknown as CoordinatorClient;

interface Answer {
  status: number;
  /** Header lines as sent, in order, without Date (which Node writes from the clock). */
  lines: [string, string][];
  body: string;
}

/** One request on a fresh connection: the raw header lines in their order. */
function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const lines: [string, string][] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() !== 'date') lines.push([raw[i], raw[i + 1]]);
        resolve({ status: res.statusCode!, lines, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const header = (a: Answer, name: string) => a.lines.find(([k]) => k.toLowerCase() === name)?.[1];

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

describe('the wire path of GET /api/calculate/{id}', () => {
  const { log, records } = captureLogs('info');
  let app: FastifyInstance;
  let base: string;
  /** Requests that reached Fastify's hooks. */
  const viaFastify: string[] = [];

  beforeAll(async () => {
    app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }), log });
    app.addHook('onRequest', (request, _reply, done) => {
      viaFastify.push(request.url);
      done();
    });
    base = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers a known calculation as the Fastify route does: status, header lines in order, body, 304', async () => {
    for (const id of ['ended-1', 'running-1']) {
      // The first read asks the coordinator (Fastify); an Authorization header always goes to Fastify too.
      const first = await get(base, `/api/calculate/${id}`);
      const routed = await get(base, `/api/calculate/${id}`, { authorization: 'Basic eDp5' });
      const before = viaFastify.length;
      const wire = await get(base, `/api/calculate/${id}`);
      expect(viaFastify.length, 'the wire path runs no Fastify hook').toBe(before);
      expect(wire).toEqual(first);
      expect(wire).toEqual(routed);
      expect(wire.status).toBe(200);
      expect(JSON.parse(wire.body)).toMatchObject({ id });

      const etag = header(wire, 'etag')!;
      const notModifiedRouted = await get(base, `/api/calculate/${id}`, { 'if-none-match': etag, authorization: 'Basic eDp5' });
      const notModified = await get(base, `/api/calculate/${id}`, { 'if-none-match': etag });
      expect(viaFastify.length).toBe(before + 1);
      expect(notModified.status).toBe(304);
      expect(notModified).toEqual(notModifiedRouted);
      // Another ETag: the whole answer again.
      expect(await get(base, `/api/calculate/${id}`, { 'if-none-match': '"other"' })).toEqual(wire);
    }
  });

  it('writes the same request line and latency series as the Fastify route', async () => {
    await get(base, '/api/calculate/ended-2');
    const routedAt = records.length;
    await get(base, '/api/calculate/ended-2?via=fastify');
    const wireAt = records.length;
    await get(base, '/api/calculate/ended-2');
    const [routed, wire] = [records[routedAt], records[wireAt]];
    const shape = { level: 30, msg: 'request completed', component: 'test', method: 'GET', statusCode: 200, client: 'ip:127.0.0.1' };
    expect(routed).toMatchObject({ ...shape, url: '/api/calculate/ended-2?via=fastify' });
    expect(wire).toMatchObject({ ...shape, url: '/api/calculate/ended-2' });
    expect(Object.keys(wire)).toEqual(Object.keys(routed));
    expect(typeof wire.responseTime).toBe('number');
    // One request id counter for both paths.
    const n = (r: typeof wire) => parseInt(String(r.reqId).slice('req-'.length), 36);
    expect(String(wire.reqId)).toMatch(/^req-[0-9a-z]+$/);
    expect(n(wire)).toBe(n(routed) + 1);

    const metrics = await get(base, '/metrics');
    const count = (status: number) =>
      Number(
        new RegExp(
          `^pigrid_http_request_duration_seconds_count\\{method="GET",route="/api/calculate/:id",status_code="${status}"\\} (\\d+)$`,
          'm',
        ).exec(metrics.body)?.[1],
      );
    // Every 200 and 304 of this file so far, whichever path answered it.
    expect(count(200)).toBe(11);
    expect(count(304)).toBe(4);
  });

  it('leaves to Fastify what the router or a hook decides', async () => {
    await get(base, '/api/calculate/ended-3');
    const cases: [string, Record<string, string>, string, number][] = [
      ['/api/calculate/unknown-1', {}, 'GET', 404],
      ['/api/calculate/ended-3', {}, 'HEAD', 200],
      ['/api/calculate/ended%2D3', {}, 'GET', 200],
      ['/api/calculate/ended-3/', {}, 'GET', 404],
      [`/api/calculate/ended-3${'x'.repeat(100)}`, {}, 'GET', 414],
    ];
    for (const [path, headers, method, status] of cases) {
      const before = viaFastify.length;
      const a = await get(base, path, headers, method);
      expect(a.status, `${method} ${path}`).toBe(status);
      expect(viaFastify.length - before, `${method} ${path} went through Fastify`).toBe(status === 414 ? 0 : 1);
    }
  });

  it('runs no other hook on the route than the two it stands in for', async () => {
    // The wire path does what these hooks do (security headers, latency histogram) and leaves requests with a token
    // to the auth hook. A new hook on GET /api/calculate/:id needs its work done in gateway/wire-reads.ts too.
    const bare = buildApp({ coordinator, kube: await createKubeReader({ env: {} }) });
    await bare.ready();
    const tree = bare.printRoutes({ includeHooks: true, commonPrefix: false, method: 'GET' }).split('\n');
    const at = tree.findIndex((l) => l.includes('/:id (GET)'));
    const hooks = tree.slice(at + 1).filter((l, i, all) => l.includes('•') && all.slice(0, i).every((p) => p.includes('•')));
    expect(hooks.map((l) => l.slice(l.indexOf('•')))).toEqual([
      '• (onRequest) ["sendSecurityHeaders()"]',
      '• (onResponse) ["observeLatency()"]',
    ]);
    await bare.close();
  });
});

describe('the wire path with API tokens', () => {
  const tokens = (readPolicy: 'open' | 'token'): ApiTokens => ({
    enabled: true,
    readPolicy,
    verify: (t) => (t === 'reader' ? { name: 'reader', scope: 'read' } : undefined),
    close: () => {},
  });

  it('leaves every read to the auth hook when reads need a token', async () => {
    const app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }), tokens: tokens('token') });
    try {
      const base = await listen(app);
      expect((await get(base, '/api/calculate/ended-1', { authorization: 'Bearer reader' })).status).toBe(200);
      const refused = await get(base, '/api/calculate/ended-1');
      expect(refused.status).toBe(401);
      expect(header(refused, 'www-authenticate')).toBe('Bearer realm="pigrid"');
    } finally {
      await app.close();
    }
  });

  it('answers an open read without a token, and sends a bad token to the auth hook', async () => {
    const app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }), tokens: tokens('open') });
    try {
      const base = await listen(app);
      await get(base, '/api/calculate/ended-1');
      expect((await get(base, '/api/calculate/ended-1')).status).toBe(200);
      expect((await get(base, '/api/calculate/ended-1', { authorization: 'Bearer wrong' })).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
