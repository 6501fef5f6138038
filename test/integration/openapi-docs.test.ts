/**
 * The REST API's OpenAPI document (GET /openapi.json) and Swagger UI (/docs), against a real gateway, coordinator and
 * workers: the document validates as OpenAPI 3.1; it documents every route the gateway registers; its schemas match
 * real answers field for field (they document, they do not serialise); /docs shows every operation in Debian's
 * Chromium under the gateway's Content-Security-Policy, and the documented example, sent from /docs with a token
 * entered in its Authorize dialog, starts a calculation that completes.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculationSchema, errorSchema, listSchema } from '../../gateway/api-schemas.js';
import { buildApp } from '../../gateway/app.js';
import { createCoordinatorClient, type CoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import { DOCS_PREFIX } from '../../gateway/openapi.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { http, submit, waitDone } from '../../harness/rest.js';
import { clientCredentials } from '../../harness/tls.js';
import { hashToken } from '../../shared/api-tokens.js';

const TOKEN = 'openapi-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
}
interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
}

/** `METHOD /path/{param}` of every operation in the document. */
function documented(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** `METHOD /path` of every route in Fastify's router, from `printRoutes` (one node a line, indented 4 per level). */
function routerRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[└├]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    for (const method of m[3]?.split(', ') ?? []) out.push(`${method} ${stack.join('')}`);
  }
  return out;
}

const isDocsUi = (route: string) => route.split(' ')[1] === DOCS_PREFIX || route.split(' ')[1].startsWith(`${DOCS_PREFIX}/`);
const withoutAutoHead = (routes: string[]) =>
  routes.filter((r) => !(r.startsWith('HEAD ') && routes.includes(`GET ${r.slice('HEAD '.length)}`)));
const toOpenApiPath = (route: string) => route.replace(/:(\w+)/g, '{$1}');

type Schema = { type?: string | readonly string[]; properties?: Record<string, Schema>; required?: readonly string[]; items?: Schema };

/** Where `value` differs from `schema`: missing or undocumented properties, wrong JSON types (this API's schemas only). */
function mismatches(schema: Schema, value: unknown, at = '$'): string[] {
  const jsonType =
    value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : (typeof value as string);
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type);
  if (types.length > 0 && !types.includes(jsonType) && !(jsonType === 'integer' && types.includes('number'))) {
    return [`${at}: ${jsonType}, documented ${types.join('|')}`];
  }
  if (jsonType === 'array' && schema.items) return (value as unknown[]).flatMap((v, i) => mismatches(schema.items!, v, `${at}[${i}]`));
  if (jsonType !== 'object' || !schema.properties) return [];
  const obj = value as Record<string, unknown>;
  return [
    ...Object.keys(obj)
      .filter((k) => !(k in schema.properties!))
      .map((k) => `${at}.${k}: not documented`),
    ...(schema.required ?? []).filter((k) => !(k in obj)).map((k) => `${at}.${k}: documented as required, missing`),
    ...Object.entries(obj).flatMap(([k, v]) => (schema.properties![k] ? mismatches(schema.properties![k], v, `${at}.${k}`) : [])),
  ];
}

let c: Cluster;
let doc: Doc;

