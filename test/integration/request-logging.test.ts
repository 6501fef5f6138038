/**
 * The gateway logs each REST request through its pino logger: one line when it completes, with the request id as
 * `reqId` (gateway/request-log.ts), except the probes, which only show at debug, and nothing per request with
 * PIGRID_LOG_REQUESTS=false. The real app through inject().
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../gateway/app.js';
import { createCoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import { captureLogs } from '../../harness/log-lines.js';
import type { LogLevel } from '../../shared/logger.js';

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function gateway(level: LogLevel, logRequests = true) {
  const { log, records } = captureLogs(level);
  // Nothing here reaches the coordinator: a client that never dials is enough.
  const coordinator = createCoordinatorClient('127.0.0.1:9', 1_000);
  const app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }), log, logRequests });
  closers.push(
    () => app.close(),
    () => coordinator.close(),
  );
  return { app, records };
}

describe('gateway request logging', () => {
  it('logs one line per request as it completes, with its request id, method, url, status, time and client', async () => {
    const { app, records } = await gateway('info');
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here', remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(404);
    const lines = records.filter((r) => r.reqId !== undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      component: 'test',
      reqId: expect.any(String) as unknown,
      method: 'GET',
      url: '/api/nothing-here',
      statusCode: 404,
      responseTime: expect.any(Number) as unknown,
      client: 'ip:10.1.2.3',
    });
  });

  it('writes no request line with PIGRID_LOG_REQUESTS=false, and still logs a failed route with its request id', async () => {
    const { app, records } = await gateway('debug', false);
    for (const url of ['/api/nothing-here', '/healthz']) await app.inject({ method: 'GET', url });
    // The coordinator is unreachable: the route's error handler logs the failure, tied to the request.
    const res = await app.inject({ method: 'GET', url: '/api/calculate/abc' });
    expect(res.statusCode).toBe(503);
    const lines = records.filter((r) => r.reqId !== undefined);
    expect(lines).toMatchObject([{ level: 40, msg: 'coordinator unavailable', url: '/api/calculate/abc', status: 503 }]);
  });

  it('keeps the probes out of the log at info and shows them at debug', async () => {
    const quiet = await gateway('info');
    for (const url of ['/healthz', '/metrics']) expect((await quiet.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(quiet.records.filter((r) => r.reqId !== undefined)).toEqual([]);

    const verbose = await gateway('debug');
    expect((await verbose.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(verbose.records.filter((r) => r.reqId !== undefined)).toMatchObject([{ level: 20, msg: 'request completed', url: '/healthz' }]);
  });
});
