/** Backup copies of straggling leases, for idle workers once nothing is left to lease. */
import { grant } from './lease-granting.js';
import type { Effect } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import type { Connection } from './worker-registry.js';

/**
 * When nothing is left to lease but a chunk has been out far longer than the calculation's typical chunk time,
 * an idle worker of another identity gets a backup copy. The first result wins; the other must match it.
 */
export function backUpStragglers(s: SchedulerState, now: number, effects: Effect[]): void {
  if (s.registry.idle.size === 0) return;
  for (const c of s.calcs.values()) {
    if (c.rec.mode !== 'distributed' || c.backlog() > 0 || s.registry.idle.size === 0) continue;
    const typical = c.typicalChunkMs();
    if (typical === undefined) continue;
    const threshold = Math.max(s.opts.stragglerMinMs, s.opts.stragglerFactor * typical);
    // c.leased is in lease order (a chunk leased again moves to the end): stop at the first young one.
    for (const [, held] of c.leased) {
      if (typeof held !== 'string') continue;
      const only = s.leases.get(held)!;
      if (now - only.grantedAtMs < threshold) break;
      const holder = s.registry.get(only.connId)!;
      // A backup of a span covers the same span: only a worker that accepts spans can take it.
      const span = only.chunkCount > 1;
      let helper: Connection | undefined;
      for (const w of s.registry.idle) {
        if (w.key !== holder.key && (!span || w.acceptsSpans)) {
          helper = w;
          break;
        }
      }
      if (!helper) {
        if (span) continue;
        break;
      }
      grant(s, helper, c, only.chunkIndex, 'backup', now, effects, only.chunkCount);
      if (s.registry.idle.size === 0) return;
    }
  }
}
