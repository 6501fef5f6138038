/**
 * `npm start`: runs pigrid locally as separate OS processes - one coordinator, N workers, the gateway - with logs
 * prefixed by component and SQLite in ./data/. Ctrl-C shuts down cleanly: workers drain first, then the
 * coordinator and the gateway.
 *
 * Ports (env): PIGRID_HTTP_PORT 8080, PIGRID_GRPC_PORT 50051 (coordinator), PIGRID_WORKER_BASE_PORT 50061
 * (workers get 50061, 50062, ...), PIGRID_LOCAL_WORKERS 2, PIGRID_WORKER_THREADS 1 per worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORTS, EnvReader } from '../shared/config.js';
import { abortOnSignals, SECOND_SIGNAL_EXIT_CODE } from '../shared/lifecycle.js';

const env = process.env;
const settings = (() => {
  const r = new EnvReader(env);
  return r.done('local run', {
    workers: r.int('PIGRID_LOCAL_WORKERS', 2, 1, 64),
    workerBase: r.port('PIGRID_WORKER_BASE_PORT', DEFAULT_PORTS.workerGrpc),
    grpcPort: r.port('PIGRID_GRPC_PORT', DEFAULT_PORTS.coordinatorGrpc),
    httpPort: r.port('PIGRID_HTTP_PORT', DEFAULT_PORTS.gatewayHttp),
    metricsBase: r.port('PIGRID_METRICS_BASE_PORT', DEFAULT_PORTS.coordinatorMetrics),
    workerThreads: r.int('PIGRID_WORKER_THREADS', 1, 1, 1024),
  });
})();
const { workers, workerBase, grpcPort, httpPort, metricsBase } = settings;
const workerThreads = String(settings.workerThreads);
// main owns the root AbortController: the first Ctrl-C (or a component exiting) drains, a second kills at once.
const root = new AbortController();
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
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited ${signal ?? code}\n`);
    // One component gone stops the rest, as a first Ctrl-C would.
    if (!root.signal.aborted) root.abort(`${name} exited`);
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const workerAddresses = Array.from({ length: workers }, (_, i) => `127.0.0.1:${workerBase + i}`);
const workerProcs = workerAddresses.map((_, i) =>
  start(`worker-${i + 1}`, 'worker', {
    PIGRID_GRPC_PORT: String(workerBase + i),
    PIGRID_METRICS_PORT: String(metricsBase + 1 + i),
    PIGRID_THREADS: workerThreads,
    PIGRID_WORKER_ID: `local-worker-${i + 1}`,
  }, colors[(i + 2) % colors.length]),
);
const coordinator = start('coordinator', 'coordinator', {
  PIGRID_GRPC_PORT: String(grpcPort),
  PIGRID_METRICS_PORT: String(metricsBase),
  PIGRID_WORKERS: workerAddresses.join(','),
  PIGRID_DB_PATH: env.PIGRID_DB_PATH ?? './data/pigrid.db',
}, colors[0]);
const gateway = start('gateway', 'gateway', {
  PIGRID_HTTP_PORT: String(httpPort),
  PIGRID_COORDINATOR: `127.0.0.1:${grpcPort}`,
}, colors[1]);

process.stdout.write(
  `\npigrid is starting: gateway http://127.0.0.1:${httpPort}  (coordinator gRPC 127.0.0.1:${grpcPort}, workers ${workerAddresses.join(' ')})\n` +
    `try: curl -s -XPOST http://127.0.0.1:${httpPort}/api/calculate -H 'content-type: application/json' -d '{"points": 10000000000, "mode": "distributed"}'\n` +
    `Ctrl-C stops everything (workers drain first).\n\n`,
);

async function shutdown(why: string): Promise<void> {
  process.stdout.write(`\nstopping (${why}): draining workers first\n`);
  for (const w of workerProcs) w.kill('SIGTERM');
  await Promise.all(workerProcs.map(exited));
  coordinator.kill('SIGTERM');
  gateway.kill('SIGTERM');
  await Promise.all([exited(coordinator), exited(gateway)]);
  process.stdout.write('all stopped\n');
  process.exit(0);
}
root.signal.addEventListener('abort', () => void shutdown(String(root.signal.reason)), { once: true });
abortOnSignals(root, () => {
  for (const c of [...workerProcs, coordinator, gateway]) c.kill('SIGKILL');
  process.exit(SECOND_SIGNAL_EXIT_CODE);
});
