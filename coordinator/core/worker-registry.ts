/**
 * The connected workers as the scheduler sees them, and the trust each worker identity has earned. Trust is kept
 * per identity (worker id + process instance), so a stream that breaks and reconnects keeps what it earned, and a
 * quarantined identity stays quarantined on every stream. The free-credit ring is in free-ring.ts, a connection's pace
 * and adaptive prefetch in worker-pace.ts.
 */
import { identityKey } from './calculation-runtime.js';
import { Ring, type FreeRing } from './free-ring.js';
import { IndexedHeap } from './indexed-heap.js';
import type { ConnectionState, QuarantineRecord, SchedulerOptions, WorkerKind } from './scheduler-types.js';
import { notePace, updatePrefetch } from './worker-pace.js';

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
  /** Its hello set accepts_chunk_spans: a primary lease may cover several chunks. */
  readonly acceptsSpans: boolean;
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
  /**
   * The registry's index bookkeeping (leave it alone): its links in the free-credit ring of its kind, and whether it is
   * in that ring, the idle set, the usable set and the backoff heap, so a refresh touches an index only when the
   * connection's membership changes.
   */
  ringPrev: Connection | undefined;
  ringNext: Connection | undefined;
  inRing: boolean;
  inIdle: boolean;
  inUsable: boolean;
  inBackoffs: boolean;
  /** Counted in {@link WorkerRegistry.readyRemoteCapacity}. */
  inReady: boolean;
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
  private readonly free: Record<WorkerKind, Ring> = { remote: new Ring(), local: new Ring() };
  /** Remote connections with a free credit and no lease. */
  readonly idle = new Set<Connection>();
  /** Remote connections neither draining nor quarantined. */
  readonly usableRemote = new Set<Connection>();
  private readonly backoffs = new IndexedHeap<Connection>((a, b) => a.backoffUntilMs < b.backoffUntilMs);
  /** Capacity of the remote connections in state `ready` (as of their last refresh): span sizing divides by it. */
  private readyCapacity = 0;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
  }

  /** Connections of a kind with a free credit, least recently granted first. */
  freeOf(kind: WorkerKind): FreeRing {
    return this.free[kind];
  }

  /** Capacity of the ready remote connections, kept by {@link refresh}. */
  get readyRemoteCapacity(): number {
    return this.readyCapacity;
  }

  /** Connections that announced this worker id. */
  withWorkerId(workerId: string): ReadonlySet<Connection> {
    return this.byWorkerId.get(workerId) ?? new Set();
  }

  /**
   * Re-files a connection in the indexes after anything about it changed. Its place in the free-credit ring is kept
   * (the ring is in order of last grant; {@link granted} moves it to the back); it joins at the back when it gains a
   * free credit.
   */
  refresh(c: Connection, now: number): void {
    if (!this.connections.has(c.connId)) return;
    const free = this.freeCredits(c, now) > 0;
    if (free !== c.inRing) {
      if (free) this.free[c.kind].push(c);
      else this.free[c.kind].remove(c);
    }
    if (c.kind === 'remote') {
      const idle = free && c.leases.size === 0;
      if (idle !== c.inIdle) {
        c.inIdle = idle;
        if (idle) this.idle.add(c);
        else this.idle.delete(c);
      }
      const usable = !c.draining && c.trust.quarantine === undefined;
      if (usable !== c.inUsable) {
        c.inUsable = usable;
        if (usable) this.usableRemote.add(c);
        else this.usableRemote.delete(c);
      }
      const ready = this.state(c, now) === 'ready';
      if (ready !== c.inReady) {
        c.inReady = ready;
        this.readyCapacity += ready ? c.capacity : -c.capacity;
      }
    }
    if (c.backoffUntilMs > now) {
      c.inBackoffs = true;
      this.backoffs.upsert(c);
    } else if (c.inBackoffs) {
      c.inBackoffs = false;
      this.backoffs.remove(c);
    }
  }

  /** A lease was granted to the connection: re-filed, and its turn in the free-credit ring is over. */
  granted(c: Connection, now: number): void {
    this.refresh(c, now);
    this.free[c.kind].rotate(c);
  }

  /** Connections whose backoff ended by `now`, taken off the timer. */
  backoffsEndedBy(now: number): Connection[] {
    const out: Connection[] = [];
    for (let top = this.backoffs.peek(); top && top.backoffUntilMs <= now; top = this.backoffs.peek()) {
      this.backoffs.pop();
      top.inBackoffs = false;
      out.push(top);
    }
    return out;
  }

  remove(connId: string): void {
    const c = this.connections.get(connId);
    if (!c) return;
    this.connections.delete(connId);
    this.free[c.kind].remove(c);
    this.idle.delete(c);
    this.usableRemote.delete(c);
    this.backoffs.remove(c);
    if (c.inReady) this.readyCapacity -= c.capacity;
    c.inIdle = false;
    c.inUsable = false;
    c.inBackoffs = false;
    c.inReady = false;
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
      if (c.inIdle !== this.idle.has(c) || c.inUsable !== this.usableRemote.has(c) || c.inBackoffs !== this.backoffs.has(c))
        out.push(`${c.connId}: index membership flags wrong`);
      if (c.kind === 'remote' && (!c.draining && c.trust.quarantine === undefined) !== this.usableRemote.has(c))
        out.push(`${c.connId}: usable index wrong`);
      if (c.inReady !== (c.kind === 'remote' && this.state(c, now) === 'ready')) out.push(`${c.connId}: ready flag wrong`);
    }
    let ready = 0;
    for (const c of this.connections.values()) if (c.inReady) ready += c.capacity;
    if (ready !== this.readyCapacity) out.push(`ready remote capacity counts ${this.readyCapacity}, is ${ready}`);
    for (const kind of ['remote', 'local'] as const) {
      let n = 0;
      let prev: Connection | undefined;
      for (const c of this.free[kind]) {
        n += 1;
        if (c.kind !== kind || c.ringPrev !== prev || this.connections.get(c.connId) !== c)
          out.push(`${c.connId}: free-credit ring broken`);
        prev = c;
      }
      if (n !== this.free[kind].size) out.push(`free-credit ring of ${kind} holds ${n}, counts ${this.free[kind].size}`);
    }
    return out;
  }

  add(
    w: {
      connId: string;
      workerId: string;
      instanceId: string;
      address: string;
      kind: WorkerKind;
      capacity: number;
      draining: boolean;
      acceptsSpans?: boolean;
    },
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
      // The coordinator's own pool computes one chunk per lease.
      acceptsSpans: w.kind === 'remote' && w.acceptsSpans === true,
      connectedAtMs: now,
      draining: w.draining,
      unresponsive: false,
      backoffUntilMs: 0,
      backoffMs: 0,
      leases: new Set(),
      chunksCompleted: 0,
      ringPrev: undefined,
      ringNext: undefined,
      inRing: false,
      inIdle: false,
      inUsable: false,
      inBackoffs: false,
      inReady: false,
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

  freeCredits(c: Connection, now: number): number {
    if (this.state(c, now) !== 'ready') return 0;
    return this.credits(c) - c.leases.size;
  }

  /**
   * An accepted result: one more credit (up to capacity), the backoff is over, and (`pace`) its pace is updated. The
   * chunks of one span result are rewarded with `pace` false and the span paced once ({@link paced}): the pace is
   * that of results (leases), not chunks, since prefetch counts leases.
   */
  rewarded(c: Connection, now: number, pace = true): void {
    if (pace) notePace(c, now);
    const t = c.trust;
    t.earned = Math.min(Math.max(c.capacity, 1), t.earned + 1);
    updatePrefetch(c, this.opts);
    c.backoffMs = 0;
    c.backoffUntilMs = 0;
  }

  /** One result (a span's) counted in the connection's pace. */
  paced(c: Connection, now: number): void {
    notePace(c, now);
    updatePrefetch(c, this.opts);
  }

  /** A lease handed back or failed, or a bad result: no new lease for a while, twice as long each time. */
  penalise(c: Connection, now: number): number {
    c.backoffMs = c.backoffMs === 0 ? this.opts.backoffMinMs : Math.min(this.opts.backoffMaxMs, c.backoffMs * 2);
    c.backoffUntilMs = now + c.backoffMs;
    return c.backoffMs;
  }
}
