/**
 * The scheduler's state, shared by the modules that make up the scheduling core (coordinator/core/scheduler.ts is
 * their entry point): the active calculations, the pool of connections, the lease table and the indexes that keep
 * every event cheap. The modules are plain functions over this state; nothing outside the core sees it.
 */
import type { CalculationRuntime } from './calculation-runtime.js';
import { DeadlineList, type DeadlineLinks } from './deadline-list.js';
import { fairer } from './fair-share.js';
import { IndexedHeap } from './indexed-heap.js';
import { MemoryLeaseTokens } from './memory-lease-tokens.js';
import type { IdSource } from './ports.js';
import { DEFAULT_SCHEDULER_OPTIONS, type LeaseGrant, type LeaseTokens, type SchedulerOptions } from './scheduler-types.js';
import { seededRandom } from './seeded-random.js';
import { WorkerRegistry } from './worker-registry.js';

/** A live lease: what was granted, to which stream, when, and when it lapses (in the deadline list). */
export interface Lease extends LeaseGrant, DeadlineLinks<Lease> {
  readonly connId: string;
  readonly grantedAtMs: number;
  deadlineMs: number;
}

export interface SchedulerPorts {
  readonly ids: IdSource;
  /** Mints and checks lease ids. @default in-memory tokens (they do not survive a restart) */
  readonly tokens?: LeaseTokens;
  /** Uniform in [0, 1): which chunks are verified. @default a fixed-seed generator */
  readonly random?: () => number;
}

/**
 * Every event costs O(log n) or less in the size of the pool and of the lease table: leases expire from a deadline list,
 * free credits and idle workers are kept in sets, calculations with a backlog in a fair-share heap, calculations
 * with waiting checks in a set. Nothing scans all workers or all leases except status snapshots (on demand) and
 * quarantines (rare).
 */
export class SchedulerState {
  readonly opts: SchedulerOptions;
  readonly tokens: LeaseTokens;
  readonly random: () => number;
  readonly calcs = new Map<string, CalculationRuntime>();
  readonly registry: WorkerRegistry;
  readonly leases = new Map<string, Lease>();
  readonly deadlines = new DeadlineList<Lease>();
  /** Calculations with chunks waiting to be leased, by fair share; `single` ones go to the local pool. */
  readonly backlogged = {
    distributed: new IndexedHeap<CalculationRuntime>(fairer),
    single: new IndexedHeap<CalculationRuntime>(fairer),
  };
  /** Calculations with checks waiting for a lease. */
  readonly checksWaiting = new Set<CalculationRuntime>();
  lastNow = 0;
  granting = true;
  /** While the chunks of one span result are recorded: they share one pace sample and one duration sample. */
  spanResult = false;
  /** Rewards given while recording the current span result. */
  spanRewards = 0;
  /**
   * A chunk of the current span result progressed its calculation: one copy of the record goes into the effects once
   * the span is recorded, instead of one per chunk (the store step keeps only a calculation's last copy anyway).
   */
  spanProgressed = false;
  /**
   * Typical kernel time per point of the last distributed calculation that ended with a known typical chunk time:
   * the kernel speed span sizing assumes for a calculation before its own first result (see span-sizing.ts).
   */
  recentMsPerPoint: number | undefined;

  constructor(ports: SchedulerPorts, opts: Partial<SchedulerOptions> = {}) {
    this.opts = Object.freeze({ ...DEFAULT_SCHEDULER_OPTIONS, ...opts });
    this.tokens = ports.tokens ?? new MemoryLeaseTokens();
    this.random = ports.random ?? seededRandom(1);
    this.registry = new WorkerRegistry(this.opts);
  }
}
