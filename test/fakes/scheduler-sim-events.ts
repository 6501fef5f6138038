/**
 * The vocabulary of the scheduler property tests: who the simulated workers are, what can happen to the cluster, the
 * true hit count of a chunk, and one-line descriptions of events and effects (a printed counterexample can be parsed
 * back with parseEvent and replayed). The simulated cluster itself is in scheduler-driver.ts.
 */
import type { Effect, LeaseGrant, SchedulerOptions } from '../../coordinator/core/scheduler-types.js';
import { LEASE_RETURNED } from '../../coordinator/core/scheduler-types.js';

// ---- the population -----------------------------------------------------------------------------------------------

/**
 * `honest` computes right and follows the protocol; `flaky` computes right but its events include kernel failures and
 * hand-backs like anyone's; `forger` computes right but also sends forged results; `liar` reports true+1 for every
 * chunk, `sometimes-liar` for about half of them (always the same ones, so it never contradicts itself); `wild-liar`
 * reports a wrong value that depends on its identity, so two wild liars rarely agree (plain liars always do).
 */
export type Behaviour = 'honest' | 'flaky' | 'forger' | 'liar' | 'sometimes-liar' | 'wild-liar';
export const isLiar = (b: Behaviour): boolean => b === 'liar' || b === 'sometimes-liar' || b === 'wild-liar';

export interface WorkerSpec {
  readonly behaviour: Behaviour;
  readonly capacity: number;
  /**
   * Announce the worker id of worker `sameIdAs` (another process under the same id: a misconfiguration, or a liar
   * posing as an honest worker). Identities are (worker id, instance id), so both are scheduled on their own.
   */
  readonly sameIdAs?: number;
  /** Its hello sets accepts_chunk_spans: its primary leases may cover several chunks, answered with span counts. */
  readonly spans?: boolean;
}

/** Which of the properties this population must satisfy (see the test file). */
export interface Expectations {
  /** verifyRate 1, one honest remote worker, at most one liar: every completed calculation is exact. */
  readonly exact: boolean;
  /** At most one liar: no value-honest worker is quarantined and no value it committed is ever replaced. */
  readonly honestSafe: boolean;
  /** Every calculation ends during the drain phase. */
  readonly live: boolean;
  /** During the drain, liars answer their leases (wrongly) instead of falling silent. */
  readonly liarsAnswerInDrain?: boolean;
}

export interface WorldConfig {
  /** Remote workers; the first one is honest. */
  readonly workers: readonly WorkerSpec[];
  readonly options: Partial<SchedulerOptions> & { readonly leaseTtlMs: number };
  readonly randomSeed: number;
  readonly expect: Expectations;
}

// ---- events -------------------------------------------------------------------------------------------------------

