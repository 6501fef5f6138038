/**
 * Types shared by the scheduler and its adapters: workers, leases, and the effects a scheduling decision asks
 * the adapters to carry out.
 */
import { ErrorCode } from '../../shared/errors.js';
import type { CalculationRecord, ChunkCommit } from './model.js';

/** Why a chunk went back to the queue. Used as the `reason` label of pigrid_chunks_released_total. */
export const RELEASE_REASONS = ['worker_lost', 'expired', 'returned', 'failed', 'invalid_result', 'quarantined'] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];
/**
 * Why a result was refused. Used as the `reason` label of pigrid_results_rejected_total. `batch_too_large` is counted
 * by the Work link (a ResultBatch refused whole, before the scheduler), the others by the scheduler.
 */
export const REJECT_REASONS = ['unknown_lease', 'lease_mismatch', 'invalid_result', 'quarantined', 'batch_too_large'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
/** What a lease asks for: a chunk's first computation, a straggler's backup copy, or a check of a committed chunk. */
export const LEASE_PURPOSES = ['primary', 'backup', 'verify'] as const;
export type LeasePurpose = (typeof LEASE_PURPOSES)[number];
/** Why a worker is told to drop leases. */
export type RevokeReason = 'CANCELLED' | 'EXPIRED' | 'CALCULATION_ENDED';

/** `remote` workers take distributed calculations; the coordinator's own `local` pool takes single ones. */
export type WorkerKind = 'remote' | 'local';
/**
 * Whether a connection gets new leases: `ready` does; `draining` finishes what it holds; `backoff` handed back or
 * failed leases and waits; `unresponsive` let a lease expire and waits until it shows life; `quarantined` computed a
 * wrong result and gets nothing more.
 */
export type ConnectionState = 'ready' | 'draining' | 'backoff' | 'unresponsive' | 'quarantined';

export interface SchedulerOptions {
  /** A lease lapses this long after the last heartbeat that named it. @default 15000 ms */
  readonly leaseTtlMs: number;
  /** Leases a worker may hold beyond its announced capacity, so its threads never wait for the next one. @default 1 */
  readonly prefetch: number;
  /**
   * Adaptive prefetch: a worker trusted with its full capacity may hold, beyond it, enough leases for this long at the
   * pace its results arrive (at least `prefetch`, at most `maxPrefetchPerThread` x capacity), so its threads never wait
   * for the next lease however short the chunks; 0 keeps the prefetch fixed. @default 50 ms
   */
  readonly prefetchAheadMs: number;
  /** Cap of the adaptive prefetch, per announced thread. @default 16 */
  readonly maxPrefetchPerThread: number;
  /** Kernel failures of one chunk before its calculation fails. @default 3 */
  readonly maxChunkAttempts: number;
  /** A lease older than this many times the calculation's median chunk time gets a backup copy. @default 3 */
  readonly stragglerFactor: number;
  /** Never back up a lease younger than this. @default 5000 ms */
  readonly stragglerMinMs: number;
  /** Share of a trusted worker's chunks computed a second time elsewhere and compared, 0..1. @default 0.03 */
  readonly verifyRate: number;
  /** Results of a new worker instance that are always verified. @default 2 */
  readonly verifyFirst: number;
  /** Announced capacity is capped at this many threads. @default 64 */
  readonly maxWorkerCapacity: number;
  /** Credits a new worker starts with; each accepted result earns one more, up to its capacity. @default 2 */
  readonly initialCredits: number;
  /** First pause after a worker hands back or fails a lease; doubles on each repeat. @default 500 ms */
  readonly backoffMinMs: number;
  /** Longest such pause. @default 30000 ms */
  readonly backoffMaxMs: number;
  /**
   * Chunk spans: a primary lease to a remote worker that accepts spans covers about this much kernel time (at the
   * calculation's typical chunk time), so chunks much shorter than a round trip cost one lease, one result and one
   * scheduling step per span. @default 200 ms
   */
  readonly spanTargetMs: number;
  /**
   * A calculation that is long for its pool gets longer spans than `spanTargetMs`: up to a quarter of an even share
   * of its backlog per ready remote thread, but never more than this much kernel time. The coordinator's CPU follows
   * its leases (~2 ms of cold code each, docs/performance.md), and the count of leases of the guided rule grows with
   * the calculation's length over `spanTargetMs`; this keeps it near a fixed number per calculation up to this
   * length of span. At most `spanTargetMs` turns the growth off, and it is off by default: fair share acts when leases
   * are granted, so a small calculation submitted behind a huge one waits for the spans the huge one holds (two per
   * worker); with 1 s spans test/integration/cancel-fairness.test.ts's small calculation took 1.4 s against 0.3 s.
   * Raise it where one long calculation at a time has the pool. @default 200 ms (= spanTargetMs: no growth)
   */
  readonly maxSpanMs: number;
  /**
   * Most chunks one lease covers; 1 turns spans off. The coordinator's setting is capped at 100,000: a span result
   * carries a count per chunk (up to ~5 bytes each) and must stay well under gRPC's 4 MB message limit. @default 1024
   */
  readonly maxSpanChunks: number;
}

/** The one place the scheduler's defaults are written (the coordinator's config reads them from here). */
export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = Object.freeze({
  leaseTtlMs: 15_000,
  prefetch: 1,
  prefetchAheadMs: 50,
  maxPrefetchPerThread: 16,
  maxChunkAttempts: 3,
  stragglerFactor: 3,
  stragglerMinMs: 5_000,
  verifyRate: 0.03,
  verifyFirst: 2,
  maxWorkerCapacity: 64,
  initialCredits: 2,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  spanTargetMs: 200,
  maxSpanMs: 200,
  maxSpanChunks: 1024,
});

/** What a worker is asked to compute. */
export interface LeaseGrant {
  readonly leaseId: string;
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: number;
  readonly points: number;
  readonly ttlMs: number;
  readonly purpose: LeasePurpose;
  /** Consecutive chunks the lease covers, from chunkIndex, each of `points` points (1 but for a span). */
  readonly chunkCount: number;
}

/** What a lease id vouches for: the grant's fields and the worker it was granted to. */
export interface LeaseClaim {
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: number;
  readonly points: number;
  readonly workerId: string;
  readonly instanceId: string;
  /** Chunks the lease covers; absent means 1 (and a claim of 1 is written exactly as one without it). */
  readonly chunkCount?: number;
}

/**
 * Lease ids are capabilities: `mint` makes an id that vouches for a claim, `verify` checks that an id vouches for
 * exactly this claim. The coordinator's adapter signs with an HMAC key kept in the database, so a restarted
 * coordinator still recognises the leases it granted before (a worker's outbox) and no worker can forge one.
 */
export interface LeaseTokens {
  mint(claim: LeaseClaim): string;
  verify(leaseId: string, claim: LeaseClaim): boolean;
}

/** A chunk result as a worker reports it. Everything in it is input to be checked. */
export interface ResultReport {
  /** The lease it answers: live on this stream, or a genuine one this coordinator granted (e.g. before a restart). */
  readonly leaseId: string;
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: number;
  readonly points: number;
  /** For a span, the sum of spanInside. */
  readonly inside: number;
  readonly elapsedMs: number;
  /** The lease's chunk count as the worker echoes it; absent or 0 means 1. */
  readonly chunkCount?: number;
  /** For a span: each chunk's hit count, in chunk order (exactly chunkCount entries). Absent or empty for one chunk. */
  readonly spanInside?: readonly number[];
}

export interface FailureReport {
  readonly leaseId: string;
  readonly code: string;
  readonly message: string;
}

/** Failure code a draining worker uses to hand back a lease it has not started. */
export const LEASE_RETURNED = ErrorCode.LEASE_RETURNED;

/** A worker identity: the id it announced and the random id of its process. Authenticated identity plugs in here. */
export interface WorkerIdentity {
  readonly workerId: string;
  readonly instanceId: string;
}

export interface QuarantineRecord extends WorkerIdentity {
  readonly reason: string;
  readonly atMs: number;
}

/** A decision for the adapters. Persisting effects come before sending ones in every batch. */
export type Effect =
  | { readonly type: 'grant'; readonly connId: string; readonly lease: LeaseGrant }
  | { readonly type: 'revoke'; readonly connId: string; readonly leaseIds: readonly string[]; readonly reason: RevokeReason }
  /** Store (or replace) a chunk's committed hit count. */
  | {
      readonly type: 'commit';
      readonly commit: ChunkCommit;
      /** The chunk's first commit (work done), not a later update. */ readonly first?: boolean;
    }
  /** Forget a committed chunk: its worker was quarantined and it is computed again. */
  | { readonly type: 'uncommit'; readonly calculationId: string; readonly chunkIndex: number }
  | { readonly type: 'calculation'; readonly calculation: Readonly<CalculationRecord> }
  | { readonly type: 'released'; readonly calculationId: string; readonly chunkIndex: number; readonly reason: ReleaseReason }
  | { readonly type: 'duplicate'; readonly calculationId: string; readonly chunkIndex: number }
  | {
      readonly type: 'mismatch';
      readonly calculationId: string;
      readonly chunkIndex: number;
      readonly committedInside: number;
      readonly reportedInside: number;
    }
  | {
      readonly type: 'rejected';
      readonly connId: string;
      readonly workerId: string;
      readonly reason: RejectReason;
      readonly detail: string;
    }
  | {
      readonly type: 'verification';
      readonly outcome: 'match' | 'mismatch';
      readonly calculationId: string;
      readonly chunkIndex: number;
      readonly detail: string;
    }
  | { readonly type: 'quarantined'; readonly record: QuarantineRecord; readonly recomputed: number }
  | {
      readonly type: 'worker';
      readonly connId: string;
      readonly workerId: string;
      readonly event: 'backoff' | 'unresponsive' | 'alive' | 'identity_conflict';
      readonly detail: string;
    }
  /** A result for a calculation that is no longer active: it must still match the committed copy, if any. */
  | { readonly type: 'late'; readonly connId: string; readonly report: ResultReport };

/** A worker as the scheduler sees it (for status and metrics). */
export interface WorkerSnapshot {
  readonly connId: string;
  readonly workerId: string;
  readonly instanceId: string;
  readonly address: string;
  readonly kind: WorkerKind;
  readonly capacity: number;
  /** Leases it may hold now (capacity capped by what it has earned, plus prefetch). */
  readonly credits: number;
  readonly inFlight: number;
  readonly state: ConnectionState;
  readonly chunksCompleted: number;
  readonly chunksVerified: number;
  readonly connectedAtMs: number;
}

export interface PoolSnapshot {
  readonly workers: readonly WorkerSnapshot[];
  /** Capacity of ready remote workers. */
  readonly totalCapacity: number;
  /** Leases held by remote workers. */
  readonly leasesInFlight: number;
  /** Chunks of active distributed calculations neither committed nor leased. */
  readonly backlogChunks: number;
  /** Same, for single-mode calculations. */
  readonly singleBacklogChunks: number;
  readonly activeCalculations: number;
  readonly quarantined: readonly QuarantineRecord[];
}
