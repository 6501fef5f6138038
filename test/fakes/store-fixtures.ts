/**
 * The small calculation and chunk the store tests write: a distributed calculation of 3,000 points in three chunks of
 * 1,000 (seed 9), and a committed chunk of it, unverified.
 */
import { newCalculationRecord, type CalculationRecord, type ChunkCommit } from '../../coordinator/core/model.js';

export function storedCalculation(id: string, more: Partial<CalculationRecord> = {}): CalculationRecord {
  return { ...newCalculationRecord({ id, mode: 'distributed', points: 3000, seed: 9, chunkSize: 1000, createdAtMs: 1 }), ...more };
}

export function storedChunk(calculationId: string, chunkIndex: number, inside: number, more: Partial<ChunkCommit> = {}): ChunkCommit {
  return {
    calculationId,
    chunkIndex,
    points: 1000,
    inside,
    workerId: 'w',
    instanceId: 'i',
    elapsedMs: 5,
    committedAtMs: 10,
    verifiedBy: null,
    check: 'none',
    ...more,
  };
}
