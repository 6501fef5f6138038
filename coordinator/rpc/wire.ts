/**
 * Conversions between the core's records and the pigrid.v1 wire messages. int64 fields arrive as decimal strings
 * (proto-loader `longs: String`) and are sent as numbers (every value is a safe integer).
 */
import type { Calculation } from '../../generated/proto/pigrid/v1/Calculation.js';
import { modeToWire, statusToWire } from '../../shared/wire.js';
import { estimate, type CalculationRecord } from '../core/model.js';

export function toWireCalculation(r: CalculationRecord): Calculation {
  const out: Calculation = {
    id: r.id,
    status: statusToWire(r.status),
    mode: modeToWire(r.mode),
    points: r.points,
    pointsDone: r.pointsDone,
    progress: r.points > 0 ? r.pointsDone / r.points : 0,
    inside: r.inside,
    seed: r.seed,
    chunkSize: r.chunkSize,
    chunkCount: r.chunkCount,
    chunksDone: r.chunksDone,
    createdAtMs: r.createdAtMs,
    error: r.error ?? '',
    errorCode: r.errorCode ?? '',
    chunksReleased: r.chunksReleased,
    duplicateResults: r.duplicateResults,
    chunksVerified: r.chunksVerified,
    chunksRecomputed: r.chunksRecomputed,
    verifiedBy: Object.entries(r.verifiedBy)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([workerId, chunks]) => ({ workerId, chunks })),
  };
  if (r.status === 'completed') {
    const e = estimate(r.inside, r.points);
    out.resultPi = e.pi;
    out.stdError = e.stdError;
  }
  if (r.startedAtMs !== null) out.startedAtMs = r.startedAtMs;
  if (r.finishedAtMs !== null) {
    out.finishedAtMs = r.finishedAtMs;
    out.durationMs = r.startedAtMs !== null ? r.finishedAtMs - r.startedAtMs : 0;
  }
  return out;
}
