/**
 * The coordinator's domain model: calculations, chunks and their states. Plain data, no I/O.
 */
import type { Mode } from '../../shared/submit-rules.js';
import type { CalculationStatus } from '../../shared/wire.js';
import { chunkCount } from './chunk-plan.js';

export type { CalculationStatus };
export const TERMINAL_STATUSES: readonly CalculationStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminal(status: CalculationStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A calculation as it is stored and reported. */
export interface CalculationRecord {
  readonly id: string;
  readonly mode: Mode;
  readonly points: number;
  readonly seed: number;
  readonly chunkSize: number;
  readonly chunkCount: number;
  status: CalculationStatus;
  /** Sum of the hit counts of committed chunks. */
  inside: number;
  /** Sum of the points of committed chunks. */
  pointsDone: number;
  chunksDone: number;
  chunksReleased: number;
  duplicateResults: number;
  /** Chunks whose hit count a second, independent computation confirmed. */
  chunksVerified: number;
  /** Chunks computed again because the worker that committed them was quarantined. */
  chunksRecomputed: number;
  /** Verifying worker id → chunks it confirmed. */
  verifiedBy: Record<string, number>;
  readonly createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  errorCode: string | null;
}

/** What a new calculation is made of; everything else starts at zero. */
export interface NewCalculation {
  readonly id: string;
  readonly mode: Mode;
  readonly points: number;
  readonly seed: number;
  readonly chunkSize: number;
  readonly createdAtMs: number;
}

/** A calculation as it is first stored: queued, nothing computed. */
export function newCalculationRecord(c: NewCalculation): CalculationRecord {
  return {
    ...c,
    chunkCount: chunkCount(c.points, c.chunkSize),
    status: 'queued',
    inside: 0,
    pointsDone: 0,
    chunksDone: 0,
    chunksReleased: 0,
    duplicateResults: 0,
    chunksVerified: 0,
    chunksRecomputed: 0,
    verifiedBy: {},
    startedAtMs: null,
    finishedAtMs: null,
    error: null,
    errorCode: null,
  };
}

/**
 * Where a committed chunk stands with verification: `none` (not selected, or already confirmed), `wanted` (a second
 * computation elsewhere is due), `disputed` (two computations disagreed; more decide).
 */
export type CheckState = 'none' | 'wanted' | 'disputed';

/** A committed chunk: its exact hit count, who computed it, and who confirmed it. */
export interface ChunkCommit {
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly points: number;
  readonly inside: number;
  readonly workerId: string;
  /** Instance id of the committing worker process (empty for the coordinator's own pool). */
  readonly instanceId: string;
  readonly elapsedMs: number;
  readonly committedAtMs: number;
  /** Worker id that confirmed it, or null. */
  readonly verifiedBy: string | null;
  readonly check: CheckState;
}

/** pi estimate and its standard error from an exact hit count. */
export function estimate(inside: number, points: number): { pi: number; stdError: number } {
  const p = inside / points;
  return { pi: (4 * inside) / points, stdError: 4 * Math.sqrt((p * (1 - p)) / points) };
}
