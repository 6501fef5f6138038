/**
 * Coordinator process: the Calculations gRPC API, worker discovery and Work streams, the single-mode pool, SQLite.
 * It runs until main's root signal aborts (SIGTERM). Shutdown order: refuse new work, wait for in-flight results up
 * to the grace, close streams, close servers, checkpoint and close SQLite last.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { loadApiTokens } from '../shared/api-tokens.js';
import { authInterceptor } from '../shared/grpc-auth.js';
import { startGrpcServer, type PigridServer } from '../shared/grpc-server.js';
import { loadTls, serverCredentials } from '../shared/tls.js';
import { Admission } from './admission.js';
import { calculationsAuthorizer } from './rpc/calculations-auth.js';
import { createSecurityMetrics } from './security-metrics.js';
import { exitOnUncaughtErrors, runCleanup, shutdownRequested } from '../shared/lifecycle.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { startMetricsServer, type MetricsServer } from '../shared/metrics-server.js';
import { loadContract } from '../shared/proto.js';
import { checkedKernelChoice } from '../kernel/index.js';
import { createKernelPool } from '../kernel/pool/kernel-pool.js';
import { loadCoordinatorConfig, type CoordinatorConfig } from './config.js';
import type { IdSource, SeedSource } from './core/ports.js';
import type { LeaseTokens } from './core/scheduler-types.js';
import type { CalculationStore } from './core/store-port.js';
import type { WorkerDiscovery } from './discovery/discovery.js';
import { createDnsDiscovery } from './discovery/dns-discovery.js';
import { createStaticDiscovery } from './discovery/static-discovery.js';
import { CoordinatorService } from './coordinator-service.js';
import { limitHeapGrowth } from './heap.js';
import { leaseTokensFor } from './lease-tokens.js';
import { LocalExecutor } from './local-executor.js';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.js';
import { calculationsHandlers } from './rpc/calculations-service.js';
import { WorkerLinks } from './rpc/worker-links.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { createStoreFailureHandler, failFastWrites, isStoreUnavailable, storeOpenFailureMessage } from './store/store-failure.js';

const ids: IdSource = { calculationId: () => randomUUID(), leaseId: () => randomUUID() };
const seeds: SeedSource = {
  // 53 random bits: any seed survives a JSON round trip.
  seed: () => Number(randomBytes(8).readBigUInt64BE() >> 11n),
};

function discoveryFor(config: CoordinatorConfig, log: Logger): WorkerDiscovery {
  if (config.workerService) {
    return createDnsDiscovery({
      service: config.workerService,
      portName: config.workerPortName,
      fallbackPort: config.workerPort,
      refreshIntervalMs: config.discoveryIntervalMs,
      servers: config.dnsServers.length > 0 ? [...config.dnsServers] : undefined,
      // Failures and every change of the worker set are logged by the watcher itself.
      log,
    });
  }
  return createStaticDiscovery(config.workers);
}

/** Waits until `done()` or the deadline. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Opens the store and reads (or, the first time, creates) the lease key kept in it. A failure becomes one line that
 * names the cause and the file (main prints it and exits 1).
 */
function openStore(dbPath: string) {
  try {
    const store = failFastWrites(openSqliteStore(dbPath));
    return { store, tokens: leaseTokensFor(store) };
  } catch (err) {
    throw new Error(storeOpenFailureMessage(err, dbPath), { cause: err });
  }
}

/** The application service, wired to the store, the clock, ids, seeds and the configured limits. */
function serviceFor(
  config: CoordinatorConfig,
  deps: {
    store: CalculationStore;
    tokens: LeaseTokens;
    log: Logger;
    metrics: CoordinatorMetrics;
    onStoreFailure: (err: unknown, ctx: { op: string; calculationIds: readonly string[] }) => void;
  },
): CoordinatorService {
  return new CoordinatorService({
    ...deps,
    clock: { now: () => Date.now() },
    ids,
    seeds,
    limits: { maxPoints: config.maxPoints, maxChunks: config.maxChunks, defaultChunkSize: config.chunkSize },
    scheduler: {
      leaseTtlMs: config.leaseTtlMs,
      prefetch: config.prefetch,
      prefetchAheadMs: config.prefetchAheadMs,
      maxChunkAttempts: config.maxChunkAttempts,
      stragglerFactor: config.stragglerFactor,
      stragglerMinMs: config.stragglerMinMs,
      verifyRate: config.verifyRate,
      verifyFirst: config.verifyFirst,
      maxWorkerCapacity: config.maxWorkerCapacity,
      initialCredits: config.initialCredits,
      backoffMinMs: config.backoffMinMs,
      backoffMaxMs: config.backoffMaxMs,
      spanTargetMs: config.spanTargetMs,
      maxSpanMs: config.maxSpanMs,
      maxSpanChunks: config.maxSpanChunks,
    },
    // Which chunks are checked must not be predictable by a worker.
    random: () => randomInt(0, 2 ** 47) / 2 ** 47,
  });
}

