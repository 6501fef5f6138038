/**
 * Granting leases to free credits: checks first, then chunks of the fairest calculation in round-robin order over
 * the workers, a span at a time for workers that accept spans (span-sizing.ts decides how many chunks).
 */
import type { CalculationRuntime } from './calculation-runtime.js';
import { touch } from './fair-share.js';
import type { Effect, LeaseGrant, LeasePurpose } from './scheduler-types.js';
import type { Lease, SchedulerState } from './scheduler-state.js';
import { spanChunks } from './span-sizing.js';
import type { Connection } from './worker-registry.js';

/**
 * Checks go first (they hold a calculation's completion). A check goes to a remote worker that has not computed
 * that chunk yet; the coordinator's own pool takes it when no such worker exists or none took it for
 * stragglerMinMs.
 */
export function grantChecks(s: SchedulerState, now: number, effects: Effect[]): void {
  for (const c of [...s.checksWaiting]) {
    for (const index of [...c.checksWaiting()]) {
      const e = c.committed.get(index)!;
      const voted = (w: Connection) => (e.votes ? e.votes.has(w.key) : e.by === w.key);
      let helper: Connection | undefined;
      for (const w of s.registry.freeOf('remote')) {
        if (!voted(w)) {
          helper = w;
          break;
        }
      }
      if (!helper) {
        let remoteExists = false;
        for (const w of s.registry.usableRemote) {
          if (!voted(w)) {
            remoteExists = true;
            break;
          }
        }
        const waited = now - c.checkSince(index) >= s.opts.stragglerMinMs;
        if (!remoteExists || waited) {
          for (const w of s.registry.freeOf('local')) {
            if (!voted(w)) {
              helper = w;
              break;
            }
          }
        }
      }
      if (helper) grant(s, helper, c, index, 'verify', now, effects);
    }
  }
}

/** Each free credit, in round-robin order over the workers, takes a chunk of the fairest calculation. */
export function grantFairly(s: SchedulerState, now: number, effects: Effect[]): void {
  for (const [kind, mode] of [
    ['remote', 'distributed'],
    ['local', 'single'],
  ] as const) {
    const free = s.registry.freeOf(kind);
    const heap = s.backlogged[mode];
    while (free.size > 0 && heap.size > 0) {
      const w = free.first()!;
      const c = heap.peek()!;
      const index = c.take();
      if (index === undefined) {
        heap.remove(c); // cannot happen while the invariant holds: backlog > 0 means a chunk waits
        continue;
      }
      const count = w.acceptsSpans ? c.takeFollowing(index, spanChunks(s, c)) : 1;
      grant(s, w, c, index, 'primary', now, effects, count);
    }
  }
}

/** Grants `chunkCount` chunks from `index` (taken from the queue, or a copy of what a lease holds) as one lease. */
export function grant(
  s: SchedulerState,
  w: Connection,
  c: CalculationRuntime,
  index: number,
  purpose: LeasePurpose,
  now: number,
  effects: Effect[],
  chunkCount = 1,
): void {
  const ttlMs = s.opts.leaseTtlMs;
  const points = c.pointsOf(index);
  const leaseId = s.tokens.mint({
    calculationId: c.rec.id,
    chunkIndex: index,
    seed: c.rec.seed,
    points,
    workerId: w.workerId,
    instanceId: w.instanceId,
    chunkCount,
  });
  const lease: Lease = {
    leaseId,
    calculationId: c.rec.id,
    chunkIndex: index,
    seed: c.rec.seed,
    points,
    ttlMs,
    purpose,
    chunkCount,
    connId: w.connId,
    grantedAtMs: now,
    // The coordinator's own pool cannot silently vanish: its leases never lapse.
    deadlineMs: w.kind === 'local' ? Number.POSITIVE_INFINITY : now + ttlMs,
    earlier: undefined,
    later: undefined,
    listed: false,
  };
  s.leases.set(leaseId, lease);
  if (lease.deadlineMs !== Number.POSITIVE_INFINITY) s.deadlines.upsert(lease);
  w.leases.add(leaseId);
  c.leaseIds.add(leaseId);
  if (purpose === 'verify') c.addCheckLease(index, leaseId);
  else if (chunkCount === 1) c.addLease(index, leaseId);
  else {
    // Every chunk of the span maps to the lease (a backup copy's chunks committed since are not leased any more).
    for (let i = index; i < index + chunkCount; i++) if (!c.committed.has(i)) c.addLease(i, leaseId);
  }
  s.registry.granted(w, now);
  touch(s, c);
  if (c.rec.status === 'queued') {
    c.rec.status = 'running';
    c.rec.startedAtMs = now;
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }
  // Built field by field: an object rest (`{ connId, ...grant } = lease`) copied through a slow generic path.
  const grant: LeaseGrant = { leaseId, calculationId: c.rec.id, chunkIndex: index, seed: c.rec.seed, points, ttlMs, purpose, chunkCount };
  effects.push({ type: 'grant', connId: w.connId, lease: grant });
}
