/**
 * A whole local pigrid for tests: N workers, one coordinator, optionally the gateway - real processes on loopback.
 */
import { escapeRegExp } from './log-lines.js';
import { startProcess, tempDbPath, type Proc, type SpawnOptions } from './processes.js';

export interface ClusterOptions {
  workers?: number;
  /** Threads per worker (one entry per worker, or one for all). */
  workerThreads?: number | number[];
  coordinatorThreads?: number;
  gateway?: boolean;
  coordinatorEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  dbPath?: string;
}

export interface Cluster {
  readonly workers: Proc[];
  readonly coordinator: Proc;
  readonly gateway: Proc | undefined;
  readonly dbPath: string;
  /** host:port of the coordinator's gRPC API. */
  readonly grpc: string;
  /** http://host:port of the gateway. */
  readonly url: string;
  startWorker(name: string, env?: Record<string, string>): Promise<Proc>;
  restartCoordinator(env?: Record<string, string>): Promise<Proc>;
}

export async function startWorker(
  name: string,
  threads: number,
  env: Record<string, string> = {},
  /** How it is spawned (a benchmark's background worker: its own session, stdout drained). @default as tests see it */
  spawnOptions: SpawnOptions = {},
): Promise<Proc> {
  return startProcess(
    name,
    'worker',
    {
      PIGRID_GRPC_PORT: '0',
      PIGRID_THREADS: String(threads),
      PIGRID_WORKER_ID: name,
      PIGRID_DRAIN_GRACE_MS: '10000',
      ...env,
    },
    undefined,
    undefined,
    [],
    undefined,
    spawnOptions,
  );
}

/** The coordinator's log line for a worker's Work stream opening (`worker connected workerId=<id> …`). */
export function workerConnected(workerId: string): RegExp {
  return new RegExp(`^info +worker connected workerId=${escapeRegExp(workerId)} `);
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const n = opts.workers ?? 2;
  const threadsOf = (i: number) => (Array.isArray(opts.workerThreads) ? opts.workerThreads[i] : (opts.workerThreads ?? 1));
  const workers = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(`worker-${i + 1}`, threadsOf(i), opts.workerEnv)));
  const dbPath = opts.dbPath ?? tempDbPath();
  const coordinatorEnv = (extra: Record<string, string> = {}) => ({
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: dbPath,
    PIGRID_WORKERS: workers.map((w) => w.ready.grpc).join(','),
    PIGRID_THREADS: String(opts.coordinatorThreads ?? 1),
    ...opts.coordinatorEnv,
    ...extra,
  });
  let coordinator = await startProcess('coordinator', 'coordinator', coordinatorEnv());
  // The coordinator is ready before its Work streams are open: a test that submits at once could otherwise see only
  // the workers that happened to connect first (on a loaded machine, a TLS handshake can take seconds). The gateway
  // needs only the coordinator's address, so it starts while the streams open; the cluster is returned once both are.
  const [gateway] = await Promise.all([
    opts.gateway === false
      ? undefined
      : startProcess('gateway', 'gateway', {
          PIGRID_HTTP_PORT: '0',
          PIGRID_COORDINATOR: coordinator.ready.grpc,
          ...opts.gatewayEnv,
        }),
    Promise.all(workers.map((w) => coordinator.waitFor(workerConnected(w.name)))),
  ]);
  const cluster: Cluster = {
    workers,
    get coordinator() {
      return coordinator;
    },
    gateway,
    dbPath,
    get grpc() {
      return coordinator.ready.grpc;
    },
    url: gateway?.ready.url ?? '',
    async startWorker(name, env = {}) {
      const w = await startWorker(name, 1, { ...opts.workerEnv, ...env });
      workers.push(w);
      return w;
    },
    async restartCoordinator(env = {}) {
      // Same port, so the gateway's channel reconnects to the new process.
      coordinator = await startProcess(
        'coordinator',
        'coordinator',
        coordinatorEnv({ PIGRID_GRPC_PORT: String(coordinator.ready.grpc.split(':').pop()), ...env }),
      );
      return coordinator;
    },
  };
  return cluster;
}
