/**
 * The local run's control channel: HTTP/1.1 over a unix socket (./data/local-run.sock by default, mode 0600, so
 * only its owner can use it). `pigrid local status` and `pigrid local scale N` talk to it.
 *
 *   GET  /v1/status                 → RunnerStatus
 *   POST /v1/scale {"workers": N}   → RunnerStatus (new workers starting, removed ones draining)
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { dirname } from 'node:path';
import type { ProcessStatus } from './supervisor.js';

export interface RunnerStatus {
  /** http://host:port of the gateway once it is ready. */
  gateway_url: string | null;
  /** Workers wanted (what `scale` set). */
  desired_workers: number;
  /** Largest number `scale` accepts. */
  max_workers: number;
  coordinator: ProcessStatus;
  gateway: ProcessStatus;
  /** Workers by slot, including ones still draining after a scale-down. */
  workers: (ProcessStatus & { removing: boolean })[];
  /** The loopback DNS server the coordinator discovers workers through. */
  dns: { server: string; service: string; endpoints: string[] };
}

export interface ControlHandlers {
  status(): RunnerStatus;
  /** Throws a RangeError for a bad count (answered 400). */
  scale(workers: number): RunnerStatus;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Is something answering on this socket? (A stale file from a killed runner is not.) */
function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: path, path: '/v1/status', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function startControlServer(path: string, handlers: ControlHandlers): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    if (await alive(path)) throw new Error(`another local run is using ${path}; stop it first (or set PIGRID_LOCAL_CONTROL)`);
    unlinkSync(path);
  }
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (req.method === 'GET' && req.url === '/v1/status') return reply(200, handlers.status());
        if (req.method === 'POST' && req.url === '/v1/scale') {
          let body: { workers?: unknown };
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { workers?: unknown };
          } catch {
            return reply(400, { error: { code: 'INVALID_BODY', message: 'the body must be JSON like {"workers": 3}' } });
          }
          if (typeof body.workers !== 'number')
            return reply(400, { error: { code: 'INVALID_ARGUMENT', message: 'workers must be a number' } });
          try {
            return reply(200, handlers.scale(body.workers));
          } catch (err) {
            if (err instanceof RangeError) return reply(400, { error: { code: 'INVALID_ARGUMENT', message: err.message } });
            throw err;
          }
        }
        reply(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
      } catch (err) {
        reply(500, { error: { code: 'INTERNAL', message: (err as Error).message } });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  let closed: Promise<void> | undefined;
  return {
    path,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      });
      return closed;
    },
  };
}
