/**
 * The connected workers as the scheduler sees them, and the trust each worker identity has earned. Trust is kept
 * per identity (worker id + process instance), so a stream that breaks and reconnects keeps what it earned, and a
 * quarantined identity stays quarantined on every stream.
 */
import { identityKey } from './calculation-runtime.js';
import type { ConnectionState, QuarantineRecord, SchedulerOptions, WorkerKind } from './scheduler-types.js';

/** One Work stream (or the coordinator's own pool). */
export interface Connection {
  readonly connId: string;
  readonly workerId: string;
  readonly instanceId: string;
  /** identityKey(workerId, instanceId). */
  readonly key: string;
  readonly address: string;
  readonly kind: WorkerKind;
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

export class WorkerRegistry {
  private readonly opts: SchedulerOptions;
  readonly connections = new Map<string, Connection>();
  private readonly trust = new Map<string, Trust>();

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
  }

  add(w: { connId: string; workerId: string; instanceId: string; address: string; kind: WorkerKind; capacity: number; draining: boolean }, now: number): Connection {
    const cap = w.kind === 'local' ? Math.max(0, Math.floor(w.capacity)) : Math.min(this.opts.maxWorkerCapacity, Math.max(0, Math.floor(w.capacity)));
    const conn: Connection = {
      connId: w.connId,
      workerId: w.workerId,
      instanceId: w.instanceId,
      key: identityKey(w.workerId, w.instanceId),
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
    const t = this.trustOf(conn.key);
    // The coordinator's own pool is trusted with its full capacity from the start.
    if (w.kind === 'local') t.earned = Math.max(t.earned, conn.capacity);
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
    if (this.isQuarantined(c.key)) return 'quarantined';
    if (c.draining) return 'draining';
    if (c.unresponsive) return 'unresponsive';
    if (c.backoffUntilMs > now) return 'backoff';
    return 'ready';
  }

  /** Leases the connection may hold now. */
  credits(c: Connection): number {
    const earned = this.trustOf(c.key).earned;
    return Math.min(c.capacity, earned) + (c.capacity > 0 ? this.opts.prefetch : 0);
  }

  freeCredits(c: Connection, now: number): number {
    if (this.state(c, now) !== 'ready') return 0;
    return this.credits(c) - c.leases.size;
  }

  /** An accepted result: one more credit (up to capacity), and the backoff is over. */
  rewarded(c: Connection): void {
    const t = this.trustOf(c.key);
    t.earned = Math.min(Math.max(c.capacity, 1), t.earned + 1);
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
