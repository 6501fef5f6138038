/**
 * A simulated cluster around the pure Scheduler, for the property-based tests (test/unit/scheduler-properties.test.ts).
 *
 * It plays every role the scheduler talks to: remote workers (honest or faulty), the coordinator's own 'local' pool,
 * a fake clock, and a store that receives the effects exactly as coordinator/engine.ts apply() writes them (the real
 * in-memory store adapter, so a coordinator restart can be rebuilt from it). Each `run(event)` performs one or more
 * scheduler steps (event, then tick, then persist, then deliver grants and revokes); after every step the driver
 * checks the invariants and throws a readable error on the first problem, so fast-check can shrink to it.
 */
import { identityKey } from '../../coordinator/core/calculation-runtime.js';
import { chunkPoints } from '../../coordinator/core/chunk-plan.js';
import { MemoryLeaseTokens } from '../../coordinator/core/memory-lease-tokens.js';
import { isTerminal, newCalculationRecord, type CalculationRecord, type ChunkCommit } from '../../coordinator/core/model.js';
import { Scheduler } from '../../coordinator/core/scheduler.js';
import {
  DEFAULT_SCHEDULER_OPTIONS,
  LEASE_RETURNED,
  type Effect,
  type LeaseGrant,
  type ResultReport,
} from '../../coordinator/core/scheduler-types.js';
import type { CalculationStore } from '../../coordinator/core/store-port.js';
import { resumeFromChunks } from '../../coordinator/core/store-port.js';
import { chunkKey, storeStepOf } from '../../coordinator/core/store-step.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';
import {
  describeEffect,
  describeEvent,
  isLiar,
  reportedInside,
  seededRandom,
  trueInside,
  type Behaviour,
  type SimEvent,
  type WorldConfig,
} from './scheduler-sim-events.js';

// ---- simulated workers --------------------------------------------------------------------------------------------

interface Held extends LeaseGrant {
  /** The stream it was granted on. */
  readonly connId: string;
}

interface SimWorker {
  readonly name: string;
  readonly workerId: string;
  readonly behaviour: Behaviour;
  readonly kind: 'remote' | 'local';
  readonly capacity: number;
  /** Announces accepts_chunk_spans. */
  readonly spans: boolean;
  instanceId: string;
  generation: number;
  /** Streams up, oldest first. */
  conns: string[];
  frozen: boolean;
  /** Leases it is computing. */
  held: Held[];
  /** Leases it was told to drop; it may still answer them (a late result). */
  revoked: Held[];
  /** Every result it sent (this process), for resends. */
  sent: ResultReport[];
  /** Results computed while no stream was up; sent on the next connect. */
  outbox: ResultReport[];
}

const key = (w: { workerId: string; instanceId: string }) => identityKey(w.workerId, w.instanceId);
const pick = <T>(list: readonly T[], k: number): T | undefined => (list.length === 0 ? undefined : list[k % list.length]);
const CALC_CHUNK_SIZE = 100;

/** A property failed: the message names the step and what broke. */
export class PropertyViolation extends Error {}

export class SchedulerWorld {
  readonly config: WorldConfig;
  readonly tokens = new MemoryLeaseTokens();
  readonly store: CalculationStore = createMemoryStore();
  scheduler!: Scheduler;
  now = 0;
  steps = 0;
  restarts = 0;
  private nextConn = 0;
  private nextCalc = 0;
  private nextForged = 0;
  private readonly workers: SimWorker[];
  private readonly local: SimWorker;
  private readonly byConn = new Map<string, SimWorker>();
  /** Every grant ever made: lease id → the grant and the identity it was granted to. */
  private readonly grants = new Map<string, { grant: LeaseGrant; key: string }>();
  private readonly calcIds: string[] = [];
  private readonly quarantined = new Set<string>();
  private readonly behaviourOf = new Map<string, Behaviour>();
  /** Chunk rows last written by a value-honest worker: "calc/chunk" → inside. */
  private readonly honestRows = new Map<string, number>();
  private readonly ended = new Map<string, CalculationRecord>();
  /** Kernel failures sent per primary/backup chunk, "calc/chunk" → count (an upper bound of what the scheduler saw). */
  private readonly kernelFailures = new Map<string, number>();
  private label = 'start';
  /** Calculations ended with 'failed' (allowed only where kernel failures may exhaust maxChunkAttempts). */
  failed = 0;
  /** Receives one line per step (event, then every effect), e.g. console.log while replaying a counterexample. */
  trace?: (line: string) => void;
  /** Effect counts by type (and a few derived ones), to see what a run exercised. */
  readonly stats: Record<string, number> = {};

