/**
 * Types shared by the scheduler and its adapters: workers, leases, and the effects a scheduling decision asks
 * the adapters to carry out.
 */
import type { CalculationRecord, ChunkCommit } from './model.js';

/** Why a chunk went back to the queue. Used as the `reason` label of pigrid_chunks_released_total. */
export const RELEASE_REASONS = ['worker_lost', 'expired', 'returned', 'failed', 'invalid_result'] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];
/** Why a worker is told to drop leases. */
export type RevokeReason = 'CANCELLED' | 'EXPIRED' | 'CALCULATION_ENDED';

/** `remote` workers take distributed calculations; the coordinator's own `local` pool takes single ones. */
export type WorkerKind = 'remote' | 'local';
export type WorkerState = 'ready' | 'draining';

export interface SchedulerOptions {
  /** A lease lapses this long after the last heartbeat that named it. @default 15000 ms */
  readonly leaseTtlMs: number;
  /** Leases a worker may hold beyond its announced capacity, so its threads never wait for the next one. @default 1 */
  readonly prefetch: number;
  /** Kernel failures of one chunk before its calculation fails. @default 3 */
  readonly maxChunkAttempts: number;
  /** A lease older than this many times the calculation's median chunk time gets a backup copy. @default 3 */
  readonly stragglerFactor: number;
  /** Never back up a lease younger than this. @default 5000 ms */
  readonly stragglerMinMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = Object.freeze({
  leaseTtlMs: 15_000,
  prefetch: 1,
  maxChunkAttempts: 3,
  stragglerFactor: 3,
  stragglerMinMs: 5_000,
});

/** What a worker is asked to compute. */
export interface LeaseGrant {
  readonly leaseId: string;
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: number;
  readonly points: number;
  readonly ttlMs: number;
  /** True for a straggler's backup copy. */
  readonly backup: boolean;
}

/** A chunk result as a worker reports it. */
export interface ResultReport {
  /** May be empty or unknown (after a coordinator restart): the result is then matched by calculation and chunk. */
  readonly leaseId: string;
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: number;
  readonly points: number;
  readonly inside: number;
  readonly elapsedMs: number;
}

export interface FailureReport {
  readonly leaseId: string;
  readonly code: string;
  readonly message: string;
}

/** Failure code a draining worker uses to hand back a lease it has not started. */
export const LEASE_RETURNED = 'LEASE_RETURNED';

/** A decision for the adapters. Persisting effects come before sending ones in every batch. */
export type Effect =
  | { readonly type: 'grant'; readonly connId: string; readonly lease: LeaseGrant }
  | { readonly type: 'revoke'; readonly connId: string; readonly leaseIds: readonly string[]; readonly reason: RevokeReason }
  | { readonly type: 'commit'; readonly commit: ChunkCommit }
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
  | { readonly type: 'ignored'; readonly connId: string; readonly reason: string }
  /** A result for a calculation that is no longer active: it must still match the committed copy, if any. */
  | { readonly type: 'late'; readonly connId: string; readonly report: ResultReport };

/** A worker as the scheduler sees it (for status and metrics). */
export interface WorkerSnapshot {
  readonly connId: string;
  readonly workerId: string;
  readonly address: string;
  readonly kind: WorkerKind;
  readonly capacity: number;
  readonly inFlight: number;
  readonly state: WorkerState;
  readonly chunksCompleted: number;
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
}
