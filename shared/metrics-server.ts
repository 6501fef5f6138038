/**
 * Serves a prom-client registry at GET /metrics on its own HTTP port (beside a gRPC port), for Prometheus.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Buckets of the chunk-duration histograms (seconds): chunks are sized for about a second of one core. */
export const CHUNK_DURATION_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32];

/**
 * How often the coordinator's and the gateway's event-loop delay series (`*_nodejs_eventloop_lag_*`) sample the loop:
 * prom-client's default (10 ms) wakes an idle process 100 times a second.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics unavailable: ${err.message}\n`);
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try GET /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  let closing: Promise<void> | undefined;
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
