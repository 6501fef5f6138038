/**
 * Bounds on what clients can make the cluster do, checked before a calculation is stored or a stream is opened:
 * calculations queued + running (all clients, and per client), points not yet computed across them, and open Watch
 * streams. Answers are catalogued errors (RESOURCE_EXHAUSTED, HTTP 429) that say which bound and its value.
 *
 * A client is the principal the auth interceptor set (`token:<name>`, the gateway's forwarded client, or a
 * certificate id). Which client submitted a calculation is kept in memory only: after a coordinator restart the
 * resumed calculations count towards the global bounds but towards no client's.
 */
import { ErrorCode, PigridError } from '../shared/errors.js';
import type { CalculationRecord } from './core/model.js';

export interface AdmissionLimits {
  /** Calculations queued or running at once, all clients together. @default 100 */
  readonly maxActive: number;
  /** Calculations queued or running at once per client. @default 20 */
  readonly maxActivePerClient: number;
  /** Points not yet computed across active calculations, including the new one. @default 10^14 */
  readonly maxQueuedPoints: number;
  /** Open Watch streams, all clients together. @default 1000 */
  readonly maxWatchStreams: number;
}

export class Admission {
  private readonly limits: AdmissionLimits;
  private readonly active: () => readonly CalculationRecord[];
  private readonly owners = new Map<string, string>();
  /** Admitted, not yet stored (a Submit waits for the next group commit). */
  private readonly pending = new Set<{ client: string; points: number }>();
  private watchStreams = 0;

  constructor(limits: AdmissionLimits, active: () => readonly CalculationRecord[]) {
    this.limits = limits;
    this.active = active;
  }

  /**
   * Admits a new (validated) calculation of `points` by `client`, or throws when it would pass a bound. Call the
   * returned function once: with the id when it was stored, without when it was not.
   */
  admit(client: string, points: number): (id?: string) => void {
    this.check(client, points);
    const entry = { client, points };
    this.pending.add(entry);
    return (id) => {
      if (!this.pending.delete(entry)) return;
      if (id) this.owners.set(id, client);
    };
  }

  private check(client: string, points: number): void {
    const active = this.active();
    const ids = new Set(active.map((c) => c.id));
    for (const id of this.owners.keys()) if (!ids.has(id)) this.owners.delete(id);
    const l = this.limits;
    const count = active.length + this.pending.size;
    if (count >= l.maxActive) {
      throw new PigridError(
        ErrorCode.TOO_MANY_CALCULATIONS,
        `the cluster already has ${count} calculations queued or running (at most ${l.maxActive}); retry when some have ended`,
      );
    }
    let mine = 0;
    for (const owner of this.owners.values()) if (owner === client) mine += 1;
    for (const p of this.pending) if (p.client === client) mine += 1;
    if (mine >= l.maxActivePerClient) {
      throw new PigridError(
        ErrorCode.TOO_MANY_CALCULATIONS,
        `you already have ${mine} calculations queued or running (at most ${l.maxActivePerClient} per client); wait for one to end or cancel one`,
      );
    }
    let queued = active.reduce((sum, c) => sum + (c.points - c.pointsDone), 0);
    for (const p of this.pending) queued += p.points;
    if (queued + points > l.maxQueuedPoints) {
      throw new PigridError(
        ErrorCode.TOO_MANY_QUEUED_POINTS,
        `${queued} points are still to be computed; ${points} more would pass the bound of ${l.maxQueuedPoints} queued points; retry later or submit fewer points`,
        'points',
      );
    }
  }

  /** Opens a Watch stream or throws; call the returned function once when it closes. */
  openWatch(): () => void {
    if (this.watchStreams >= this.limits.maxWatchStreams) {
      throw new PigridError(
        ErrorCode.TOO_MANY_STREAMS,
        `${this.watchStreams} Watch streams are open (at most ${this.limits.maxWatchStreams}); close one or poll Get`,
      );
    }
    this.watchStreams += 1;
    let open = true;
    return () => {
      if (open) this.watchStreams -= 1;
      open = false;
    };
  }
}
