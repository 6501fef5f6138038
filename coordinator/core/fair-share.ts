/**
 * Fair share between calculations: the ones with chunks waiting to be leased sit in a heap ordered by `fairer`, the
 * ones with checks waiting in a set; `touch` re-files a calculation in both after its chunks changed.
 */
import type { CalculationRuntime } from './calculation-runtime.js';
import type { SchedulerState } from './scheduler-state.js';

/** Fair share: fewest chunks in flight first, then oldest, then by id (a total order). */
export function fairer(a: CalculationRuntime, b: CalculationRuntime): boolean {
  const x = a.leased.size;
  const y = b.leased.size;
  if (x !== y) return x < y;
  if (a.rec.createdAtMs !== b.rec.createdAtMs) return a.rec.createdAtMs < b.rec.createdAtMs;
  return a.rec.id < b.rec.id;
}

/** Re-files a calculation in the fair-share heap and the waiting-checks set after its chunks changed. */
export function touch(s: SchedulerState, c: CalculationRuntime): void {
  if (!s.calcs.has(c.rec.id)) return;
  const heap = s.backlogged[c.rec.mode];
  if (c.backlog() > 0) heap.upsert(c);
  else heap.remove(c);
  if (c.hasChecksWaiting()) s.checksWaiting.add(c);
  else s.checksWaiting.delete(c);
}