/** One thing that happens. `w` picks a remote worker and `k` a lease or result (both modulo what exists). */
export type SimEvent =
  /** A new stream for worker w: its first connection, a reconnect of the same identity, or a second (dual-stack) one. */
  | { readonly t: 'connect'; readonly w: number }
  | { readonly t: 'disconnect'; readonly w: number; readonly k: number }
  /** The coordinator marks one of w's streams as draining. */
  | { readonly t: 'drainStream'; readonly w: number; readonly k: number }
  /** Worker w's process restarts: a new instance id, everything it held is lost. Not for liars (a second liar identity). */
  | { readonly t: 'respawn'; readonly w: number }
  /** w stops sending anything while time passes beyond the lease TTL. */
  | { readonly t: 'freeze'; readonly w: number }
  /** Time passes, `times` times `ms`; every worker that is not frozen heartbeats each time. */
  | { readonly t: 'advance'; readonly ms: number; readonly times?: number }
  | { readonly t: 'heartbeat'; readonly w: number }
  /** w reports the result of a lease it holds. */
  | { readonly t: 'answer'; readonly w: number; readonly k: number }
  | { readonly t: 'answerLocal'; readonly k: number }
  /** w reports the result of a lease it was told to drop (calculation ended, expired, quarantine). */
  | { readonly t: 'late'; readonly w: number; readonly k: number }
  /** w sends one of its results again. */
  | { readonly t: 'resend'; readonly w: number; readonly k: number }
  | { readonly t: 'fail'; readonly w: number; readonly k: number; readonly code: 'KERNEL_ERROR' | typeof LEASE_RETURNED }
  /**
   * A forged result, sent by the first non-honest worker from w on: an invented lease id, a lease id granted to another
   * identity, one of its own lease ids with another calculation, chunk, seed or points, or one of its own with a hit
   * count outside 0..points. Span forgeries misuse one of its own lease ids: `span-count` claims one chunk more than
   * the lease (with a count for it), `span-sum` reports an inside that is not the sum of the span counts (on a lease
   * of one chunk: span counts where none belong), `span-entry` one span count outside 0..points (the sum matching).
   */
  | {
      readonly t: 'forge';
      readonly w: number;
      readonly k: number;
      readonly how: 'invented' | 'stolen' | 'altered' | 'out-of-range' | 'span-count' | 'span-sum' | 'span-entry';
      readonly field: 'calc' | 'chunk' | 'seed' | 'points';
    }
  | { readonly t: 'cancel'; readonly k: number }
  | { readonly t: 'submit'; readonly chunks: number; readonly short: number; readonly single: boolean; readonly seed: number }
  /** The coordinator restarts from its store; workers reconnect at once or later. */
  | { readonly t: 'restart'; readonly reconnect: boolean };

/** A compact form for counterexamples: `answer(w1,#0)`, `submit(3 chunks)`. */
export function describeEvent(e: SimEvent): string {
  switch (e.t) {
    case 'advance':
      return `advance(${e.ms}ms${(e.times ?? 1) > 1 ? ` x${e.times}` : ''})`;
    case 'answerLocal':
      return `answerLocal(#${e.k})`;
    case 'cancel':
      return `cancel(#${e.k})`;
    case 'submit':
      return `submit(${e.chunks} chunks${e.short ? `, last short by ${e.short}` : ''}${e.single ? ', single' : ''}, seed ${e.seed})`;
    case 'restart':
      return `restart(${e.reconnect ? 'workers reconnect' : 'workers stay away'})`;
    case 'fail':
      return `fail(w${e.w},#${e.k},${e.code})`;
    case 'forge':
      return `forge(w${e.w},#${e.k},${e.how}${e.how === 'altered' ? `:${e.field}` : ''})`;
    case 'connect':
    case 'respawn':
    case 'freeze':
    case 'heartbeat':
      return `${e.t}(w${e.w})`;
    default:
      return `${e.t}(w${e.w},#${e.k})`;
  }
}

