/**
 * The connected workers as the scheduler sees them, and the trust each worker identity has earned. Trust is kept
 * per identity (worker id + process instance), so a stream that breaks and reconnects keeps what it earned, and a
 * quarantined identity stays quarantined on every stream.
 */
import { identityKey } from './calculation-runtime.js';
import { IndexedHeap } from './indexed-heap.js';
import type { ConnectionState, QuarantineRecord, SchedulerOptions, WorkerKind } from './scheduler-types.js';

/**
 * A connection's pace is measured over windows of results, never from one gap: results often arrive in bursts (two
 * in one read, a check and a primary together), and a zero gap would otherwise read as an infinitely fast worker and
 * hand it the largest prefetch for chunks that take seconds. A window closes after PACE_MIN_RESULTS results spanning
 * at least PACE_MIN_SPAN_MS, or after PACE_MAX_SPAN_MS whatever it holds (a slow or paused worker reads as slow).
 */
const PACE_MIN_RESULTS = 8;
const PACE_MIN_SPAN_MS = 20;
const PACE_MAX_SPAN_MS = 1_000;
/** Weight of the newest window in the running mean of the time between a connection's results. */
const PACE_WEIGHT = 0.3;

/** One Work stream (or the coordinator's own pool). */
export interface Connection {
  readonly connId: string;
  readonly workerId: string;
  readonly instanceId: string;
  /** identityKey(workerId, instanceId). */
  readonly key: string;
  readonly address: string;
  readonly kind: WorkerKind;
  /** The identity's trust (the registry's entry for `key`, kept here so the per-event paths skip the map lookup). */
  readonly trust: Trust;
  /** Announced capacity, capped by maxWorkerCapacity. */
  readonly capacity: number;
  readonly connectedAtMs: number;
  draining: boolean;
  /** A lease of it expired; it gets nothing until it sends something again. */
  unresponsive: boolean;
  /** No new leases before this time (it handed back or failed leases). */
  backoffUntilMs: number;
  /** The current backoff step, 0 when none. */
  backoffMs: number;
  readonly leases: Set<string>;
  chunksCompleted: number;
  /** The open pace window (start, results since), and the running mean of the time between results (adaptive prefetch). */
  paceWindowStartMs?: number;
  paceWindowResults?: number;
  resultIntervalMs?: number;
  /** Leases it may hold beyond its capacity now; undefined: the configured `prefetch`. */
  prefetch?: number;
}

/** What an identity has earned across its streams. */
export interface Trust {
  /** Credits beyond which it gets no lease: starts at initialCredits, +1 per accepted result, up to its capacity. */
  earned: number;
  /** Its results that were selected for a check (the first `verifyFirst` always are). */
  checked: number;
  /** Its results that a second computation confirmed. */
  verified: number;
  quarantine?: QuarantineRecord;
}

/**
 * Indexes kept up to date by `refresh` after every change to a connection, so the scheduler never scans the pool:
 * connections with a free credit (per kind, in round-robin order), idle remote ones (no lease at all), usable
 * remote ones (neither draining nor quarantined), and the times at which backoffs end.
 */