  constructor(config: WorldConfig) {
    this.config = config;
    this.workers = config.workers.map((spec, i) => ({
      name: `w${i}`,
      workerId: `w${spec.sameIdAs ?? i}`,
      behaviour: spec.behaviour,
      kind: 'remote' as const,
      capacity: spec.capacity,
      spans: spec.spans === true,
      instanceId: `w${i}-p0`,
      generation: 0,
      conns: [],
      frozen: false,
      held: [],
      revoked: [],
      sent: [],
      outbox: [],
    }));
    this.local = {
      name: 'local',
      workerId: 'coordinator',
      behaviour: 'honest',
      kind: 'local',
      capacity: 2,
      // The coordinator's own pool is never offered spans, even if it claimed to take them.
      spans: true,
      instanceId: '',
      generation: 0,
      conns: [],
      frozen: false,
      held: [],
      revoked: [],
      sent: [],
      outbox: [],
    };
    for (const w of [...this.workers, this.local]) this.behaviourOf.set(key(w), w.behaviour);
    this.scheduler = this.newScheduler();
    this.connect(this.local);
  }

  private newScheduler(): Scheduler {
    return new Scheduler(
      {
        ids: { calculationId: () => 'unused', leaseId: () => 'unused' },
        tokens: this.tokens,
        random: seededRandom(this.config.randomSeed + this.restarts),
      },
      this.config.options,
    );
  }

  // ---- events ---------------------------------------------------------------------------------------------------

  run(e: SimEvent): void {
    this.label = describeEvent(e);
    switch (e.t) {
      case 'connect': {
        const w = this.worker(e.w);
        if (w.conns.length < 2) this.connect(w);
        return;
      }
      case 'disconnect': {
        const w = this.worker(e.w);
        const connId = pick(w.conns, e.k);
        if (connId) this.disconnect(w, connId);
        return;
      }
      case 'drainStream': {
        const connId = pick(this.worker(e.w).conns, e.k);
        if (connId) this.step(() => this.scheduler.drainWorker(connId));
        return;
      }
      case 'respawn':
        return this.respawn(this.worker(e.w));
      case 'freeze': {
        const w = this.worker(e.w);
        w.frozen = true;
        this.advance(this.config.options.leaseTtlMs + 1);
        return;
      }
      case 'advance':
        for (let i = 0; i < (e.times ?? 1); i++) this.advance(e.ms);
        return;
      case 'heartbeat': {
        const w = this.worker(e.w);
        w.frozen = false;
        this.heartbeat(w);
        return;
      }
      case 'answer': {
        const w = this.worker(e.w);
        const lease = pick(w.held, e.k);
        if (lease) this.answer(w, lease);
        return;
      }
      case 'answerLocal': {
        const lease = pick(this.local.held, e.k);
        if (lease) this.answer(this.local, lease);
        return;
      }
      case 'late': {
        const w = this.worker(e.w);
        const lease = pick(w.revoked, e.k);
        if (!lease) return;
        w.revoked = w.revoked.filter((l) => l !== lease);
        this.compute(w, lease);
        return;
      }
      case 'resend': {
        const w = this.worker(e.w);
        const r = pick(w.sent, e.k);
        if (r) this.send(w, r, w.conns.at(-1));
        return;
      }
      case 'fail':
        return this.fail(this.worker(e.w), e.k, e.code);
      case 'forge':
        return this.forge(e);
      case 'cancel': {
        const active = this.calcIds.filter((id) => this.scheduler.calculation(id));
        const id = pick(active, e.k);
        if (id) this.step((fx) => this.scheduler.cancel(id, this.now, fx));
        return;
      }
      case 'submit':
        return this.submit(e.chunks, e.short, e.single, e.seed);
      case 'restart':
        return this.restart(e.reconnect);
    }
  }

  private worker(w: number): SimWorker {
    return this.workers[w % this.workers.length];
  }

