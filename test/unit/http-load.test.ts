/**
 * The REST bench's GET load generator (bench/http-load.ts) against a local HTTP server: every answer is read whole
 * and counted, non-2xx answers are counted as such, and an answer it cannot frame (chunked) is an error, not a
 * request. Each connection has one request in flight: the server never sees two at once on one socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHttpLoad } from '../../bench/http-load.js';

let server: Server;
let base: string;
let served = 0;
let overlapped = 0;
const inFlight = new Map<unknown, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const n = (inFlight.get(req.socket) ?? 0) + 1;
    if (n > 1) overlapped++;
    inFlight.set(req.socket, n);
    res.on('finish', () => inFlight.set(req.socket, (inFlight.get(req.socket) ?? 1) - 1));
    served++;
    if (req.url === '/chunked') {
      res.write('part');
      res.end('rest');
      return;
    }
    const body = req.url === '/missing' ? '{"error":{}}' : JSON.stringify({ big: 'x'.repeat(5000) });
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('http-load', () => {
  it('reads every answer whole, one request in flight per connection', async () => {
    served = 0;
    const r = await runHttpLoad(`${base}/ok?x=1`, 8, 0.3);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.requests).toBe(served);
    expect(r.non2xx).toBe(0);
    expect(r.errors).toBe(0);
    expect(overlapped).toBe(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(r.cpuUsPerRequest).toBeGreaterThan(0);
  });

  it('counts non-2xx answers', async () => {
    const r = await runHttpLoad(`${base}/missing`, 4, 0.2);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.non2xx).toBe(r.requests);
  });

  it('counts an answer without Content-Length as an error and closes that connection', async () => {
    const r = await runHttpLoad(`${base}/chunked`, 3, 0.2);
    expect(r.requests).toBe(0);
    expect(r.errors).toBe(3);
  });
});