export class WorkerRegistry {
  private readonly opts: SchedulerOptions;
  readonly connections = new Map<string, Connection>();
  private readonly trust = new Map<string, Trust>();
  private readonly byWorkerId = new Map<string, Set<Connection>>();
  private readonly free: Record<WorkerKind, Set<Connection>> = { remote: new Set(), local: new Set() };
  /** Remote connections with a free credit and no lease. */
  readonly idle = new Set<Connection>();
  /** Remote connections neither draining nor quarantined. */
  readonly usableRemote = new Set<Connection>();
  private readonly backoffs = new IndexedHeap<Connection>((a, b) => a.backoffUntilMs < b.backoffUntilMs);

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
  }

  /** Connections of a kind with a free credit, least recently granted first. */
  freeOf(kind: WorkerKind): ReadonlySet<Connection> {
    return this.free[kind];
  }

  /** Connections that announced this worker id. */
  withWorkerId(workerId: string): ReadonlySet<Connection> {
    return this.byWorkerId.get(workerId) ?? new Set();
  }

  /** Re-files a connection in the indexes after anything about it changed. */
  refresh(c: Connection, now: number): void {
    if (!this.connections.has(c.connId)) return;
    const set = this.free[c.kind];
    set.delete(c);
    this.idle.delete(c);
    const free = this.freeCredits(c, now) > 0;
    if (free) set.add(c);
    if (c.kind === 'remote') {
      if (free && c.leases.size === 0) this.idle.add(c);
      if (!c.draining && c.trust.quarantine === undefined) this.usableRemote.add(c);
      else this.usableRemote.delete(c);
    }
    if (c.backoffUntilMs > now) this.backoffs.upsert(c);
    else this.backoffs.remove(c);
  }

  /** Connections whose backoff ended by `now`, taken off the timer. */
  backoffsEndedBy(now: number): Connection[] {
    const out: Connection[] = [];
    for (let top = this.backoffs.peek(); top && top.backoffUntilMs <= now; top = this.backoffs.peek()) out.push(this.backoffs.pop()!);
    return out;
  }

  remove(connId: string): void {
    const c = this.connections.get(connId);
    if (!c) return;
    this.connections.delete(connId);
    this.free[c.kind].delete(c);
    this.idle.delete(c);
    this.usableRemote.delete(c);
    this.backoffs.remove(c);
    const same = this.byWorkerId.get(c.workerId);
    same?.delete(c);
    if (same && same.size === 0) this.byWorkerId.delete(c.workerId);
  }

  /** Index problems (for the scheduler's invariant check). */
  indexViolations(now: number): string[] {
    const out: string[] = [];
    for (const c of this.connections.values()) {
      const free = this.freeCredits(c, now) > 0;
      if (free !== this.free[c.kind].has(c)) out.push(`${c.connId}: free-credit index says ${!free}`);
      if (c.kind === 'remote' && (free && c.leases.size === 0) !== this.idle.has(c)) out.push(`${c.connId}: idle index wrong`);
    }
    return out;
  }

  add(
    w: { connId: string; workerId: string; instanceId: string; address: string; kind: WorkerKind; capacity: number; draining: boolean },
    now: number,
  ): Connection {
    const cap =
      w.kind === 'local' ? Math.max(0, Math.floor(w.capacity)) : Math.min(this.opts.maxWorkerCapacity, Math.max(0, Math.floor(w.capacity)));
    const key = identityKey(w.workerId, w.instanceId);
    const conn: Connection = {
      connId: w.connId,
      workerId: w.workerId,
      instanceId: w.instanceId,
      key,
      trust: this.trustOf(key),
      address: w.address,
      kind: w.kind,
      capacity: Number.isFinite(cap) ? cap : 0,
      connectedAtMs: now,
      draining: w.draining,
      unresponsive: false,
      backoffUntilMs: 0,
      backoffMs: 0,
      leases: new Set(),
      chunksCompleted: 0,
    };
    this.connections.set(conn.connId, conn);
    let same = this.byWorkerId.get(conn.workerId);
    if (!same) this.byWorkerId.set(conn.workerId, (same = new Set()));
    same.add(conn);
    const t = conn.trust;
    // The coordinator's own pool is trusted with its full capacity from the start.
    if (w.kind === 'local') t.earned = Math.max(t.earned, conn.capacity);
    this.refresh(conn, now);
    return conn;
  }

  get(connId: string): Connection | undefined {
    return this.connections.get(connId);
  }

  trustOf(key: string): Trust {
    let t = this.trust.get(key);
    if (!t) this.trust.set(key, (t = { earned: this.opts.initialCredits, checked: 0, verified: 0 }));
    return t;
  }

  isQuarantined(key: string): boolean {
    return this.trust.get(key)?.quarantine !== undefined;
  }

  quarantine(record: QuarantineRecord): void {
    this.trustOf(identityKey(record.workerId, record.instanceId)).quarantine = record;
  }

  quarantined(): QuarantineRecord[] {
    return [...this.trust.values()].flatMap((t) => (t.quarantine ? [t.quarantine] : []));
  }

  state(c: Connection, now: number): ConnectionState {
    if (c.trust.quarantine !== undefined) return 'quarantined';
    if (c.draining) return 'draining';
    if (c.unresponsive) return 'unresponsive';
    if (c.backoffUntilMs > now) return 'backoff';
    return 'ready';
  }

  /** Leases the connection may hold now. */
  credits(c: Connection): number {
    const earned = c.trust.earned;
    return Math.min(c.capacity, earned) + (c.capacity > 0 ? (c.prefetch ?? this.opts.prefetch) : 0);
  }

  /**
   * Leases beyond its capacity for a connection's current pace: `prefetch`, or - once it has earned its full capacity -
   * enough to cover `prefetchAheadMs` at the pace its results arrive here, so that a thread finishing a 1 ms chunk
   * finds the next lease already on its worker rather than a round trip away.
   */
  private pacedPrefetch(c: Connection, earned: number): number {
    const { prefetch, prefetchAheadMs, maxPrefetchPerThread } = this.opts;
    if (prefetchAheadMs <= 0 || earned < c.capacity || c.resultIntervalMs === undefined) return prefetch;
    // Whole leases that fit in the window: none for chunks slower than it, so long chunks keep the fixed prefetch.
    const ahead = Math.floor(prefetchAheadMs / Math.max(c.resultIntervalMs, 0.01));
    return Math.max(prefetch, Math.min(maxPrefetchPerThread * c.capacity, ahead));
  }

  freeCredits(c: Connection, now: number): number {
    if (this.state(c, now) !== 'ready') return 0;
    return this.credits(c) - c.leases.size;
  }

  /** An accepted result: one more credit (up to capacity), the backoff is over, and its pace is updated. */
  rewarded(c: Connection, now: number): void {
    if (c.paceWindowStartMs === undefined) {
      c.paceWindowStartMs = now;
      c.paceWindowResults = 0;
    } else {
      const results = (c.paceWindowResults ?? 0) + 1;
      const span = Math.max(0, now - c.paceWindowStartMs);
      if ((results >= PACE_MIN_RESULTS && span >= PACE_MIN_SPAN_MS) || span >= PACE_MAX_SPAN_MS) {
        const sample = span / results;
        c.resultIntervalMs = c.resultIntervalMs === undefined ? sample : c.resultIntervalMs + PACE_WEIGHT * (sample - c.resultIntervalMs);
        c.paceWindowStartMs = now;
        c.paceWindowResults = 0;
      } else {
        c.paceWindowResults = results;
      }
    }
    const t = c.trust;
    t.earned = Math.min(Math.max(c.capacity, 1), t.earned + 1);
    // It shrinks only as leases come back, so a connection never holds more than its credits.
    const beyondCapacity = c.leases.size - Math.min(c.capacity, t.earned);
    c.prefetch = Math.max(this.pacedPrefetch(c, t.earned), beyondCapacity);
    c.backoffMs = 0;
    c.backoffUntilMs = 0;
  }

  /** A lease handed back or failed, or a bad result: no new lease for a while, twice as long each time. */
  penalise(c: Connection, now: number): number {
    c.backoffMs = c.backoffMs === 0 ? this.opts.backoffMinMs : Math.min(this.opts.backoffMaxMs, c.backoffMs * 2);
    c.backoffUntilMs = now + c.backoffMs;
    return c.backoffMs;
  }
}