  private connect(w: SimWorker): void {
    const connId = `${w.name}#${++this.nextConn}`;
    w.conns.push(connId);
    w.frozen = false;
    this.byConn.set(connId, w);
    this.step((fx) =>
      this.scheduler.connectWorker(
        {
          connId,
          workerId: w.workerId,
          instanceId: w.instanceId,
          address: w.name,
          kind: w.kind,
          capacity: w.capacity,
          acceptsSpans: w.spans,
        },
        this.now,
        fx,
      ),
    );
    const outbox = w.outbox;
    w.outbox = [];
    for (const r of outbox) this.send(w, r, connId);
  }

  private disconnect(w: SimWorker, connId: string): void {
    w.conns = w.conns.filter((c) => c !== connId);
    this.step((fx) => this.scheduler.disconnectWorker(connId, fx));
  }

  private respawn(w: SimWorker): void {
    if (isLiar(w.behaviour)) return;
    for (const connId of [...w.conns]) this.disconnect(w, connId);
    w.generation += 1;
    w.instanceId = `${w.name}-p${w.generation}`;
    this.behaviourOf.set(key(w), w.behaviour);
    w.held = [];
    w.revoked = [];
    w.sent = [];
    w.outbox = [];
    this.connect(w);
  }

  private heartbeat(w: SimWorker): void {
    for (const connId of w.conns) {
      const ids = w.held.filter((l) => l.connId === connId).map((l) => l.leaseId);
      this.step((fx) => this.scheduler.heartbeat(connId, ids, this.now, fx));
    }
  }

  /** Time passes; streams of workers that are not frozen heartbeat, then one reconciliation pass. */
  advance(ms: number): void {
    this.now += ms;
    this.step((fx) => {
      for (const w of [...this.workers, this.local]) {
        if (w.frozen) continue;
        for (const connId of w.conns) {
          const ids = w.held.filter((l) => l.connId === connId).map((l) => l.leaseId);
          this.scheduler.heartbeat(connId, ids, this.now, fx);
        }
      }
    });
  }

  private answer(w: SimWorker, lease: Held): void {
    w.held = w.held.filter((l) => l !== lease);
    this.compute(w, lease);
  }

  /** Computes a lease (rightly or not, per behaviour) and sends the result, or keeps it until a stream is up. */
  private compute(w: SimWorker, lease: Held): void {
    let r: ResultReport = {
      leaseId: lease.leaseId,
      calculationId: lease.calculationId,
      chunkIndex: lease.chunkIndex,
      seed: lease.seed,
      points: lease.points,
      inside: reportedInside(w.behaviour, key(w), lease),
      elapsedMs: 10 + (lease.chunkIndex % 7),
    };
    if (lease.chunkCount > 1) {
      // A span: every chunk computed (or lied about) on its own, the inside their sum, the time all of theirs.
      const spanInside: number[] = [];
      let elapsedMs = 0;
      for (let i = lease.chunkIndex; i < lease.chunkIndex + lease.chunkCount; i++) {
        spanInside.push(reportedInside(w.behaviour, key(w), lease, i));
        elapsedMs += 10 + (i % 7);
      }
      r = { ...r, chunkCount: lease.chunkCount, spanInside, inside: spanInside.reduce((a, b) => a + b, 0), elapsedMs };
    }
    w.sent.push(r);
    const connId = w.conns.includes(lease.connId) ? lease.connId : w.conns.at(-1);
    if (connId) this.send(w, r, connId);
    else w.outbox.push(r);
  }

  private fail(w: SimWorker, k: number, code: string): void {
    const lease = pick(w.held, k);
    if (!lease || !w.conns.includes(lease.connId)) return;
    w.held = w.held.filter((l) => l !== lease);
    w.frozen = false;
    if (code !== LEASE_RETURNED && lease.purpose !== 'verify') {
      // A span's failure is one of each of its chunks.
      for (let i = lease.chunkIndex; i < lease.chunkIndex + lease.chunkCount; i++) {
        const chunk = `${lease.calculationId}/${i}`;
        this.kernelFailures.set(chunk, (this.kernelFailures.get(chunk) ?? 0) + 1);
      }
    }
    this.step((fx) => this.scheduler.failure(lease.connId, { leaseId: lease.leaseId, code, message: 'simulated' }, this.now, fx));
  }

