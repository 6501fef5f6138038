/**
 * The coordinator's domain model: calculations, chunks and their states. Plain data, no I/O.
 */
import type { Mode } from '../../shared/submit-rules.js';

export type CalculationStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
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
  readonly createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
  errorCode: string | null;
}

/** A committed chunk: its exact hit count and who computed it. */
export interface ChunkCommit {
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly points: number;
  readonly inside: number;
  readonly workerId: string;
  readonly elapsedMs: number;
  readonly committedAtMs: number;
}

/** pi estimate and its standard error from an exact hit count. */
export function estimate(inside: number, points: number): { pi: number; stdError: number } {
  const p = inside / points;
  return { pi: (4 * inside) / points, stdError: 4 * Math.sqrt((p * (1 - p)) / points) };
}
