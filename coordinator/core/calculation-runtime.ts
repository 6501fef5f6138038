/**
 * Per-calculation chunk bookkeeping. Every chunk is in exactly one of three states: committed (with its exact hit
 * count and who computed it), leased (at least one live lease), or waiting to be leased. A committed chunk may also
 * have a check pending (a second computation elsewhere is due, or two disagreed); a calculation is done only when
 * every chunk is committed and no check is pending.
 */
import { chunkPoints } from './chunk-plan.js';
import type { CalculationRecord, CheckState, ChunkCommit } from './model.js';

const RECENT_DURATIONS = 64;

/** The key of a worker identity: worker id and process instance. */
export function identityKey(workerId: string, instanceId: string): string {
  return `${workerId}\u0000${instanceId}`;
}

/** A committed chunk as the scheduler keeps it. */
export interface ChunkEntry {
  inside: number;
  /** Identity key of the worker whose value is committed. */
  by: string;
  workerId: string;
  instanceId: string;
  elapsedMs: number;
  committedAtMs: number;
  verifiedBy: string | null;
  check: CheckState;
  /** While disputed: identity key → the value it reported (the committed one included). */
  votes?: Map<string, number>;
}

export class CalculationRuntime {
  readonly rec: CalculationRecord;
  readonly committed = new Map<number, ChunkEntry>();
  /**
   * chunk index → its live primary/backup lease id, or a set of them when a backup copy is out too, for chunks not
   * yet committed. Almost every chunk has one lease: a `Set` per chunk cost ~150 bytes per lease that, with 9,000
   * leases out at 1,000 workers, lived long enough to be promoted and swept by full GCs. Read it through
   * {@link leasesOfChunk}.
   */
  readonly leased = new Map<number, string | Set<string>>();
  /** chunk index → live verification lease ids. */
  readonly verifying = new Map<number, Set<string>>();
  /** Every live lease of this calculation (primary, backup, verify, and copies of chunks committed since). */
  readonly leaseIds = new Set<string>();
  /** Kernel failures per chunk. */
  readonly failures = new Map<number, number>();
  private readonly requeue: number[] = [];
  private readonly queued = new Set<number>();
  private nextFresh = 0;
  /** Committed chunks whose check is pending and that no verification lease covers. */
  private readonly checkQueue = new Set<number>();
  /** chunk index → when its pending check began. */
  private readonly checkSinceMs = new Map<number, number>();
  private pending = 0;
  /** Kernel time per chunk of recent results, a ring of RECENT_DURATIONS; `next` is where the next one goes. */
  private readonly recentDurationsMs: number[] = [];
  private nextDuration = 0;
  /** Their median, or undefined when a new duration came in since it was last computed. */
  private typicalMs: number | undefined;

  constructor(rec: CalculationRecord, committed: ReadonlyMap<number, ChunkCommit> = new Map(), now = 0) {
    this.rec = rec;
    for (const [i, c] of committed) {
      this.committed.set(i, {
        inside: c.inside,
        by: identityKey(c.workerId, c.instanceId),
        workerId: c.workerId,
        instanceId: c.instanceId,
        elapsedMs: c.elapsedMs,
        committedAtMs: c.committedAtMs,
        verifiedBy: c.verifiedBy,
        check: 'none',
      });
      // A dispute's votes are not stored: after a restart it is a plain check again.
      if (c.check !== 'none') this.wantCheck(i, now);
    }
  }

  /** Chunks neither committed nor leased. */
  backlog(): number {
    return this.rec.chunkCount - this.committed.size - this.leased.size;
  }

  /** Committed chunks whose check is still pending. */
  pendingChecks(): number {
    return this.pending;
  }

  /** Every chunk committed and every check settled. */
  isDone(): boolean {
    return this.committed.size === this.rec.chunkCount && this.pending === 0;
  }

  pointsOf(index: number): number {
    return chunkPoints(this.rec.points, this.rec.chunkSize, index);
  }

