/** The scheduler's invariants as a list of violations; tests check them after every step. */
import type { Lease, SchedulerState } from './scheduler-state.js';
import type { Connection } from './worker-registry.js';

/**
 * A lease's span: one chunk unless it is a primary or backup lease of a remote worker that accepts spans, at most
 * maxSpanChunks (a backup copies its original's), inside its calculation, every chunk of the same points, and every
 * chunk of it not committed indexed to it.
 */
function spanViolations(s: SchedulerState, lease: Lease, w: Connection | undefined): string[] {
  const out: string[] = [];
  const n = lease.chunkCount;
  if (!Number.isSafeInteger(n) || n < 1) return [`lease ${lease.leaseId} covers ${n} chunks`];
  if (n === 1) return out;
  if (lease.purpose === 'verify') out.push(`verify lease ${lease.leaseId} covers ${n} chunks`);
  if (w && !w.acceptsSpans) out.push(`lease ${lease.leaseId} of ${n} chunks went to ${w.connId}, which does not accept spans`);
  if (n > s.opts.maxSpanChunks) out.push(`lease ${lease.leaseId} covers ${n} chunks, over maxSpanChunks`);
  const c = s.calcs.get(lease.calculationId);
  if (!c) return out;
  if (lease.chunkIndex + n > c.rec.chunkCount) out.push(`lease ${lease.leaseId} runs past the last chunk of ${c.rec.id}`);
  for (let i = lease.chunkIndex; i < lease.chunkIndex + n; i++) {
    if (c.pointsOf(i) !== lease.points) out.push(`lease ${lease.leaseId}: chunk ${i} has other points than the span`);
    if (!c.committed.has(i) && !c.leasesOfChunk(i).includes(lease.leaseId))
      out.push(`lease ${lease.leaseId}: chunk ${i} of its span is neither committed nor indexed to it`);
  }
  return out;
}

/**
 * The scheduler's invariants, as a list of violations (empty when they hold). Tests call it after every step:
 * every chunk of an active calculation is committed, waiting to be leased, or held by a live lease; every lease
 * belongs to a connected stream; a pending check waits for a lease or has one; the counters match the chunks.
 */
export function violations(s: SchedulerState): string[] {
  const out: string[] = [...s.registry.indexViolations(s.lastNow)];
  for (const lease of s.leases.values()) {
    if (lease.deadlineMs !== Number.POSITIVE_INFINITY && !s.deadlines.has(lease)) out.push(`lease ${lease.leaseId} has no deadline timer`);
    const c = s.calcs.get(lease.calculationId);
    if (c && !c.leaseIds.has(lease.leaseId)) out.push(`lease ${lease.leaseId} is missing from ${c.rec.id}'s lease set`);
  }
  for (const c of s.calcs.values()) {
    if (c.backlog() > 0 !== s.backlogged[c.rec.mode].has(c)) out.push(`${c.rec.id}: fair-share index says backlog ${c.backlog() <= 0}`);
    if (c.hasChecksWaiting() !== s.checksWaiting.has(c)) out.push(`${c.rec.id}: waiting-checks index wrong`);
    for (const id of c.leaseIds) if (!s.leases.has(id)) out.push(`${c.rec.id}: lease set holds dead lease ${id}`);
  }
  for (const lease of s.leases.values()) {
    const w = s.registry.get(lease.connId);
    if (!w) out.push(`lease ${lease.leaseId} belongs to ${lease.connId}, which is not connected`);
    else if (!w.leases.has(lease.leaseId)) out.push(`lease ${lease.leaseId} is missing from ${lease.connId}'s set`);
    out.push(...spanViolations(s, lease, w));
  }
  for (const w of s.registry.connections.values()) {
    for (const id of w.leases) if (!s.leases.has(id)) out.push(`${w.connId} holds unknown lease ${id}`);
  }
  for (const c of s.calcs.values()) {
    const id = c.rec.id;
    let inside = 0;
    let pending = 0;
    for (let i = 0; i < c.rec.chunkCount; i++) {
      const e = c.committed.get(i);
      const leased = c.leasesOfChunk(i);
      for (const l of leased) {
        const lease = s.leases.get(l);
        if (!lease) out.push(`${id} chunk ${i}: lease ${l} is not live`);
        else if (i < lease.chunkIndex || i >= lease.chunkIndex + lease.chunkCount)
          out.push(`${id} chunk ${i}: indexed to lease ${l}, which does not cover it`);
      }
      if (e) {
        inside += e.inside;
        if (e.check !== 'none') {
          pending += 1;
          const v = c.verifying.get(i);
          if (!c.isCheckWaiting(i) && !(v && [...v].some((l) => s.leases.has(l))))
            out.push(`${id} chunk ${i}: check pending with no lease and not queued`);
        }
      } else if (leased.length === 0 && !c.isWaiting(i)) {
        out.push(`${id} chunk ${i}: neither committed, leased nor waiting`);
      }
      if (e && c.leased.has(i)) out.push(`${id} chunk ${i}: committed but still in the leased table`);
    }
    if (inside !== c.rec.inside) out.push(`${id}: inside ${c.rec.inside} != sum of chunks ${inside}`);
    if (c.committed.size !== c.rec.chunksDone) out.push(`${id}: chunksDone ${c.rec.chunksDone} != ${c.committed.size}`);
    if (pending !== c.pendingChecks()) out.push(`${id}: pending checks ${c.pendingChecks()} != ${pending}`);
    if (c.isDone()) out.push(`${id}: done but still active`);
  }
  return out;
}