  private submit(chunks: number, short: number, single: boolean, seed: number): void {
    const points = chunks * CALC_CHUNK_SIZE - (short % CALC_CHUNK_SIZE);
    const rec = newCalculationRecord({
      id: `c${++this.nextCalc}`,
      mode: single ? 'single' : 'distributed',
      points,
      seed,
      chunkSize: CALC_CHUNK_SIZE,
      createdAtMs: this.now,
    });
    this.calcIds.push(rec.id);
    this.store.insert(rec);
    this.step(() => this.scheduler.addCalculation(rec, new Map(), this.now));
  }

  /** The coordinator restarts: every stream is gone; a new scheduler is built from the store, as Engine.resume() does. */
  private restart(reconnect: boolean): void {
    this.restarts += 1;
    const wasUp = this.workers.filter((w) => w.conns.length > 0);
    for (const w of [...this.workers, this.local]) w.conns = [];
    // The coordinator's own pool lived in the process that stopped: its work is gone.
    this.local.held = [];
    this.scheduler = this.newScheduler();
    this.scheduler.restoreQuarantined(this.store.loadQuarantined());
    for (const { record, committed } of this.store.loadActive()) this.scheduler.addCalculation(record, committed, this.now);
    this.step(() => {});
    this.connect(this.local);
    if (reconnect) for (const w of wasUp) this.connect(w);
  }

  // ---- results --------------------------------------------------------------------------------------------------

  /** A forged result: never genuine, so it must be rejected and change nothing. */
  private forge(e: Extract<SimEvent, { t: 'forge' }>): void {
    const forgers = this.workers.filter((w) => w.behaviour !== 'honest' && w.behaviour !== 'flaky');
    const w = pick(forgers, e.w);
    if (!w) return;
    w.frozen = false;
    const connId = w.conns.at(-1);
    if (!connId) return;
    let r: ResultReport | undefined;
    if (e.how === 'invented') {
      const id = pick(this.calcIds, e.k);
      if (!id) return;
      const rec = this.store.get(id)!;
      const chunkIndex = e.k % rec.chunkCount;
      const points = chunkPoints(rec.points, rec.chunkSize, chunkIndex);
      r = {
        leaseId: `forged-${++this.nextForged}`,
        calculationId: id,
        chunkIndex,
        seed: rec.seed,
        points,
        inside: trueInside(id, rec.seed, chunkIndex, points),
        elapsedMs: 1,
      };
    } else {
      const mine = key(w);
      // 'stolen' replays another identity's lease id; 'altered' and 'out-of-range' misuse one of its own.
      const pool = [...this.grants.values()].filter((g) => (e.how === 'stolen' ? g.key !== mine : g.key === mine));
      const g = pick(pool, e.k)?.grant;
      if (!g) return;
      r = {
        leaseId: g.leaseId,
        calculationId: g.calculationId,
        chunkIndex: g.chunkIndex,
        seed: g.seed,
        points: g.points,
        inside: 0,
        elapsedMs: 1,
      };
      if (e.how === 'span-count' || e.how === 'span-sum' || e.how === 'span-entry') {
        this.send(w, this.forgedSpan(g, e.how, e.k), connId);
        return;
      }
      if (g.chunkCount > 1) r = { ...r, chunkCount: g.chunkCount };
      if (e.how === 'altered') {
        if (e.field === 'calc')
          r = {
            ...r,
            calculationId:
              pick(
                this.calcIds.filter((id) => id !== g.calculationId),
                e.k,
              ) ?? `${g.calculationId}x`,
          };
        else if (e.field === 'chunk') r = { ...r, chunkIndex: g.chunkIndex + 1 };
        else if (e.field === 'seed') r = { ...r, seed: g.seed + 1 };
        else r = { ...r, points: g.points + 1 };
      }
      r = { ...r, inside: trueInside(r.calculationId, r.seed, r.chunkIndex, r.points) };
      if (g.chunkCount > 1) {
        // The true counts of the chunks the (altered) result names, so that only the altered field is wrong.
        const spanInside = Array.from({ length: g.chunkCount }, (_, i) =>
          trueInside(r!.calculationId, r!.seed, r!.chunkIndex + i, r!.points),
        );
        r = { ...r, spanInside, inside: spanInside.reduce((a, b) => a + b, 0) };
      }
      if (e.how === 'out-of-range') r = { ...r, inside: e.k % 2 === 0 ? r.points + 1 : -1 };
    }
    this.send(w, r, connId);
  }

