/**
 * The worker's side of the Work protocol: it accepts leases from any number of coordinator streams, runs them on
 * the kernel pool, and answers on the stream that granted them. A result whose stream has gone is kept in an
 * outbox and sent on the next stream (a restarted coordinator adopts it). Lifecycle: RUNNING -> DRAINING -> STOPPED.
 */
import * as grpc from '@grpc/grpc-js';
import type { WorkerMessage } from '../generated/proto/pigrid/v1/WorkerMessage.js';
import { ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { chunksOf, type ChunkJob, type ChunkRunner, type JobOutcome } from '../kernel/pool/chunk-runner.js';
import { MAX_LEASE_CHUNKS } from '../shared/wire.js';
import type { WorkerMetrics } from './metrics.js';
import { WorkSession, type WorkCall } from './work-session.js';

const OUTBOX_LIMIT = 10_000;

export type WorkerServiceState = 'RUNNING' | 'DRAINING' | 'STOPPED';

export interface WorkerServiceOptions {
  readonly workerId: string;
  /** Random id of this process, sent in every hello. */
  readonly instanceId: string;
  readonly kernel: string;
  readonly streamVersion: string;
  readonly version: string;
  readonly capacity: number;
  readonly drainGraceMs: number;
}

export class WorkerService {
  private readonly opts: WorkerServiceOptions;
  private readonly runner: ChunkRunner;
  private readonly log: Logger;
  private readonly metrics: WorkerMetrics | undefined;
  private readonly sessions = new Set<WorkSession>();
  private readonly owner = new Map<string, WorkSession>();
  private readonly outbox: WorkerMessage[] = [];
  private stateValue: WorkerServiceState = 'RUNNING';
  private draining: Promise<{ handedBack: number; aborted: number }> | undefined;

  constructor(opts: WorkerServiceOptions, runner: ChunkRunner, log: Logger, metrics?: WorkerMetrics) {
    this.opts = opts;
    this.runner = runner;
    this.log = log;
    this.metrics = metrics;
    metrics?.watch(() => ({ running: runner.runningCount, held: runner.heldCount }));
  }

  get state(): WorkerServiceState {
    return this.stateValue;
  }

  /** The gRPC handler of Worker.Work. An unexpected error is logged with its stack and ends only this stream. */
  readonly work = (call: WorkCall): void => {
    try {
      this.openSession(call);
    } catch (err) {
      this.log.error({ peer: call.getPeer(), err }, 'unexpected error in the Work handler');
      call.emit('error', { code: grpc.status.INTERNAL, details: `internal error on worker ${this.opts.workerId} (see its log)` });
    }
  };

  private openSession(call: WorkCall): void {
    const session = new WorkSession(
      call,
      {
        lease: (s, l) => {
          const job = {
            leaseId: l.leaseId,
            calculationId: l.calculationId,
            chunkIndex: Number(l.chunkIndex),
            seed: l.seed,
            points: Number(l.points),
            chunkCount: l.chunkCount,
          };
          try {
            this.onLease(s, job);
          } catch (err) {
            this.onLeaseError(s, job, err);
          }
        },
        revoke: (_s, ids, reason) => {
          try {
            for (const id of ids) {
              this.owner.delete(id);
              const job = this.runner.job(id);
              if (job && this.runner.revoke(id)) this.metrics?.chunks.inc({ outcome: 'revoked' }, chunksOf(job));
            }
            this.log.info({ count: ids.length, reason }, 'leases revoked');
          } catch (err) {
            this.log.error({ leaseIds: ids, reason, err }, 'unexpected error handling a revocation');
          }
        },
        closed: (s, unsent) => {
          this.sessions.delete(s);
          for (const msg of unsent) this.sendElsewhere(msg, true);
        },
      },
      this.log,
    );
    this.sessions.add(session);
    session.send({
      hello: {
        workerId: this.opts.workerId,
        instanceId: this.opts.instanceId,
        capacity: this.stateValue === 'RUNNING' ? this.opts.capacity : 0,
        kernel: this.opts.kernel,
        streamVersion: this.opts.streamVersion,
        version: this.opts.version,
        draining: this.stateValue !== 'RUNNING',
        acceptsLeaseBatches: true,
        acceptsChunkSpans: true,
      },
    });
    // Over TLS: which coordinator certificate opened it (rotation shows as a new serial).
    const coordinatorCert = call.getAuthContext()?.sslPeerCertificate?.serialNumber?.toLowerCase();
    this.log.info({ peer: session.peer, cert: coordinatorCert }, 'work stream opened');
    // Results whose stream broke (e.g. the coordinator restarted) go to the new stream: they are adopted there.
    while (this.outbox.length > 0 && session.isOpen) session.send(this.outbox.shift()!);
  }

  /**
   * A lease this worker failed to take on for an unexpected reason: logged with its stack, and answered as a failed
   * chunk (code INTERNAL) so the coordinator re-leases it now instead of waiting on a lease nobody runs.
   */
  private onLeaseError(session: WorkSession, job: ChunkJob, err: unknown): void {
    this.log.error(
      { leaseId: job.leaseId, calculationId: job.calculationId, chunkIndex: job.chunkIndex, err },
      'unexpected error taking a lease',
    );
    this.owner.delete(job.leaseId);
    session.leases.delete(job.leaseId);
    this.metrics?.chunks.inc({ outcome: 'failed' }, Math.max(1, job.chunkCount ?? 1));
    this.answerFailure(session, job, ErrorCode.INTERNAL, `internal error on worker ${this.opts.workerId} (see its log)`);
  }

  /**
   * Drains: no more leases, unstarted ones handed back, running ones finished within the grace (then aborted and
   * handed back), results sent, streams ended. Idempotent.
   */
  drain(): Promise<{ handedBack: number; aborted: number }> {
    this.draining ??= this.doDrain();
    return this.draining;
  }

  private async doDrain(): Promise<{ handedBack: number; aborted: number }> {
    this.stateValue = 'DRAINING';
    const started = Date.now();
    for (const s of this.sessions) s.send({ draining: { graceMs: this.opts.drainGraceMs } });
    const unstarted = this.runner.takeWaiting();
    for (const job of unstarted) this.handBack(job, 'not started before drain');
    this.log.info({ running: this.runner.runningCount, handedBack: unstarted.length, graceMs: this.opts.drainGraceMs }, 'draining');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.runner.whenIdle().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.opts.drainGraceMs))),
    ]);
    clearTimeout(timer);
    let aborted = 0;
    if (timedOut) {
      const jobs = this.runner.abortRunning();
      aborted = jobs.length;
      for (const job of jobs) this.handBack(job, 'drain grace elapsed');
      this.log.warn({ count: aborted }, 'drain grace elapsed: running chunks aborted and handed back');
    }
    for (const s of [...this.sessions]) s.end();
    this.stateValue = 'STOPPED';
    this.log.info({ ms: Date.now() - started, handedBack: unstarted.length, aborted }, 'drained');
    return { handedBack: unstarted.length, aborted };
  }

  private onLease(session: WorkSession, job: ChunkJob): void {
    if (this.stateValue !== 'RUNNING') {
      session.leases.delete(job.leaseId);
      this.answerFailure(session, job, ErrorCode.LEASE_RETURNED, 'worker is draining');
      return;
    }
    const count = job.chunkCount ?? 0;
    if (!Number.isInteger(count) || count < 0 || count > MAX_LEASE_CHUNKS) {
      this.refuse(session, job, `a lease covers 1..${MAX_LEASE_CHUNKS} chunks (chunk_count ${count})`);
      return;
    }
    this.owner.set(job.leaseId, session);
    this.log.debug(
      { leaseId: job.leaseId, calculationId: job.calculationId, chunkIndex: job.chunkIndex, chunkCount: count },
      'lease accepted',
    );
    this.runner.enqueue(job, {
      done: (j, outcome) => this.onDone(j, outcome),
      failed: (j, err) => {
        this.metrics?.chunks.inc({ outcome: 'failed' }, chunksOf(j));
        this.log.error({ leaseId: j.leaseId, calculationId: j.calculationId, chunkIndex: j.chunkIndex, err }, 'chunk failed');
        this.deliver(j, {
          failure: { leaseId: j.leaseId, calculationId: j.calculationId, chunkIndex: j.chunkIndex, code: err.code, message: err.message },
        });
      },
      aborted: (j, ms) =>
        this.log.info(
          { leaseId: j.leaseId, calculationId: j.calculationId, chunkIndex: j.chunkIndex, afterMs: Math.round(ms) },
          'chunk aborted',
        ),
    });
  }

  /** A lease this worker will not compute (malformed): answered at once as failed, with the kernel's input code. */
  private refuse(session: WorkSession, job: ChunkJob, why: string): void {
    this.log.warn({ leaseId: job.leaseId, calculationId: job.calculationId, chunkIndex: job.chunkIndex, why }, 'lease refused');
    session.leases.delete(job.leaseId);
    this.metrics?.chunks.inc({ outcome: 'failed' });
    this.answerFailure(session, job, ErrorCode.KERNEL_INVALID_INPUT, why);
  }

  /** Answers a lease on its stream as a failure (the coordinator sends its chunks back to the queue or retries them). */
  private answerFailure(session: WorkSession, job: ChunkJob, code: ErrorCode, message: string): void {
    session.send({ failure: { leaseId: job.leaseId, calculationId: job.calculationId, chunkIndex: job.chunkIndex, code, message } });
  }

  private onDone(job: ChunkJob, outcome: JobOutcome): void {
    const chunks = outcome.chunkInside.length;
    this.metrics?.chunks.inc({ outcome: 'completed' }, chunks);
    this.metrics?.samples.inc(job.points * chunks);
    // Once per chunk, at their mean: the runner reports a span's kernel time as one sum.
    for (let i = 0; i < chunks; i++) this.metrics?.chunkDuration.observe(outcome.elapsedMs / chunks / 1000);
    const result = {
      leaseId: job.leaseId,
      calculationId: job.calculationId,
      chunkIndex: job.chunkIndex,
      seed: job.seed,
      points: job.points,
      inside: outcome.inside,
      elapsedMs: Math.round(outcome.elapsedMs),
      // Echoed as granted (0 or 1 for one chunk); the counts only for a span.
      chunkCount: job.chunkCount ?? 0,
      spanInside: chunks > 1 ? [...outcome.chunkInside] : [],
    };
    // On the granting stream it may join the other results of this turn in one ResultBatch.
    if (this.release(job)?.sendResult(result)) return;
    this.sendElsewhere({ result }, true);
  }

  private handBack(job: ChunkJob, why: string): void {
    this.deliver(
      job,
      {
        failure: {
          leaseId: job.leaseId,
          calculationId: job.calculationId,
          chunkIndex: job.chunkIndex,
          code: ErrorCode.LEASE_RETURNED,
          message: why,
        },
      },
      false,
    );
  }

  /** Sends on the stream that granted the lease, else on any open stream, else keeps it for the next one. */
  private deliver(job: ChunkJob, msg: WorkerMessage, keep = true): void {
    if (this.release(job)?.send(msg)) return;
    this.sendElsewhere(msg, keep);
  }

  /** The job's lease is answered: forgets it and returns the stream that granted it, if that is still known. */
  private release(job: ChunkJob): WorkSession | undefined {
    const owner = this.owner.get(job.leaseId);
    this.owner.delete(job.leaseId);
    owner?.leases.delete(job.leaseId);
    return owner;
  }

  /** Sends on any open stream, else (when `keep`) keeps it in the outbox for the next one. */
  private sendElsewhere(msg: WorkerMessage, keep: boolean): void {
    for (const s of this.sessions) if (s.send(msg)) return;
    if (!keep) return;
    if (this.outbox.length >= OUTBOX_LIMIT) this.outbox.shift();
    this.outbox.push(msg);
  }
}
