/**
 * mode=single: the coordinator computes those calculations itself, on its own kernel pool, through the same lease
 * and commit path as remote workers, so both modes share one accounting and give the identical result.
 */
import { ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { ChunkRunner } from '../kernel/pool/chunk-runner.js';
import type { KernelPool } from '../kernel/pool/kernel-pool.js';
import type { LeaseGrant, RevokeReason } from './core/scheduler-types.js';
import type { CoordinatorService, LeaseSink } from './coordinator-service.js';

export const LOCAL_CONN_ID = 'local';

export class LocalExecutor implements LeaseSink {
  private readonly coordinator: CoordinatorService;
  private readonly runner: ChunkRunner;
  private readonly log: Logger;

  constructor(coordinator: CoordinatorService, pool: KernelPool, log: Logger) {
    this.coordinator = coordinator;
    this.runner = new ChunkRunner(pool);
    this.log = log;
    coordinator.workerConnected(
      { connId: LOCAL_CONN_ID, workerId: 'coordinator', address: 'local', kind: 'local', capacity: pool.threads, draining: false },
      this,
    );
  }

  grant(_connId: string, lease: LeaseGrant): void {
    this.runner.enqueue(
      {
        leaseId: lease.leaseId,
        calculationId: lease.calculationId,
        chunkIndex: lease.chunkIndex,
        seed: String(lease.seed),
        points: lease.points,
      },
      {
        done: (job, outcome) =>
          this.coordinator.result(LOCAL_CONN_ID, {
            leaseId: job.leaseId,
            calculationId: job.calculationId,
            chunkIndex: job.chunkIndex,
            seed: lease.seed,
            points: job.points,
            inside: outcome.inside,
            elapsedMs: Math.round(outcome.elapsedMs),
          }),
        failed: (job, err) => {
          this.log.error({ calculationId: job.calculationId, chunkIndex: job.chunkIndex, err }, 'single-mode chunk failed');
          this.coordinator.failure(LOCAL_CONN_ID, { leaseId: job.leaseId, code: err.code, message: err.message });
        },
      },
    );
  }

  revoke(_connId: string, leaseIds: readonly string[], _reason: RevokeReason): void {
    for (const id of leaseIds) this.runner.revoke(id);
  }

  /** Stops taking chunks; resolves when the running ones are done. Unstarted ones stay queued in the store. */
  async drain(): Promise<void> {
    this.coordinator.workerDraining(LOCAL_CONN_ID);
    for (const job of this.runner.takeWaiting())
      this.coordinator.failure(LOCAL_CONN_ID, {
        leaseId: job.leaseId,
        code: ErrorCode.LEASE_RETURNED,
        message: 'coordinator shutting down',
      });
    await this.runner.whenIdle();
  }

  /** Leases the coordinator's own pool holds: running plus waiting. */
  get heldCount(): number {
    return this.runner.heldCount;
  }
}