  /** A span result for one of its own grants that is malformed in exactly one way (see the forge event). */
  private forgedSpan(g: LeaseGrant, how: 'span-count' | 'span-sum' | 'span-entry', k: number): ResultReport {
    const truth = Array.from({ length: g.chunkCount }, (_, i) => trueInside(g.calculationId, g.seed, g.chunkIndex + i, g.points));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const base = {
      leaseId: g.leaseId,
      calculationId: g.calculationId,
      chunkIndex: g.chunkIndex,
      seed: g.seed,
      points: g.points,
      elapsedMs: 1,
    };
    if (how === 'span-count') {
      const spanInside = [...truth, 0];
      return { ...base, chunkCount: spanInside.length, spanInside, inside: sum(spanInside) };
    }
    if (how === 'span-sum') {
      // A lease of one chunk: a span count where none belongs (otherwise a plain, right result).
      if (g.chunkCount === 1) return { ...base, spanInside: truth, inside: truth[0] };
      return { ...base, chunkCount: g.chunkCount, spanInside: truth, inside: sum(truth) + 1 + (k % 2) };
    }
    const spanInside = [...truth];
    spanInside[k % spanInside.length] = k % 2 === 0 ? g.points + 1 : -1;
    return { ...base, chunkCount: g.chunkCount, spanInside, inside: sum(spanInside) };
  }

  /** Sends one result on a stream and checks what the scheduler made of it. */
  private send(w: SimWorker, r: ResultReport, connId: string | undefined): void {
    if (!connId) return;
    w.frozen = false;
    const g = this.grants.get(r.leaseId);
    const count = r.chunkCount === undefined || r.chunkCount === 0 ? 1 : r.chunkCount;
    const counts = r.spanInside ?? [];
    const inRange = (v: number) => Number.isSafeInteger(v) && v >= 0 && v <= r.points;
    const genuine =
      g !== undefined &&
      g.key === key(w) &&
      g.grant.calculationId === r.calculationId &&
      g.grant.chunkIndex === r.chunkIndex &&
      g.grant.seed === r.seed &&
      g.grant.points === r.points &&
      g.grant.chunkCount === count &&
      (count === 1
        ? counts.length === 0 && inRange(r.inside)
        : counts.length === count && counts.every(inRange) && counts.reduce((a, b) => a + b, 0) === r.inside);
    const quarantined = this.quarantined.has(key(w));
    const active = this.scheduler.calculation(r.calculationId) !== undefined;
    const chunks = Array.from({ length: count }, (_, i) => r.chunkIndex + i);
    const uncommitted = chunks.filter((i) => this.store.committedInside(r.calculationId, i) === undefined);
    const before = this.countersOfActive();
    let after = before;
    this.step(
      (fx) => {
        this.scheduler.result(connId, r, this.now, fx);
        // Measured before the tick: the tick may grant (a forged result still counts as a sign of life).
        after = this.countersOfActive();
      },
      (fx) => {
        const types = new Set(fx.map((x) => x.type));
        const what = `${genuine ? 'genuine' : 'forged'} result ${JSON.stringify(r)} from ${w.name} on ${connId}`;
        if (!genuine || quarantined) {
          if (!types.has('rejected')) this.fail_(`${what} was not rejected`);
          if (count > 1 || counts.length > 0) this.stats['forged:span'] = (this.stats['forged:span'] ?? 0) + 1;
          for (const t of ['commit', 'uncommit', 'quarantined', 'late', 'duplicate', 'verification', 'mismatch'] as const) {
            if (types.has(t)) this.fail_(`${what} caused a '${t}' effect`);
          }
          if (after !== before) this.fail_(`${what} changed calculation state: ${before} -> ${after}`);
          return;
        }
        if (types.has('rejected')) this.fail_(`${what} from a worker in good standing was rejected`);
        if (count > 1) this.stats['result:span'] = (this.stats['result:span'] ?? 0) + 1;
        if (!active) {
          if (!types.has('late') || types.has('commit')) this.fail_(`${what} for an ended calculation: want a 'late' effect and no commit`);
          // The engine compares a late copy with the stored one, chunk by chunk: an exact result must not raise a false alarm.
          const completed = this.store.get(r.calculationId)?.status === 'completed';
          chunks.forEach((index, i) => {
            const stored = this.store.committedInside(r.calculationId, index);
            const reported = count === 1 ? r.inside : counts[i];
            if (this.config.expect.exact && completed && !isLiar(w.behaviour) && stored !== reported) {
              this.fail_(
                `${what}: late honest copy ${reported} of chunk ${index} disagrees with the stored ${stored} of a completed calculation`,
              );
            }
          });
        } else {
          // Every chunk of it that was not committed is adopted, unless one of its own chunks got the worker quarantined.
          const quarantinedNow = fx.some((x) => x.type === 'quarantined' && key(x.record) === key(w));
          for (const index of uncommitted) {
            const adopted = fx.some(
              (x) => x.type === 'commit' && x.first && x.commit.calculationId === r.calculationId && x.commit.chunkIndex === index,
            );
            if (!adopted && !quarantinedNow) this.fail_(`${what}: uncommitted chunk ${index} was not committed`);
          }
        }
      },
    );
  }

