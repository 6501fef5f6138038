/**
 * Worker process: serves Worker.Work on gRPC, runs chunks on a piscina pool sized to its CPUs, drains when main's
 * root signal aborts (SIGTERM).
 */
import { randomUUID } from 'node:crypto';
import { startGrpcServer } from '../shared/grpc-server.js';
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

export async function runWorker(shutdown: AbortSignal): Promise<void> {
  const config = loadWorkerConfig();
  const kernel = checkedKernelChoice();
  const log = createLogger(config.logLevel, { worker: config.workerId });
  log.info('kernel chosen', { kernel: kernel.name, reason: kernel.reason });
  exitOnUncaughtErrors(log);
  const pool = createKernelPool(config.threads);
  const metrics = createWorkerMetrics(config.threads);
  const service = new WorkerService(
    { workerId: config.workerId, instanceId: randomUUID(), kernel: KERNEL_NAME, streamVersion: STREAM_VERSION, version: VERSION, capacity: config.threads, drainGraceMs: config.drainGraceMs },
    new ChunkRunner(pool),
    log,
    metrics,
  );
  const contract = loadContract();
  const grpc = await startGrpcServer({
    service: 'worker',
    host: config.host,
    port: config.grpcPort,
    register: (server) =>
      server.addService(contract.worker.pigrid.v1.Worker.service, { Work: service.work }),
  });
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort >= 0) metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  grpc.setReady(true);
  log.info('worker ready', {
    grpc: `${config.host}:${grpc.port}`,
    metrics: metricsServer ? `${config.host}:${metricsServer.port}` : 'off',
    threads: config.threads,
    kernel: KERNEL_NAME,
  });

  await shutdownRequested(shutdown, log);
  // Not ready first: Kubernetes takes the pod out of the headless Service, the coordinator stops leasing.
  grpc.setReady(false);
  const drained = await service.drain();
  await runCleanup(log, [
    ['grpc server', () => grpc.close(2_000)],
    ['kernel pool', () => pool.close()],
    ['metrics server', () => metricsServer?.close()],
  ]);
  log.info('worker stopped', drained);
}
