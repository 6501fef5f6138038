/**
 * Worker process: serves Worker.Work on gRPC, runs chunks on a piscina pool sized to its CPUs, drains when main's
 * root signal aborts (SIGTERM).
 */
import { randomUUID } from 'node:crypto';
import { authInterceptor } from '../shared/grpc-auth.js';
import { startGrpcServer } from '../shared/grpc-server.js';
import { loadTls, serverCredentials } from '../shared/tls.js';
import { exitOnUncaughtErrors, runCleanup, shutdownRequested } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { startMetricsServer, type MetricsServer } from '../shared/metrics-server.js';
import { loadContract } from '../shared/proto.js';
import { VERSION } from '../shared/version.js';
import { ChunkRunner } from '../kernel/pool/chunk-runner.js';
import { loadWorkerConfig } from './config.js';
import { checkedKernelChoice, KERNEL_NAME, STREAM_VERSION } from '../kernel/index.js';
import { createKernelPool } from '../kernel/pool/kernel-pool.js';
import { createWorkerMetrics } from './metrics.js';
import { WorkerService } from './worker-service.js';
import { workAuthorizer } from './work-auth.js';

export async function runWorker(shutdown: AbortSignal): Promise<void> {
  const config = loadWorkerConfig();
  const kernel = checkedKernelChoice();
  let log = createLogger('worker', config.log, { workerId: config.workerId });
  log.info({ kernel: kernel.name, reason: kernel.reason }, 'kernel chosen');
  exitOnUncaughtErrors(log);
  const tls = loadTls(config.tls, 'worker', log);
  // A per-worker certificate names the worker: the coordinator accepts no other id from it.
  const certified = tls.files?.summary.identity.name;
  const workerId = certified ?? config.workerId;
  if (certified && certified !== config.workerId) {
    log.warn({ configured: config.workerId, certificate: certified }, 'the certificate names this worker: using its id');
    log = createLogger('worker', config.log, { workerId });
  }
  const pool = createKernelPool(config.threads);
  // Without a /metrics port nobody reads the process metrics: their timers would only take CPU from the kernel threads.
  const metrics = createWorkerMetrics({ threads: config.threads, processMetrics: config.metricsPort >= 0 });
  const service = new WorkerService(
    {
      workerId,
      instanceId: randomUUID(),
      kernel: KERNEL_NAME,
      streamVersion: STREAM_VERSION,
      version: VERSION,
      capacity: config.threads,
      drainGraceMs: config.drainGraceMs,
    },
    new ChunkRunner(pool),
    log,
    metrics,
  );
  const contract = loadContract();
  const grpc = await startGrpcServer({
    service: 'worker',
    host: config.host,
    port: config.grpcPort,
    credentials: serverCredentials(tls),
    healthPort: config.healthPort,
    interceptors: [
      authInterceptor(workAuthorizer, (method, peer, verdict) =>
        log.warn({ method, peer: peer.identity?.uri ?? peer.address, reason: verdict.message }, 'Work stream refused'),
      ),
    ],
    register: (server) => server.addService(contract.worker.pigrid.v1.Worker.service, { Work: service.work }),
  });
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort >= 0) metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  grpc.setReady(true);
  log.info(
    {
      grpc: `${config.host}:${grpc.port}`,
      health: grpc.healthPort === undefined ? undefined : `${config.host}:${grpc.healthPort}`,
      tls: tls.files ? 'mutual' : 'off',
      metrics: metricsServer ? `${config.host}:${metricsServer.port}` : 'off',
      threads: config.threads,
      kernel: KERNEL_NAME,
    },
    'worker ready',
  );

  await shutdownRequested(shutdown, log);
  // Not ready first: Kubernetes takes the pod out of the headless Service, the coordinator stops leasing.
  grpc.setReady(false);
  const drained = await service.drain();
  await runCleanup(log, [
    ['grpc server', () => grpc.close(2_000)],
    ['kernel pool', () => pool.close()],
    ['metrics server', () => metricsServer?.close()],
    ['tls files', () => tls.close()],
  ]);
  log.info(drained, 'worker stopped');
}