/** The inverse of describeEvent, so a printed counterexample can be pasted into a regression test. */
export function parseEvent(text: string): SimEvent {
  const m = /^(\w+)\((.*)\)$/.exec(text.trim());
  if (!m) throw new Error(`not an event: ${text}`);
  const [, t, body] = m;
  const args = body.split(',').map((a) => a.trim());
  const num = (a: string) => Number(a.replace(/^[w#]/, '').replace(/ms$/, ''));
  switch (t) {
    case 'advance': {
      const times = / x(\d+)$/.exec(args[0]);
      return { t, ms: num(args[0].replace(/ x\d+$/, '')), ...(times ? { times: Number(times[1]) } : {}) };
    }
    case 'answerLocal':
    case 'cancel':
      return { t, k: num(args[0]) };
    case 'submit': {
      const short = /last short by (\d+)/.exec(body);
      return {
        t,
        chunks: Number(/^(\d+) chunks/.exec(body)![1]),
        short: short ? Number(short[1]) : 0,
        single: body.includes('single'),
        seed: Number(/seed (\d+)/.exec(body)![1]),
      };
    }
    case 'restart':
      return { t, reconnect: body === 'workers reconnect' };
    case 'fail':
      return { t, w: num(args[0]), k: num(args[1]), code: args[2] as 'KERNEL_ERROR' };
    case 'forge': {
      const [how, field = 'calc'] = args[2].split(':');
      return { t, w: num(args[0]), k: num(args[1]), how: how as 'invented', field: field as 'calc' };
    }
    case 'connect':
    case 'respawn':
    case 'freeze':
    case 'heartbeat':
      return { t, w: num(args[0]) };
    case 'disconnect':
    case 'drainStream':
    case 'answer':
    case 'late':
    case 'resend':
      return { t, w: num(args[0]), k: num(args[1]) };
  }
  throw new Error(`unknown event: ${text}`);
}

/** One effect on one line, for traces. */
export function describeEffect(e: Effect): string {
  switch (e.type) {
    case 'grant':
      return `grant ${e.lease.purpose} ${e.lease.leaseId} ${e.lease.calculationId}/${e.lease.chunkIndex}${e.lease.chunkCount > 1 ? `+${e.lease.chunkCount}` : ''} -> ${e.connId}`;
    case 'revoke':
      return `revoke ${e.leaseIds.join(',')} on ${e.connId} (${e.reason})`;
    case 'commit':
      return `commit ${e.commit.calculationId}/${e.commit.chunkIndex}=${e.commit.inside} by ${e.commit.workerId} check=${e.commit.check} verifiedBy=${e.commit.verifiedBy}${e.first ? ' (first)' : ''}`;
    case 'uncommit':
    case 'released':
    case 'duplicate':
      return `${e.type} ${e.calculationId}/${e.chunkIndex}${e.type === 'released' ? ` (${e.reason})` : ''}`;
    case 'calculation':
      return `calculation ${e.calculation.id} ${e.calculation.status} inside=${e.calculation.inside} done=${e.calculation.chunksDone}`;
    case 'mismatch':
      return `mismatch ${e.calculationId}/${e.chunkIndex} ${e.committedInside}!=${e.reportedInside}`;
    case 'rejected':
      return `rejected ${e.reason} from ${e.connId}`;
    case 'verification':
      return `verification ${e.outcome}: ${e.detail}`;
    case 'quarantined':
      return `quarantined ${e.record.workerId}/${e.record.instanceId} (${e.record.reason}), recomputed ${e.recomputed}`;
    case 'worker':
      return `worker ${e.connId} ${e.event}`;
    case 'late':
      return `late ${e.report.calculationId}/${e.report.chunkIndex}${(e.report.chunkCount ?? 1) > 1 ? `+${e.report.chunkCount}` : ''} on ${e.connId}`;
  }
}

// ---- the truth ----------------------------------------------------------------------------------------------------

export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The true hit count of a chunk: a deterministic function of (calculation, seed, chunk, points), in 0..points. */
export function trueInside(calculationId: string, seed: number, chunkIndex: number, points: number): number {
  return hash(`${calculationId}/${seed}/${chunkIndex}`) % (points + 1);
}

/**
 * What a worker of this behaviour reports for one chunk of a lease (`who`: its identity key), the lease's first chunk
 * unless `chunkIndex` names another chunk of its span. A liar lies per chunk: a span answered by a sometimes-liar
 * lies in some of its entries only, with a sum that matches them.
 */
export function reportedInside(b: Behaviour, who: string, lease: LeaseGrant, chunkIndex = lease.chunkIndex): number {
  const g = { ...lease, chunkIndex };
  const t = trueInside(g.calculationId, g.seed, g.chunkIndex, g.points);
  if (b === 'wild-liar') return (t + 1 + (hash(`${who}/${g.chunkIndex}`) % g.points)) % (g.points + 1);
  const wrong = (t + 1) % (g.points + 1);
  if (b === 'liar') return wrong;
  if (b === 'sometimes-liar' && hash(`lie/${g.calculationId}/${g.chunkIndex}`) % 2 === 1) return wrong;
  return t;
}

/** mulberry32 (the scheduler's own default generator), so each run's verification sampling is reproducible. */
export { seededRandom } from '../../coordinator/core/scheduler.js';
