/**
 * Conversions between the core's records and the pigrid.v1 wire messages. int64 fields arrive as decimal strings
 * (proto-loader `longs: String`) and are sent as numbers (every value is a safe integer).
 */
import type { Calculation } from '../../generated/proto/pigrid/v1/Calculation.js';
import type { Mode as WireMode } from '../../generated/proto/pigrid/v1/Mode.js';
import type { Status as WireStatus } from '../../generated/proto/pigrid/v1/Status.js';
import type { Mode } from '../../shared/submit-rules.js';
import { estimate, type CalculationRecord, type CalculationStatus } from '../core/model.js';

const STATUS_TO_WIRE: Record<CalculationStatus, WireStatus> = {
  queued: 'STATUS_QUEUED',
  running: 'STATUS_RUNNING',
  completed: 'STATUS_COMPLETED',
  failed: 'STATUS_FAILED',
  cancelled: 'STATUS_CANCELLED',
};

export function modeToWire(mode: Mode): WireMode {
  return mode === 'single' ? 'MODE_SINGLE' : 'MODE_DISTRIBUTED';
}

/** Maps a wire mode to ours; undefined means "not a known mode" (a number no enum value has). */
export function modeFromWire(mode: unknown): Mode | null | undefined {
  if (mode === 'MODE_SINGLE' || mode === 1) return 'single';
  if (mode === 'MODE_DISTRIBUTED' || mode === 2) return 'distributed';
  if (mode === 'MODE_UNSPECIFIED' || mode === 0 || mode === undefined || mode === null) return null;
  return undefined;
}

export function toWireCalculation(r: CalculationRecord): Calculation {
  const out: Calculation = {
    id: r.id,
    status: STATUS_TO_WIRE[r.status],
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