beforeAll(async () => {
  const tokens = join(mkdtempSync(join(tmpdir(), 'pigrid-openapi-')), 'tokens');
  writeFileSync(tokens, `docs ${hashToken(TOKEN)} write\n`);
  c = await startCluster({
    workers: 2,
    coordinatorEnv: { PIGRID_API_TOKENS_FILE: tokens },
    gatewayEnv: { PIGRID_API_TOKENS_FILE: tokens },
  });
  const res = await http(`${c.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = res.json as Doc;
});
afterAll(async () => {
  await stopAll();
});

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1, with the bearer scheme and the shared error body', async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'Calculation']));
    const submitOp = doc.paths['/api/calculate'].post;
    const cancelOp = doc.paths['/api/calculate/{id}/cancel'].post;
    for (const write of [submitOp, cancelOp]) {
      expect(write.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(write.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
      expect(write.responses['429'].headers).toHaveProperty('retry-after');
      expect(JSON.stringify(write.responses['400'] ?? write.responses['404'])).toContain('#/components/schemas/Error');
    }
    // Reads: a token only with PIGRID_READ_AUTH=token. Health, metrics and the dashboard: never.
    expect(doc.paths['/api/calculate/{id}'].get.security).toEqual([{ bearerAuth: [] }, {}]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('documents every route the gateway registers (except the docs UI’s own), and is what the gateway serves', async () => {
    let coordinator: CoordinatorClient | undefined;
    let app: FastifyInstance | undefined;
    try {
      coordinator = createCoordinatorClient(c.grpc, 5_000, await clientCredentials());
      // The gateway process runs this same buildApp; built here, its routes can be collected as they register.
      app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }) });
      const registered: string[] = [];
      app.addHook('onRoute', (route) => {
        for (const method of ([] as string[]).concat(route.method)) registered.push(`${method} ${route.url}`);
      });
      await app.ready();
      expect((await app.inject('/readyz')).statusCode).toBe(200);
      // The router agrees with the hook: no route was added where the hook (and @fastify/swagger's) could not see it.
      expect(new Set(routerRoutes(app.printRoutes({ commonPrefix: false })).filter((r) => !isDocsUi(r)))).toEqual(
        new Set(registered.filter((r) => !isDocsUi(r))),
      );
      const api = withoutAutoHead(registered.filter((r) => !isDocsUi(r))).map(toOpenApiPath);
      expect(api.length).toBeGreaterThanOrEqual(16);
      expect(new Set(documented(doc))).toEqual(new Set(api));
      expect(app.swagger()).toEqual(doc);
    } finally {
      await app?.close();
      coordinator?.close();
    }
  });

  it('matches real answers field for field: a calculation, a page, an error, a 429 with Retry-After', async () => {
    const done = await waitDone(c.url, (await submit(c.url, { points: 20_000_000, chunk_size: 1_000_000, seed: 3 }, AUTH)).id);
    expect(done.status).toBe('completed');
    expect(mismatches(calculationSchema, done)).toEqual([]);
    const running = await submit(c.url, { points: 1_000_000_000_000, chunk_size: 100_000_000 }, AUTH);
    expect(mismatches(calculationSchema, running)).toEqual([]);
    const cancelled = await http(`${c.url}/api/calculate/${running.id}/cancel`, 'POST', undefined, AUTH);
    expect(cancelled.status).toBe(200);
    expect(mismatches(calculationSchema, cancelled.json)).toEqual([]);
    const page = await http(`${c.url}/api/calculate?page_size=1`);
    const pageSchema = listSchema.response[200];
    expect(Object.keys(page.json).sort()).toEqual(Object.keys(pageSchema.properties).sort());
    expect(
      mismatches(
        { ...pageSchema, properties: { ...pageSchema.properties, calculations: { type: 'array', items: calculationSchema } } },
        page.json,
      ),
    ).toEqual([]);
    const bad = await http(`${c.url}/api/calculate`, 'POST', { points: '100', mode: 'fast', extra: 1 }, AUTH);
    expect(bad.status).toBe(400);
    expect(bad.json.error.violations).toHaveLength(3);
    expect(mismatches(errorSchema as Schema, bad.json)).toEqual([]);

    // A gateway that allows one write per minute: the second is refused as documented.
    const coordinator = createCoordinatorClient(c.grpc, 5_000, await clientCredentials());
    const app = buildApp({
      coordinator,
      kube: await createKubeReader({ env: {} }),
      limits: { rateLimitMax: 1, rateLimitWindowMs: 60_000, maxEventStreams: 10, maxEventStreamsPerClient: 10 },
    });
    try {
      const write = () => app.inject({ method: 'POST', url: '/api/calculate', payload: { points: 'x' } });
      expect((await write()).statusCode).toBe(400);
      const limited = await write();
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(mismatches(errorSchema as Schema, limited.json())).toEqual([]);
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      expect(doc.paths['/api/calculate'].post.responses['429'].description).toContain('RATE_LIMITED');
    } finally {
      await app.close();
      coordinator.close();
    }
  });
});

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: /docs browser test needs ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('/docs in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows every operation under the gateway’s CSP, and runs the documented submit example with a token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const offOrigin: string[] = [];
    // Every CSP violation the page meets, blocked or not (the console shows only some).
    await page.addInitScript(() => {
      type Violation = { violatedDirective: string; blockedURI: string };
      const g = globalThis as unknown as {
        cspViolations: string[];
        document: { addEventListener(type: string, fn: (e: Violation) => void): void };
      };
      g.cspViolations = [];
      g.document.addEventListener('securitypolicyviolation', (e) => g.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (new URL(r.url()).origin !== c.url && !r.url().startsWith('data:')) offOrigin.push(r.url());
    });

    const res = await page.goto(`${c.url}${DOCS_PREFIX}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'[;'\s]/);
    expect(res?.headers()['content-security-policy']).not.toContain('unsafe');

    const operations = page.locator('.opblock');
    await page
      .locator('.opblock')
      .nth(documented(doc).length - 1)
      .waitFor({ timeout: 20_000 });
    const shown = await page
      .locator('.opblock-summary')
      .evaluateAll((els) =>
        els.map(
          (el) =>
            `${el.querySelector('.opblock-summary-method')?.textContent?.trim()} ${el.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
        ),
      );
    expect(new Set(shown)).toEqual(new Set(documented(doc)));
    expect(await operations.count()).toBe(documented(doc).length);

    // Authorize with the API token, as a newcomer would.
    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('.modal-ux input').fill(TOKEN);
    await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
    await page.locator('.modal-ux .btn-done').click();

    const example = doc.paths['/api/calculate'].post.requestBody!.content['application/json'].example as Record<string, unknown>;
    const submitOp = page.locator('.opblock-post', { has: page.locator('.opblock-summary-path[data-path="/api/calculate"]') });
    await submitOp.locator('.opblock-summary').click();
    await submitOp.locator('.try-out__btn').click();
    expect(JSON.parse(await submitOp.locator('textarea.body-param__text').inputValue())).toEqual(example);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${c.url}/api/calculate` && r.request().method() === 'POST'),
      submitOp.locator('.execute').click(),
    ]);
    expect(answer.request().headers().authorization).toBe(`Bearer ${TOKEN}`);
    expect(answer.status()).toBe(202);
    await submitOp.locator('.live-responses-table .response-col_status', { hasText: '202' }).waitFor();
    const created = (await answer.json()) as { id: string };
    const done = await waitDone(c.url, created.id);
    expect(done).toMatchObject({ status: 'completed', points: example.points, seed: example.seed, chunk_size: example.chunk_size });
    expect(done.result_pi).toBeCloseTo(Math.PI, 2);

    expect(await page.evaluate(() => (globalThis as unknown as { cspViolations?: string[] }).cspViolations ?? [])).toEqual([]);
    expect(problems).toEqual([]);
    expect(offOrigin).toEqual([]);
  });
});
