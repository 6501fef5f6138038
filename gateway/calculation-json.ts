/**
 * The REST shape of a calculation: snake_case, ISO-8601 times, null for what is not known yet.
 */
import type { Calculation__Output } from '../generated/proto/pigrid/v1/Calculation.js';
import type { Mode } from '../shared/submit-rules.js';
import { modeFromWire, statusFromWire, type CalculationStatus } from '../shared/wire.js';

export interface CalculationJson {
  id: string;
  status: CalculationStatus;
  mode: Mode;
  points: number;
  points_done: number;
  progress: number;
  inside: number;
  result_pi: number | null;
  std_error: number | null;
  seed: number;
  chunk_size: number;
  chunk_count: number;
  chunks_done: number;
  chunks_released: number;
  duplicate_results: number;
  /** Chunks a second, independent computation confirmed. */
  chunks_verified: number;
  /** Chunks computed again because their worker was quarantined. */
  chunks_recomputed: number;
  /** Verifying worker id → chunks it confirmed. */
  verified_by: Record<string, number>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  error_code: string | null;
}

const iso = (ms: string | undefined) => (ms === undefined ? null : new Date(Number(ms)).toISOString());

/**
 * proto3 `optional` fields: with `defaults: true` proto-loader fills absent ones with zero, so presence is read from
 * the synthetic oneof (`_resultPi: 'resultPi'`).
 */
function present<K extends keyof Calculation__Output>(c: Calculation__Output, key: K & string): Calculation__Output[K] | undefined {
  const oneof = (c as unknown as Record<string, unknown>)[`_${key}`];
  return oneof === key ? c[key] : undefined;
}

export function toCalculationJson(c: Calculation__Output): CalculationJson {
  return {
    id: c.id,
    status: statusFromWire(c.status),
    mode: modeFromWire(c.mode) ?? 'distributed',
    points: Number(c.points),
    points_done: Number(c.pointsDone),
    progress: c.progress,
    inside: Number(c.inside),
    result_pi: present(c, 'resultPi') ?? null,
    std_error: present(c, 'stdError') ?? null,
    seed: Number(c.seed),
    chunk_size: Number(c.chunkSize),
    chunk_count: Number(c.chunkCount),
    chunks_done: Number(c.chunksDone),
    chunks_released: Number(c.chunksReleased),
    duplicate_results: Number(c.duplicateResults),
    chunks_verified: Number(c.chunksVerified),
    chunks_recomputed: Number(c.chunksRecomputed),
    verified_by: Object.fromEntries(c.verifiedBy.map((v) => [v.workerId, Number(v.chunks)])),
    created_at: iso(c.createdAtMs)!,
    started_at: iso(present(c, 'startedAtMs')),
    finished_at: iso(present(c, 'finishedAtMs')),
    duration_ms: present(c, 'durationMs') === undefined ? null : Number(c.durationMs),
    error: c.error || null,
    error_code: c.errorCode || null,
  };
}