  private countersOfActive(): string {
    return JSON.stringify(
      this.calcIds.map((id) => {
        const c = this.scheduler.calculation(id);
        return c ? [id, c.status, c.inside, c.chunksDone, c.pointsDone, c.chunksVerified] : [id];
      }),
    );
  }

  // ---- one step -------------------------------------------------------------------------------------------------

  /** One engine step: the event, a tick, persist, deliver; then the per-event check and the invariants. */
  private step(event: (effects: Effect[]) => void, checkEvent?: (eventEffects: readonly Effect[]) => void): void {
    this.steps += 1;
    const effects: Effect[] = [];
    event(effects);
    const eventEffects = [...effects];
    this.scheduler.tick(this.now, effects);
    if (this.trace) this.trace(`#${this.steps} ${this.label} t=${this.now}: ${effects.map(describeEffect).join(' | ')}`);
    for (const e of effects) {
      const name =
        e.type === 'rejected'
          ? `rejected:${e.reason}`
          : e.type === 'worker'
            ? `worker:${e.event}`
            : e.type === 'grant'
              ? `grant:${e.lease.purpose}`
              : e.type;
      this.stats[name] = (this.stats[name] ?? 0) + 1;
      if (e.type === 'grant' && e.lease.chunkCount > 1) {
        this.stats[`grant:${e.lease.purpose}:span`] = (this.stats[`grant:${e.lease.purpose}:span`] ?? 0) + 1;
        this.stats['grant:spanChunks'] = (this.stats['grant:spanChunks'] ?? 0) + e.lease.chunkCount;
      }
    }
    this.persist(effects);
    this.deliver(effects);
    checkEvent?.(eventEffects);
    this.checkInvariants();
  }

  /** Writes the effects to the store the way CoordinatorService.apply() does: through the same storeStepOf(). */
  private persist(effects: readonly Effect[]): void {
    const step = storeStepOf(effects);
    for (const c of step.commits) {
      const ended = this.ended.get(c.calculationId);
      if (ended) this.fail_(`commit of chunk ${chunkKey(c.calculationId, c.chunkIndex)} after its calculation ended (${ended.status})`);
    }
    this.store.apply(step);
    if (this.config.expect.honestSafe) this.checkHonestRows(step.commits, step.uncommits);
    for (const rec of step.calculations) this.onCalculation(rec);
  }

  /** A chunk row written by a value-honest worker is never replaced by another value, nor forgotten. */
  private checkHonestRows(
    commits: readonly ChunkCommit[],
    uncommits: readonly { readonly calculationId: string; readonly chunkIndex: number }[],
  ): void {
    for (const u of uncommits) {
      const k = chunkKey(u.calculationId, u.chunkIndex);
      if (this.honestRows.has(k)) this.fail_(`chunk ${k}, committed by an honest worker, was uncommitted`);
      this.honestRows.delete(k);
    }
    for (const c of commits) {
      const k = chunkKey(c.calculationId, c.chunkIndex);
      const previous = this.honestRows.get(k);
      if (previous !== undefined && previous !== c.inside)
        this.fail_(`chunk ${k}: honest value ${previous} replaced by ${c.inside} (${c.workerId})`);
      const b = this.behaviourOf.get(identityKey(c.workerId, c.instanceId));
      if (b !== undefined && !isLiar(b)) this.honestRows.set(k, c.inside);
    }
  }