export async function runCoordinator(shutdown: AbortSignal): Promise<void> {
  limitHeapGrowth();
  const config = loadCoordinatorConfig();
  const log = createLogger('coordinator', config.log);
  exitOnUncaughtErrors(log, isStoreUnavailable);
  const tls = loadTls(config.tls, 'coordinator', log);
  const apiTokens = loadApiTokens(config.auth, log);
  const { store, tokens } = openStore(config.dbPath);
  const metrics = createCoordinatorMetrics();
  const security = createSecurityMetrics(metrics.registry);
  // Set once they exist: a store failure while resuming has nothing to stop and exits at once.
  let ticker: NodeJS.Timeout | undefined;
  let answering: PigridServer | undefined;
  const onStoreFailure = createStoreFailureHandler({
    dbPath: config.dbPath,
    log,
    // Answer the calls in flight (a Submit gets STORE_UNAVAILABLE), then exit. No checkpoint, no close: the WAL is
    // recovered on the next start, as after a SIGKILL.
    stop: () => {
      clearInterval(ticker);
      return answering?.close(1_000);
    },
    exit: (code) => process.exit(code),
  });
  const coordinator = serviceFor(config, { store, tokens, log, metrics, onStoreFailure });
  metrics.bindClusterStatus(() => coordinator.clusterStatus());
  const resumed = coordinator.resume();
  const kernel = checkedKernelChoice();
  log.info({ kernel: kernel.name, reason: kernel.reason }, 'kernel chosen for mode=single');
  const kernelPool = createKernelPool(config.threads);
  const local = new LocalExecutor(coordinator, kernelPool, log);
  const workers = new WorkerLinks(coordinator, log, {
    tls,
    refused: (reason) => security.workerAuthFailures.inc({ reason }),
    rejected: (reason, count) => metrics.resultsRejected.inc({ reason }, count),
  });
  const discovery = discoveryFor(config, log);
  discovery.start((addresses) => workers.update(addresses));
  // A tick within half a period of a step (results arriving) is skipped: that step reconciled already.
  ticker = setInterval(() => coordinator.tick(config.tickMs / 2), config.tickMs);

  const contract = loadContract();
  const grpc = await startGrpcServer({
    service: 'calculations',
    host: config.host,
    port: config.grpcPort,
    credentials: serverCredentials(tls),
    healthPort: config.healthPort,
    interceptors: [
      authInterceptor(calculationsAuthorizer(apiTokens), (method, peer, verdict) => {
        security.callsRefused.inc({ code: verdict.code });
        log.warn({ method, peer: peer.identity?.uri ?? peer.address, code: verdict.code, reason: verdict.message }, 'gRPC call refused');
      }),
    ],
    register: (server) =>
      server.addService(
        contract.calculations.pigrid.v1.Calculations.service,
        calculationsHandlers(coordinator, config.threads, log, new Admission(config.admission, () => coordinator.active())),
      ),
  });
  answering = grpc;
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort >= 0) metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  grpc.setReady(true);
  log.info(
    {
      grpc: `${config.host}:${grpc.port}`,
      health: grpc.healthPort === undefined ? undefined : `${config.host}:${grpc.healthPort}`,
      tls: tls.files ? 'mutual' : 'off',
      metrics: metricsServer ? `${config.host}:${metricsServer.port}` : 'off',
      db: config.dbPath,
      discovery: config.workerService ? `dns:${config.workerService}` : `static:${config.workers.join(',') || '(none)'}`,
      threads: config.threads,
      resumed,
    },
    'coordinator ready',
  );

  await shutdownRequested(shutdown, log);
  coordinator.stopAccepting();
  grpc.setReady(false);
  discovery.close();
  const inFlight = () => coordinator.clusterStatus().leasesInFlight === 0 && local.heldCount === 0;
  const drained = await Promise.race([
    local.drain().then(() => waitFor(inFlight, config.drainGraceMs)),
    new Promise<boolean>((r) => setTimeout(() => r(false), config.drainGraceMs)),
  ]);
  if (!drained) log.warn('drain grace elapsed with leases in flight; they resume after restart');
  await runCleanup(log, [
    ['ticker', () => clearInterval(ticker)],
    ['worker streams', () => workers.close()],
    ['grpc server', () => grpc.close(2_000)],
    ['kernel pool', () => kernelPool.destroy()],
    ['metrics server', () => metricsServer?.close()],
    ['sqlite', () => store.close()],
    ['tls files', () => tls.close()],
    ['api tokens', () => apiTokens.close()],
  ]);
  log.info('coordinator stopped');
}