  /**
   * After `take()` returned `first`: takes the waiting chunks right after it, as long as they have the same points,
   * until the span holds `max` chunks; returns its length (1 when none follows). O(length): a chunk taken from the
   * requeue list leaves its entry there, and `take()` skips it like any entry of a chunk leased since.
   */
  takeFollowing(first: number, max: number): number {
    const points = this.pointsOf(first);
    let n = 1;
    for (; n < max; n++) {
      const j = first + n;
      if (j >= this.rec.chunkCount || this.committed.has(j) || this.leased.has(j) || this.pointsOf(j) !== points) break;
      // Contiguous from `first` (below nextFresh): j is either requeued or exactly the next fresh chunk.
      if (j >= this.nextFresh) this.nextFresh = j + 1;
      else this.queued.delete(j);
    }
    return n;
  }

  /** Takes the next chunk to lease: returned chunks first, then fresh ones in order. */
  take(): number | undefined {
    while (this.requeue.length > 0) {
      const i = this.requeue.shift()!;
      this.queued.delete(i);
      if (!this.committed.has(i) && !this.leased.has(i)) return i;
    }
    while (this.nextFresh < this.rec.chunkCount) {
      const i = this.nextFresh++;
      if (!this.committed.has(i) && !this.leased.has(i)) return i;
    }
    return undefined;
  }

  /** True when chunk `index` waits to be leased (the invariant check uses it). */
  isWaiting(index: number): boolean {
    return index >= this.nextFresh || this.queued.has(index);
  }

  /** The live primary/backup lease ids of a chunk, in lease order (none once it is committed). */
  leasesOfChunk(index: number): readonly string[] {
    const held = this.leased.get(index);
    if (held === undefined) return [];
    return typeof held === 'string' ? [held] : [...held];
  }

  addLease(index: number, leaseId: string): void {
    const held = this.leased.get(index);
    if (held === undefined) this.leased.set(index, leaseId);
    else if (typeof held === 'string') this.leased.set(index, new Set([held, leaseId]));
    else held.add(leaseId);
  }

  /**
   * Forgets one primary/backup lease of a chunk (answered or ended). Returns true when no lease covers the chunk
   * any more.
   */
  forgetLease(index: number, leaseId: string): boolean {
    const held = this.leased.get(index);
    if (held === undefined) return false;
    if (typeof held === 'string') {
      if (held !== leaseId) return false;
    } else {
      if (!held.delete(leaseId)) return false;
      if (held.size > 0) return false;
    }
    this.leased.delete(index);
    return true;
  }

  /**
   * Forgets one primary/backup lease of a chunk. Returns true when the chunk went back to the queue (it is not
   * committed and no other lease covers it).
   */
  dropLease(index: number, leaseId: string): boolean {
    if (!this.forgetLease(index, leaseId)) return false;
    if (this.committed.has(index)) return false;
    this.enqueue(index);
    return true;
  }

  /**
   * Sends a chunk back to the queue when nothing holds it any more: neither committed nor covered by a lease (the
   * rest of a span whose lease was answered but whose chunks were not all recorded). Returns true when it went back.
   */
  requeueIfLost(index: number): boolean {
    if (this.committed.has(index) || this.leased.has(index) || this.isWaiting(index)) return false;
    this.enqueue(index);
    return true;
  }

  /**
   * Records a chunk's first hit count (the caller checked it is not committed yet). `sample`: its time counts towards
   * the typical chunk time (a span's chunks do not: the span is one sample, see {@link noteChunkMs}).
   */
  commit(index: number, entry: ChunkEntry, sample = true): void {
    this.committed.set(index, entry);
    this.leased.delete(index);
    this.rec.inside += entry.inside;
    this.rec.pointsDone += this.pointsOf(index);
    this.rec.chunksDone += 1;
    if (sample) this.noteChunkMs(entry.elapsedMs);
  }

