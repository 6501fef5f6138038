/**
 * `npm start`: runs pigrid locally as separate OS processes - one coordinator, N workers, the gateway - with logs
 * prefixed by component and SQLite in ./data/. Ctrl-C shuts down cleanly: workers drain first, then the
 * coordinator and the gateway.
 *
 * Ports (env): PIGRID_HTTP_PORT 8080, PIGRID_GRPC_PORT 50051 (coordinator), PIGRID_WORKER_BASE_PORT 50061
 * (workers get 50061, 50062, ...), PIGRID_LOCAL_WORKERS 2, PIGRID_WORKER_THREADS 1 per worker.
 *
 * Mutual TLS by default: the first start creates a local CA and a certificate per process under ./data/tls
 * (scripts/local-tls.ts), plus client.pem for grpcurl; PIGRID_INSECURE=true runs plaintext instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { localTls } from './local-tls.js';

const env = process.env;
const workers = Number(env.PIGRID_LOCAL_WORKERS ?? 2);
const workerBase = Number(env.PIGRID_WORKER_BASE_PORT ?? 50061);
const grpcPort = Number(env.PIGRID_GRPC_PORT ?? 50051);
const httpPort = Number(env.PIGRID_HTTP_PORT ?? 8080);
const metricsBase = Number(env.PIGRID_METRICS_BASE_PORT ?? 9464);
const workerThreads = env.PIGRID_WORKER_THREADS ?? '1';
const mainJs = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'main.js');

const colors = ['\x1b[36m', '\x1b[33m', '\x1b[35m', '\x1b[32m', '\x1b[34m'];
const tty = process.stdout.isTTY;

function start(name: string, component: string, extra: Record<string, string>, color: string): ChildProcess {
  const child = spawn(process.execPath, [mainJs, component], {
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl-C reaches only this runner, which stops the workers first.
    detached: true,
  });
  const prefix = tty ? `${color}${name.padEnd(12)}\x1b[0m| ` : `${name.padEnd(12)}| `;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited ${signal ?? code}\n`);
    if (!stopping) void shutdown(`${name} exited`);
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const workerAddresses = Array.from({ length: workers }, (_, i) => `127.0.0.1:${workerBase + i}`);
const workerIds = workerAddresses.map((_, i) => `local-worker-${i + 1}`);
const tls = await localTls(env, workerIds);
const workerProcs = workerAddresses.map((_, i) =>
  start(`worker-${i + 1}`, 'worker', {
    PIGRID_GRPC_PORT: String(workerBase + i),
    PIGRID_METRICS_PORT: String(metricsBase + 1 + i),
    PIGRID_THREADS: workerThreads,
    PIGRID_WORKER_ID: workerIds[i],
    ...tls.env.worker(workerIds[i]),
  }, colors[(i + 2) % colors.length]),
);
const coordinator = start('coordinator', 'coordinator', {
  PIGRID_GRPC_PORT: String(grpcPort),
  PIGRID_METRICS_PORT: String(metricsBase),
  PIGRID_WORKERS: workerAddresses.join(','),
  PIGRID_DB_PATH: env.PIGRID_DB_PATH ?? './data/pigrid.db',
  ...tls.env.coordinator,
}, colors[0]);
const gateway = start('gateway', 'gateway', {
  PIGRID_HTTP_PORT: String(httpPort),
  PIGRID_COORDINATOR: `127.0.0.1:${grpcPort}`,
  ...tls.env.gateway,
}, colors[1]);

process.stdout.write(
  `\npigrid is starting: gateway http://127.0.0.1:${httpPort}  (coordinator gRPC 127.0.0.1:${grpcPort}, workers ${workerAddresses.join(' ')})\n` +
    `${tls.summary}\n` +
    `try: curl -s -XPOST http://127.0.0.1:${httpPort}/api/calculate -H 'content-type: application/json' -d '{"points": 10000000000, "mode": "distributed"}'\n` +
    `Ctrl-C stops everything (workers drain first).\n\n`,
);

let stopping = false;
async function shutdown(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\nstopping (${why}): draining workers first\n`);
  for (const w of workerProcs) w.kill('SIGTERM');
  await Promise.all(workerProcs.map(exited));
  coordinator.kill('SIGTERM');
  gateway.kill('SIGTERM');
  await Promise.all([exited(coordinator), exited(gateway)]);
  process.stdout.write('all stopped\n');
  process.exit(0);
}
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) {
      for (const c of [...workerProcs, coordinator, gateway]) c.kill('SIGKILL');
      process.exit(130);
    }
    void shutdown(sig);
  });
}