  private onCalculation(rec: CalculationRecord): void {
    const ended = this.ended.get(rec.id);
    if (ended) {
      if (ended.status !== rec.status || ended.inside !== rec.inside)
        this.fail_(`${rec.id} changed after it ended: ${ended.status}/${ended.inside} -> ${rec.status}/${rec.inside}`);
      return;
    }
    if (!isTerminal(rec.status)) return;
    this.ended.set(rec.id, { ...rec });
    if (rec.status === 'failed') {
      this.failed += 1;
      // Only kernel failures of one chunk, maxChunkAttempts of them, fail a calculation.
      const limit = this.config.options.maxChunkAttempts ?? 3;
      const worst = Math.max(0, ...[...this.kernelFailures].filter(([c]) => c.startsWith(`${rec.id}/`)).map(([, n]) => n));
      if (worst < limit)
        this.fail_(`${rec.id} failed after at most ${worst} kernel failures of a chunk (maxChunkAttempts ${limit}): ${rec.error}`);
    }
    if (rec.status !== 'completed') return;
    const rows = this.store.chunks(rec.id);
    const sum = rows.reduce((s, c) => s + c.inside, 0);
    if (rows.length !== rec.chunkCount) this.fail_(`${rec.id} completed with ${rows.length} of ${rec.chunkCount} chunks stored`);
    if (sum !== rec.inside) this.fail_(`${rec.id} completed with inside=${rec.inside}, stored chunks sum to ${sum}`);
    const open = rows.filter((c) => c.check !== 'none').map((c) => c.chunkIndex);
    if (open.length > 0) this.fail_(`${rec.id} completed with checks still open on chunks ${open.join(',')}`);
    if (this.config.expect.exact) {
      let truth = 0;
      for (let i = 0; i < rec.chunkCount; i++) truth += trueInside(rec.id, rec.seed, i, chunkPoints(rec.points, rec.chunkSize, i));
      if (truth !== rec.inside) this.fail_(`${rec.id} completed with inside=${rec.inside}; the true count is ${truth}`);
    }
  }

