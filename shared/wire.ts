/**
 * What both sides of the Calculations API agree on beyond the proto: the enums (Mode, Status) mapped to the
 * lower-case names REST and the coordinator use, one mapping each way, and the metadata keys the gateway and the
 * coordinator exchange; and the Work stream's batch bound.
 */
import type { Mode__Output as WireMode } from '../generated/proto/pigrid/v1/Mode.js';
import type { Status__Output as WireStatus } from '../generated/proto/pigrid/v1/Status.js';
import type { Mode } from './submit-rules.js';

/**
 * Work stream: the most results one ResultBatch may carry. The coordinator refuses a longer batch whole (counted as
 * rejected, reason batch_too_large) and closes the stream; a worker splits longer runs of results into several
 * batches. Far above what a worker legitimately holds (capacity plus prefetch), far below what the 4 MB message limit
 * would let a hostile worker make the coordinator allocate.
 */
export const MAX_RESULT_BATCH = 4096;

/**
 * Work stream: the most chunks one Lease may cover (Lease.chunk_count). A worker answers a longer span with a
 * ChunkFailure (KERNEL_INVALID_INPUT) without computing it. At most 65,536 counts of up to 5 bytes each keep a span's
 * ChunkResult far below the 4 MB message limit, and what a worker allocates for one lease small.
 */
export const MAX_LEASE_CHUNKS = 65_536;

/** Request metadata: the caller's request id (the gateway's REST request id), logged with unexpected errors. */
export const REQUEST_ID_METADATA_KEY = 'x-request-id';
/** Trailing metadata of an error answer: its catalogue code (docs/errors.md). */
export const CODE_METADATA_KEY = 'pigrid-code';
/** Trailing metadata of an error answer: the request field it is about, if any. */
export const FIELD_METADATA_KEY = 'pigrid-field';

/** A calculation's lifecycle: `queued → running → completed | failed | cancelled`. */
export type CalculationStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

const MODE_TO_WIRE: Readonly<Record<Mode, WireMode>> = { single: 'MODE_SINGLE', distributed: 'MODE_DISTRIBUTED' };

const STATUS_TO_WIRE: Readonly<Record<CalculationStatus, WireStatus>> = {
  queued: 'STATUS_QUEUED',
  running: 'STATUS_RUNNING',
  completed: 'STATUS_COMPLETED',
  failed: 'STATUS_FAILED',
  cancelled: 'STATUS_CANCELLED',
};

export function modeToWire(mode: Mode): WireMode {
  return MODE_TO_WIRE[mode];
}

/**
 * Maps a wire mode (name or number) to ours: null for MODE_UNSPECIFIED or none, undefined for a value no enum member
 * has (a client sent a number outside Mode).
 */
export function modeFromWire(mode: unknown): Mode | null | undefined {
  if (mode === undefined || mode === null || mode === 'MODE_UNSPECIFIED' || mode === 0) return null;
  if (mode === 'MODE_SINGLE' || mode === 1) return 'single';
  if (mode === 'MODE_DISTRIBUTED' || mode === 2) return 'distributed';
  return undefined;
}

export function statusToWire(status: CalculationStatus): WireStatus {
  return STATUS_TO_WIRE[status];
}

export function statusFromWire(status: WireStatus): CalculationStatus {
  const found = (Object.keys(STATUS_TO_WIRE) as CalculationStatus[]).find((s) => STATUS_TO_WIRE[s] === status);
  if (found === undefined) throw new Error(`the coordinator sent a calculation without a status (${status})`);
  return found;
}