  /** One measurement of the kernel time of a chunk (a span's time divided by its chunks); a time no clock gives is ignored. */
  noteChunkMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.recentDurationsMs[this.nextDuration] = ms;
    this.nextDuration = (this.nextDuration + 1) % RECENT_DURATIONS;
    this.typicalMs = undefined;
  }

  /** Replaces a committed chunk's value (a dispute decided against it). */
  replace(index: number, inside: number, by: { key: string; workerId: string; instanceId: string }): void {
    const e = this.committed.get(index)!;
    this.rec.inside += inside - e.inside;
    e.inside = inside;
    e.by = by.key;
    e.workerId = by.workerId;
    e.instanceId = by.instanceId;
  }

  /** Forgets a committed chunk; it waits to be leased again. */
  uncommit(index: number): void {
    const e = this.committed.get(index);
    if (!e) return;
    if (e.check !== 'none') this.settle(index);
    if (e.verifiedBy !== null) this.unverify(e.verifiedBy);
    this.committed.delete(index);
    this.rec.inside -= e.inside;
    this.rec.pointsDone -= this.pointsOf(index);
    this.rec.chunksDone -= 1;
    this.rec.chunksRecomputed += 1;
    this.enqueue(index);
  }

  /** A committed chunk needs a second computation. */
  wantCheck(index: number, now: number): void {
    const e = this.committed.get(index)!;
    if (e.check === 'none') {
      e.check = 'wanted';
      this.pending += 1;
      this.checkSinceMs.set(index, now);
    }
    if (!this.verifying.has(index)) this.checkQueue.add(index);
  }

  /** Marks a chunk's check as settled and counts who confirmed it. */
  confirm(index: number, verifierWorkerId: string): void {
    const e = this.committed.get(index)!;
    if (e.check !== 'none') this.settle(index);
    if (e.verifiedBy === null) {
      e.verifiedBy = verifierWorkerId;
      this.rec.chunksVerified += 1;
      this.rec.verifiedBy = { ...this.rec.verifiedBy, [verifierWorkerId]: (this.rec.verifiedBy[verifierWorkerId] ?? 0) + 1 };
    }
  }

  /** Chunks waiting for a verification lease, in order. */
  checksWaiting(): IterableIterator<number> {
    return this.checkQueue.values();
  }

  /** When the pending check of a chunk began. */
  checkSince(index: number): number {
    return this.checkSinceMs.get(index) ?? 0;
  }

  hasChecksWaiting(): boolean {
    return this.checkQueue.size > 0;
  }

  isCheckWaiting(index: number): boolean {
    return this.checkQueue.has(index);
  }

  addCheckLease(index: number, leaseId: string): void {
    this.checkQueue.delete(index);
    let set = this.verifying.get(index);
    if (!set) this.verifying.set(index, (set = new Set()));
    set.add(leaseId);
  }

  /** Forgets a verification lease; a check still pending waits for another one. */
  dropCheckLease(index: number, leaseId: string): void {
    const set = this.verifying.get(index);
    if (!set || !set.delete(leaseId)) return;
    if (set.size > 0) return;
    this.verifying.delete(index);
    const e = this.committed.get(index);
    if (e && e.check !== 'none') this.checkQueue.add(index);
  }

  /** Median kernel time of recent chunks, or undefined before the first result. */
  typicalChunkMs(): number | undefined {
    if (this.recentDurationsMs.length === 0) return undefined;
    // Computed again only after a new measurement: span sizing asks at every grant.
    if (this.typicalMs === undefined) {
      const sorted = [...this.recentDurationsMs].sort((a, b) => a - b);
      this.typicalMs = sorted[Math.floor(sorted.length / 2)];
    }
    return this.typicalMs;
  }

  private settle(index: number): void {
    const e = this.committed.get(index)!;
    e.check = 'none';
    e.votes = undefined;
    this.pending -= 1;
    this.checkQueue.delete(index);
    this.checkSinceMs.delete(index);
  }

  private unverify(workerId: string): void {
    this.rec.chunksVerified -= 1;
    const left = (this.rec.verifiedBy[workerId] ?? 1) - 1;
    const next = { ...this.rec.verifiedBy };
    if (left > 0) next[workerId] = left;
    else delete next[workerId];
    this.rec.verifiedBy = next;
  }

  private enqueue(index: number): void {
    if (index >= this.nextFresh || this.queued.has(index)) return;
    this.queued.add(index);
    this.requeue.push(index);
  }
}