  /** Hands grants and revokes to the simulated workers and checks that no quarantined identity is granted anything. */
  private deliver(effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === 'quarantined') {
        const k = key(e.record);
        this.quarantined.add(k);
        if (this.config.expect.honestSafe && !isLiar(this.behaviourOf.get(k) ?? 'liar'))
          this.fail_(`value-honest worker ${e.record.workerId} was quarantined: ${e.record.reason}`);
      } else if (e.type === 'grant') {
        const w = this.byConn.get(e.connId)!;
        if (this.quarantined.has(key(w))) this.fail_(`grant ${e.lease.leaseId} to ${e.connId}, a quarantined identity`);
        if (!w.conns.includes(e.connId)) this.fail_(`grant ${e.lease.leaseId} to ${e.connId}, a stream that is gone`);
        this.grants.set(e.lease.leaseId, { grant: e.lease, key: key(w) });
        w.held.push({ ...e.lease, connId: e.connId });
      } else if (e.type === 'revoke') {
        const w = this.byConn.get(e.connId)!;
        const gone = w.held.filter((l) => e.leaseIds.includes(l.leaseId));
        w.held = w.held.filter((l) => !e.leaseIds.includes(l.leaseId));
        // The coordinator's own pool drops revoked work for good; a remote worker may still answer it late.
        if (w.kind === 'remote') w.revoked.push(...gone);
      }
    }
  }

  // ---- invariants -----------------------------------------------------------------------------------------------

  private checkInvariants(): void {
    const v = this.scheduler.violations();
    if (v.length > 0) this.fail_(`scheduler.violations(): ${v.join('; ')}`);
    const snap = this.scheduler.snapshot(this.now);
    for (const w of snap.workers) {
      if (w.state === 'quarantined' && w.inFlight > 0) this.fail_(`${w.connId} is quarantined but holds ${w.inFlight} leases`);
      if (w.inFlight > w.credits) this.fail_(`${w.connId} holds ${w.inFlight} leases with ${w.credits} credits`);
      // Independently of what it earned: never more than its (capped) announced capacity plus the most prefetch allowed.
      const sim = this.byConn.get(w.connId)!;
      const o = { ...DEFAULT_SCHEDULER_OPTIONS, ...this.config.options };
      const cap = sim.kind === 'local' ? sim.capacity : Math.min(sim.capacity, o.maxWorkerCapacity);
      const bound = cap === 0 ? 0 : cap + Math.max(o.prefetch, o.prefetchAheadMs > 0 ? o.maxPrefetchPerThread * cap : 0);
      if (w.inFlight > bound) this.fail_(`${w.connId} holds ${w.inFlight} leases; capacity ${sim.capacity} allows ${bound}`);
      if (this.scheduler.leasesOf(w.connId).length !== w.inFlight) this.fail_(`${w.connId}: leasesOf and inFlight disagree`);
    }
    for (const id of this.calcIds) this.checkStoreAgrees(id);
  }

  /** The store explains the scheduler: a restart from it would rebuild the same calculation. */
  private checkStoreAgrees(id: string): void {
    const live = this.scheduler.calculation(id);
    const stored = this.store.get(id)!;
    if (!live) {
      if (!isTerminal(stored.status)) this.fail_(`${id} is not active in the scheduler but ${stored.status} in the store`);
      return;
    }
    if (isTerminal(stored.status)) this.fail_(`${id} is active in the scheduler but ${stored.status} in the store`);
    const resumed = resumeFromChunks(stored, this.store.chunks(id)).record;
    const fields = ['inside', 'pointsDone', 'chunksDone', 'chunksVerified'] as const;
    for (const f of fields) {
      if (resumed[f] !== live[f]) this.fail_(`${id}.${f}: scheduler ${live[f]}, rebuilt from the store ${resumed[f]}`);
    }
    const rowFields = [
      'status',
      'chunksReleased',
      'duplicateResults',
      'chunksRecomputed',
      'inside',
      'chunksDone',
      'chunksVerified',
    ] as const;
    for (const f of rowFields) {
      if (stored[f] !== live[f]) this.fail_(`${id}.${f}: scheduler ${live[f]}, stored row ${stored[f]}`);
    }
    const sorted = (o: Record<string, number>) => JSON.stringify(Object.entries(o).sort());
    if (sorted(stored.verifiedBy) !== sorted(live.verifiedBy))
      this.fail_(`${id}.verifiedBy: scheduler ${JSON.stringify(live.verifiedBy)}, stored row ${JSON.stringify(stored.verifiedBy)}`);
  }

  private fail_(message: string): never {
    throw new PropertyViolation(`step ${this.steps} (${this.label}, t=${this.now}ms): ${message}`);
  }

  // ---- drain: do all calculations end? --------------------------------------------------------------------------

  /**
   * Liars fall silent; every other worker answers each lease it holds, the first (honest) worker is sure to have a
   * ready stream, and time advances half a lease TTL per round. Returns the rounds it took for every calculation to
   * end, or throws after `maxRounds`.
   */
  drain(maxRounds: number): number {
    this.label = 'drain';
    for (const w of this.workers) w.frozen = isLiar(w.behaviour) && !this.config.expect.liarsAnswerInDrain;
    const honest = this.workers[0];
    for (let round = 0; round < maxRounds; round++) {
      if (this.scheduler.snapshot(this.now).activeCalculations === 0) return round;
      this.label = `drain round ${round}`;
      const states = new Map(this.scheduler.snapshot(this.now).workers.map((s) => [s.connId, s.state]));
      if (!honest.conns.some((c) => states.get(c) !== 'draining')) this.connect(honest);
      if (this.local.conns.length === 0) this.connect(this.local);
      for (const w of [...this.workers, this.local]) {
        if (w.frozen) continue;
        for (const connId of [...w.conns]) {
          for (const leaseId of this.scheduler.leasesOf(connId)) {
            const lease = w.held.find((l) => l.leaseId === leaseId);
            if (lease && w.conns.includes(connId)) this.answer(w, lease);
          }
        }
      }
      this.advance(Math.floor(this.config.options.leaseTtlMs / 2));
    }
    const left = this.calcIds.filter((id) => this.scheduler.calculation(id)).map((id) => JSON.stringify(this.scheduler.calculation(id)));
    const pool = JSON.stringify(this.scheduler.snapshot(this.now));
    return this.fail_(`${left.length} calculations still active after ${maxRounds} drain rounds: ${left.join(' ')}; pool ${pool}`);
  }

  /** Calculations that ended with each status. */
  outcomes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const rec of this.ended.values()) out[rec.status] = (out[rec.status] ?? 0) + 1;
    return out;
  }
}
