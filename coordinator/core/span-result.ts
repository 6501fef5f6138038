/** Recording a genuine span result: one result per chunk, one sample of the chunk time and of the worker's pace. */
import type { CalculationRuntime } from './calculation-runtime.js';
import { releaseChunks } from './lease-table.js';
import { record } from './result-assimilation.js';
import type { Effect, ResultReport } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import type { Connection } from './worker-registry.js';

/**
 * A genuine span result: each chunk is recorded as its own result (commit, duplicate compare, check selection,
 * votes), the span is one sample of the typical chunk time and one result in the worker's pace. Stops when the
 * worker is quarantined by one of its own chunks (the rest is not trusted: back to the queue), and hands what is
 * left to the `late` path when the calculation completed on the way (the remaining chunks are then committed copies
 * to compare).
 */
export function recordSpan(
  s: SchedulerState,
  c: CalculationRuntime,
  r: ResultReport,
  spanInside: readonly number[],
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  const count = spanInside.length;
  const perChunkMs = r.elapsedMs / count;
  c.noteChunkMs(perChunkMs);
  s.spanResult = true;
  s.spanRewards = 0;
  s.spanProgressed = false;
  try {
    for (let i = 0; i < count; i++) {
      if (w.trust.quarantine !== undefined) {
        // Quarantined by one of its own chunks: the rest is not trusted. The span's lease ended with this result,
        // so a chunk of the rest that nobody committed, holds or queued goes back to the queue (else it would be
        // orphaned and the calculation would never complete).
        if (s.calcs.has(c.rec.id)) {
          releaseChunks(s, c, r.chunkIndex + i, r.chunkIndex + count, (index) => c.requeueIfIdle(index), 'quarantined', effects);
        }
        return;
      }
      if (!s.calcs.has(c.rec.id)) {
        const rest = spanInside.slice(i);
        const report: ResultReport = {
          ...r,
          chunkIndex: r.chunkIndex + i,
          chunkCount: rest.length,
          spanInside: rest,
          inside: rest.reduce((a, b) => a + b, 0),
        };
        effects.push({ type: 'late', connId: w.connId, report });
        return;
      }
      // Stored per chunk as whole milliseconds: the chunks table's elapsed_ms is an INTEGER column (a fractional
      // value stopped the coordinator with SQLITE_CONSTRAINT_DATATYPE); the typical time above keeps the fraction.
      record(s, c, r.chunkIndex + i, spanInside[i], Math.round(perChunkMs), w, now, effects);
    }
  } finally {
    s.spanResult = false;
    if (s.spanProgressed && s.calcs.has(c.rec.id)) effects.push({ type: 'calculation', calculation: { ...c.rec } });
    if (s.spanRewards > 0) {
      s.registry.paced(w, now);
      s.registry.refresh(w, now);
    }
  }
}
