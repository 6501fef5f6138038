/**
 * Tokens, scopes and bounds through the real gateway and coordinator: 401 with WWW-Authenticate, 403 for a read-only
 * token, the same tokens on gRPC, the rate limit (429 + Retry-After) and each cap with its code.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalculationsClient } from '../../generated/proto/pigrid/v1/Calculations.js';
import { hashToken } from '../../shared/api-tokens.js';
import { calculationsClient, unary } from '../../harness/grpc-client.js';
import { startProcess, stopAll, tempDbPath, type Proc } from '../../harness/processes.js';
import { http } from '../../harness/rest.js';
import { clientCredentials, identity } from '../../harness/tls.js';

const TOKENS = {
  alice: 'alice-secret-1',
  bob: 'bob-secret-2',
  carol: 'carol-secret-3',
  viewer: 'viewer-secret-4',
  dave: 'dave-secret-5',
  erin: 'erin-secret-6',
};
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
// No workers: distributed calculations stay queued, so the caps fill up deterministically.
const BIG = { points: 10_000_000_000, mode: 'distributed' };

let coordinator: Proc;
let url: string;
let client: CalculationsClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pigrid-auth-'));
  const file = join(dir, 'tokens');
  writeFileSync(
    file,
    `alice ${hashToken(TOKENS.alice)}\nbob ${hashToken(TOKENS.bob)} write\ncarol ${hashToken(TOKENS.carol)}\nviewer ${hashToken(TOKENS.viewer)} read\ndave ${hashToken(TOKENS.dave)}\nerin ${hashToken(TOKENS.erin)}\n`,
  );
  const auth = { PIGRID_API_TOKENS_FILE: file };
  coordinator = await startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: tempDbPath(),
    PIGRID_THREADS: '1',
    ...auth,
    PIGRID_MAX_ACTIVE_CALCULATIONS: '3',
    PIGRID_MAX_ACTIVE_PER_CLIENT: '2',
    PIGRID_MAX_QUEUED_POINTS: '35000000000',
    PIGRID_MAX_WATCH_STREAMS: '2',
  });
  const gateway = await startProcess('gateway', 'gateway', {
    PIGRID_HTTP_PORT: '0',
    PIGRID_COORDINATOR: coordinator.ready.grpc,
    ...auth,
    PIGRID_RATE_LIMIT_MAX: '5',
    PIGRID_MAX_EVENT_STREAMS_PER_CLIENT: '1',
  });
  url = gateway.ready.url;
  client = await calculationsClient(coordinator.ready.grpc);
});
afterAll(async () => {
  client?.close();
  await stopAll();
});

function expectShape(r: { status: number; json: any; text: string }, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(r.json.error.code).toBe(code);
}

describe('REST tokens', () => {
  it('answers a write without a token 401 with a Bearer challenge, and one with a bad token 401 invalid_token', async () => {
    const none = await fetch(`${url}/api/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BIG),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="pigrid"');
    // The security headers come first of all hooks (gateway/security-headers.ts), so a refusal carries them too.
    expect(none.headers.get('x-content-type-options')).toBe('nosniff');
    expect(none.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(((await none.json()) as any).error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/Authorization: Bearer <token>/),
    });
    const bad = await fetch(`${url}/api/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('nope') },
      body: JSON.stringify(BIG),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="pigrid", error="invalid_token"');
    const basic = await http(`${url}/api/calculate`, 'POST', BIG, { authorization: 'Basic YTpi' });
    expectShape(basic, 401, 'UNAUTHENTICATED');
  });

  it('answers a read-only token 403 on a write, and lets it read', async () => {
    const r = await fetch(`${url}/api/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKENS.viewer) },
      body: JSON.stringify(BIG),
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(((await r.json()) as any).error.code).toBe('FORBIDDEN');
    expect((await http(`${url}/api/calculate`, 'GET', undefined, bearer(TOKENS.viewer))).status).toBe(200);
  });

  it('keeps reads, the dashboard and health open under the default read policy', async () => {
    for (const path of ['/api/calculate', '/', '/healthz', '/readyz', '/api/k8s/status'])
      expect((await http(`${url}${path}`)).status, path).toBe(200);
  });

  it('sends the dashboard with a CSP that allows nothing inline and no other origin', async () => {
    const res = await fetch(`${url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    // The page's script and styles are served files; an inline block would be allowed by its hash only.
    expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;/);
    expect(csp).toMatch(/style-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('gRPC Calculations takes the same tokens in metadata', () => {
  const md = (t?: string) => {
    const m = new grpc.Metadata();
    if (t) m.set('authorization', `Bearer ${t}`);
    return m;
  };
  const submitWith = (c: CalculationsClient, m: grpc.Metadata) =>
    new Promise<{ error?: grpc.ServiceError; id?: string }>((resolve) =>
      c.Submit({ points: 1_000_000, mode: 'MODE_DISTRIBUTED' }, m, (err, res) => resolve(err ? { error: err } : { id: res!.id })),
    );

  it('refuses Submit without a token (UNAUTHENTICATED), with a read token (PERMISSION_DENIED), and from a worker certificate', async () => {
    const none = await submitWith(client, md());
    expect(none.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.error?.metadata.get('pigrid-code')).toEqual(['UNAUTHENTICATED']);
    const viewer = await submitWith(client, md(TOKENS.viewer));
    expect(viewer.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    const asWorker = await calculationsClient(coordinator.ready.grpc, await clientCredentials(await identity('worker', 'worker-9')));
    try {
      const w = await submitWith(asWorker, md(TOKENS.carol));
      expect(w.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(w.error?.metadata.get('pigrid-code')).toEqual(['FORBIDDEN']);
    } finally {
      asWorker.close();
    }
    await coordinator.waitFor(/gRPC call refused .*code=FORBIDDEN/);
  });

  it('accepts a write token, and lets anyone with a certificate of the CA read', async () => {
    const ok = await submitWith(client, md(TOKENS.carol));
    expect(ok.error).toBeUndefined();
    const got = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.Cancel({ id: ok.id! }, md(TOKENS.carol), (err) => resolve(err)),
    );
    expect(got).toBeNull();
    const { error } = await unary((cb) => client.ClusterStatus({}, cb));
    expect(error).toBeUndefined();
  });

  it('refuses a Watch past PIGRID_MAX_WATCH_STREAMS with RESOURCE_EXHAUSTED', async () => {
    const r = await http(`${url}/api/calculate`, 'POST', { points: 1_000_000_000, mode: 'distributed' }, bearer(TOKENS.carol));
    expect(r.status).toBe(202);
    const open: grpc.ClientReadableStream<unknown>[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = client.Watch({ id: r.json.id });
        s.on('error', () => {}); // CANCELLED when the test closes it
        open.push(s);
        await new Promise((resolve) => s.once('data', resolve));
      }
      const third = client.Watch({ id: r.json.id });
      open.push(third);
      const err = await new Promise<grpc.ServiceError>((resolve) => third.on('error', resolve));
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(err.metadata.get('pigrid-code')).toEqual(['TOO_MANY_STREAMS']);
    } finally {
      for (const s of open) s.cancel();
      await http(`${url}/api/calculate/${r.json.id}/cancel`, 'POST', undefined, bearer(TOKENS.carol));
    }
  });
});

describe('bounds', () => {
  const post = (token: string, body: object = BIG) => http(`${url}/api/calculate`, 'POST', body, bearer(token));

  it('caps calculations per client, queued points and calculations overall, each with its code', async () => {
    const a1 = await post(TOKENS.alice, { points: 20_000_000_000, mode: 'distributed' });
    expect(a1.status).toBe(202);
    expect((await post(TOKENS.alice, { points: 1_000_000_000, mode: 'distributed' })).status).toBe(202);
    const perClient = await post(TOKENS.alice);
    expectShape(perClient, 429, 'TOO_MANY_CALCULATIONS');
    expect(perClient.json.error.message).toMatch(/at most 2 per client/);

    // 21e9 queued; 20e9 more would pass 35e9.
    const points = await post(TOKENS.bob, { points: 20_000_000_000, mode: 'distributed' });
    expectShape(points, 429, 'TOO_MANY_QUEUED_POINTS');
    expect(points.json.error.field).toBe('points');
    expect((await post(TOKENS.bob, { points: 1_000_000_000, mode: 'distributed' })).status).toBe(202);
    const overall = await post(TOKENS.bob, { points: 1_000_000_000, mode: 'distributed' });
    expectShape(overall, 429, 'TOO_MANY_CALCULATIONS');
    expect(overall.json.error.message).toMatch(/at most 3\)/);

    // A cancel frees a place.
    expect((await http(`${url}/api/calculate/${a1.json.id}/cancel`, 'POST', undefined, bearer(TOKENS.alice))).status).toBe(200);
    expect((await post(TOKENS.bob, { points: 1_000_000_000, mode: 'distributed' })).status).toBe(202);
  });

  it('caps open event streams per client with 429 TOO_MANY_STREAMS', async () => {
    const list = await http(`${url}/api/calculate?page_size=10`);
    const active = list.json.calculations.find((c: { status: string }) => c.status === 'queued');
    expect(active).toBeDefined();
    const first = new AbortController();
    const res = await fetch(`${url}/api/calculate/${active.id}/events`, { signal: first.signal, headers: bearer(TOKENS.bob) });
    expect(res.status).toBe(200);
    try {
      const second = await http(`${url}/api/calculate/${active.id}/events`, 'GET', undefined, bearer(TOKENS.bob));
      expectShape(second, 429, 'TOO_MANY_STREAMS');
      // Another client has its own allowance.
      const other = new AbortController();
      const mine = await fetch(`${url}/api/calculate/${active.id}/events`, { signal: other.signal });
      expect(mine.status).toBe(200);
      other.abort();
    } finally {
      first.abort();
    }
  });

  it('rate-limits writes per client: 429 RATE_LIMITED with Retry-After, other clients unaffected', async () => {
    for (let i = 0; i < 5; i++) expect((await post(TOKENS.dave, { points: 0 })).status).toBe(400);
    const limited = await fetch(`${url}/api/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TOKENS.dave) },
      body: '{"points":0}',
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as any).error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/at most 5 submissions and cancels per 60 s/),
    });
    expect((await post(TOKENS.erin, { points: 0 })).status).toBe(400);
    expect((await http(`${url}/api/calculate`, 'GET', undefined, bearer(TOKENS.dave))).status).toBe(200);
  });
});
