/**
 * Per-calculation chunk bookkeeping: which chunks are committed (with their exact hit counts), which are leased,
 * which wait in the queue. Every chunk is in exactly one of those three states.
 */
import { chunkPoints } from './chunk-plan.js';
import type { CalculationRecord } from './model.js';

const RECENT_DURATIONS = 64;

export class CalculationRuntime {
  readonly rec: CalculationRecord;
  /** chunk index → committed hit count. */
  readonly committed = new Map<number, number>();
  /** chunk index → lease ids, for chunks not yet committed. */
  readonly leased = new Map<number, Set<string>>();
  /** Kernel failures per chunk. */
  readonly failures = new Map<number, number>();
  private readonly requeue: number[] = [];
  private readonly queued = new Set<number>();
  private nextFresh = 0;
  private readonly recentDurationsMs: number[] = [];

  constructor(rec: CalculationRecord, committed: ReadonlyMap<number, number> = new Map()) {
    this.rec = rec;
    for (const [i, inside] of committed) this.committed.set(i, inside);
  }

  /** Chunks neither committed nor leased. */
  backlog(): number {
    return this.rec.chunkCount - this.committed.size - this.leased.size;
  }

  /** Points of chunk `index`. */
  pointsOf(index: number): number {
    return chunkPoints(this.rec.points, this.rec.chunkSize, index);
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

  addLease(index: number, leaseId: string): void {
    let set = this.leased.get(index);
    if (!set) this.leased.set(index, (set = new Set()));
    set.add(leaseId);
  }

  /**
   * Forgets one lease of a chunk. Returns true when the chunk went back to the queue (it is not committed and no
   * other lease covers it).
   */
  dropLease(index: number, leaseId: string): boolean {
    const set = this.leased.get(index);
    if (!set || !set.delete(leaseId)) return false;
    if (set.size > 0) return false;
    this.leased.delete(index);
    if (this.committed.has(index)) return false;
    if (!this.queued.has(index)) {
      this.queued.add(index);
      this.requeue.push(index);
    }
    return true;
  }

  /** Records a chunk's hit count (the caller checked it is not committed yet). */
  commit(index: number, inside: number, elapsedMs: number): void {
    this.committed.set(index, inside);
    this.leased.delete(index);
    this.rec.inside += inside;
    this.rec.pointsDone += this.pointsOf(index);
    this.rec.chunksDone += 1;
    this.recentDurationsMs.push(elapsedMs);
    if (this.recentDurationsMs.length > RECENT_DURATIONS) this.recentDurationsMs.shift();
  }

  /** Median kernel time of recent chunks, or undefined before the first result. */
  typicalChunkMs(): number | undefined {
    if (this.recentDurationsMs.length === 0) return undefined;
    const sorted = [...this.recentDurationsMs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
