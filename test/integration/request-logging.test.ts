/**
 * The gateway logs each REST request through its pino logger (an incoming and a completed line, with the request id
 * as `reqId`), except the probes, which only show at debug. The real app through inject().
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

function gateway(level: LogLevel) {
  const { log, records } = captureLogs(level);
  // Nothing here reaches the coordinator: a client that never dials is enough.
  const coordinator = createCoordinatorClient('127.0.0.1:9', 1_000);
  const app = buildApp({ coordinator, kube: createKubeReader({ env: {} }), log });
  closers.push(
    () => app.close(),
    () => coordinator.close(),
  );
  return { app, records };
}

describe('gateway request logging', () => {
  it('logs a request coming in and completing, with its request id, method, url and status', async () => {
    const { app, records } = gateway('info');
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    const lines = records.filter((r) => r.reqId !== undefined);
    expect(lines.map((r) => r.msg)).toEqual(['incoming request', 'request completed']);
    expect(new Set(lines.map((r) => r.reqId)).size).toBe(1);
    expect(lines[0]).toMatchObject({ level: 30, component: 'test', req: { method: 'GET', url: '/api/nothing-here' } });
    expect(lines[1]).toMatchObject({ level: 30, res: { statusCode: 404 }, responseTime: expect.any(Number) as unknown });
  });

  it('keeps the probes out of the log at info and shows them at debug', async () => {
    const quiet = gateway('info');
    for (const url of ['/healthz', '/metrics']) expect((await quiet.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(quiet.records.filter((r) => r.reqId !== undefined)).toEqual([]);

    const verbose = gateway('debug');
    expect((await verbose.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(verbose.records.filter((r) => r.reqId !== undefined).map((r) => r.msg)).toEqual(['incoming request', 'request completed']);
  });
});
