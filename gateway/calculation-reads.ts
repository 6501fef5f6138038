/**
 * Reads of calculations at wire speed. A calculation that ended never changes, so its JSON is kept (bounded, least
 * recently used out first) and served with an ETag and long-lived caching. A running calculation is followed by ONE
 * Watch stream from the coordinator, shared by every GET and every SSE client, and a GET is answered from its latest
 * snapshot (the coordinator sends one at most every 100 ms); the stream closes when the calculation ends or when
 * nobody has asked for it for `idleMs`. So 1,000 SSE clients of one calculation cost one upstream stream, and GETs
 * cost no gRPC call at all once a calculation is known. A snapshot is turned into its JSON, body and ETag only when
 * something reads it (a GET, an SSE client) or when it is the last one: with no SSE client, the snapshots that come
 * and go between two GETs are never serialised (docs/performance.md "REST GET: the tail (eighth session)").
 * A calculation submitted through this gateway is known from its submit answer: a read of it within
 * `submittedFreshMs` of the submit is answered from that answer and starts following it, so the first GET after a
 * POST never waits on a coordinator busy dispatching (docs/performance.md "The first GET after a submit").
 */
import { hash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Calculation__Output } from '../generated/proto/pigrid/v1/Calculation.js';
import { statusFromWire } from '../shared/wire.js';
import { toCalculationJson, type CalculationJson } from './calculation-json.js';
import type { CoordinatorClient } from './coordinator-client.js';

/** A calculation as served: its JSON, the serialized body and its ETag. */
export interface ServedCalculation {
  readonly json: CalculationJson;
  readonly body: string;
  readonly etag: string;
  readonly terminal: boolean;
}

export interface Subscriber {
  data(c: ServedCalculation): void;
  end(err: grpc.ServiceError | null): void;
}

interface Followed {
  latest: ServedCalculation;
  /** A snapshot newer than `latest` that nobody has read yet (served when read: see `current`). */
  unread: Calculation__Output | undefined;
  readonly subscribers: Set<Subscriber>;
  stop: () => void;
  lastAskedMs: number;
}

const TERMINAL: ReadonlySet<CalculationJson['status']> = new Set(['completed', 'failed', 'cancelled']);
const isTerminal = (status: CalculationJson['status']) => TERMINAL.has(status);

/** The followed calculation's newest snapshot, served (JSON, body, ETag) now if nobody had read it yet. */
function current(f: Followed): ServedCalculation {
  if (f.unread !== undefined) {
    f.latest = serve(f.unread);
    f.unread = undefined;
  }
  return f.latest;
}

export function serve(c: Calculation__Output): ServedCalculation {
  const json = toCalculationJson(c);
  const body = JSON.stringify(json);
  const etag = `"${hash('sha1', body, 'base64url').slice(0, 22)}"`;
  return { json, body, etag, terminal: isTerminal(json.status) };
}

export interface CalculationReadsOptions {
  /** Ended calculations kept in memory. @default 10000 */
  readonly maxEnded: number;
  /** A followed calculation nobody asked about for this long stops being followed. @default 30000 ms */
  readonly idleMs: number;
  /**
   * How old a submit answer may be to answer a calculation's first read (it is the calculation as it was at its
   * submit; a Watch snapshot replaces it within ~100 ms once the coordinator answers). @default 1000 ms
   */
  readonly submittedFreshMs: number;
  /** Submit answers kept for their first read (the oldest go first). @default 4096 */
  readonly maxSubmitted: number;
}

export class CalculationReads {
  private readonly coordinator: CoordinatorClient;
  private readonly opts: CalculationReadsOptions;
  /** Ended calculations, least recently used first (Map order). */
  private readonly ended = new Map<string, ServedCalculation>();
  /** The most recently used id of `ended` (its last key), so reading it again needs no reordering. */
  private newest: string | undefined;
  private readonly followed = new Map<string, Followed>();
  /** Submit answers of this gateway not read yet, oldest first (Map order), with the time of the submit. */
  private readonly submitted = new Map<string, { readonly record: Calculation__Output; readonly atMs: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(coordinator: CoordinatorClient, opts: Partial<CalculationReadsOptions> = {}) {
    this.coordinator = coordinator;
    this.opts = { maxEnded: 10_000, idleMs: 30_000, submittedFreshMs: 1_000, maxSubmitted: 4_096, ...opts };
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, this.opts.idleMs / 2));
    this.sweeper.unref();
  }

  /** Upstream Watch streams open now (for tests and metrics). */
  get upstreams(): number {
    return this.followed.size;
  }

  /**
   * The calculation as the gateway knows it; asks the coordinator only the first time. `call` wraps the gRPC call
   * alone (the routes map its errors), so a bug in serving is not mistaken for a coordinator error.
   */
  async get(id: string, requestId?: string, call: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn()): Promise<ServedCalculation> {
    const known = this.known(id);
    if (known) return known;
    const served = serve(await call(() => this.coordinator.get(id, requestId)));
    this.learn(id, served);
    return served;
  }

  /**
   * A calculation this gateway has just submitted, as the coordinator answered the submit. Kept (unserialised) for
   * its first read: a read within submittedFreshMs is answered from it, later ones ask the coordinator as before.
   */
  noteSubmitted(record: Calculation__Output): void {
    this.submitted.set(record.id, { record, atMs: Date.now() });
    if (this.submitted.size > this.opts.maxSubmitted) this.submitted.delete(this.submitted.keys().next().value as string);
  }

  /** Forgets a submit answer (the calculation changed through this gateway, e.g. a cancel): its first read asks. */
  forgetSubmitted(id: string): void {
    this.submitted.delete(id);
  }

  /**
   * Follows a calculation for an SSE client: `data` with every snapshot after the current one, then `end`. Returns
   * the function that unsubscribes. The caller gets the current state from `get` first.
   */
  subscribe(id: string, s: Subscriber): () => void {
    const f = this.followed.get(id);
    if (!f) {
      // Ended (or never followed): nothing more will come.
      queueMicrotask(() => s.end(null));
      return () => {};
    }
    f.subscribers.add(s);
    return () => {
      f.subscribers.delete(s);
      f.lastAskedMs = Date.now();
    };
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [id, f] of this.followed) {
      this.followed.delete(id);
      f.stop();
      for (const s of f.subscribers) s.end(null);
    }
  }

  /** The calculation if the gateway already knows it (no call, no promise: the GET route's fast path); else undefined. */
  known(id: string): ServedCalculation | undefined {
    const e = this.ended.get(id);
    if (e) {
      if (id !== this.newest) {
        this.ended.delete(id);
        this.ended.set(id, e);
        this.newest = id;
      }
      return e;
    }
    const f = this.followed.get(id);
    if (f) {
      f.lastAskedMs = Date.now();
      return current(f);
    }
    const s = this.submitted.get(id);
    if (s) {
      this.submitted.delete(id);
      if (Date.now() - s.atMs <= this.opts.submittedFreshMs) {
        const served = serve(s.record);
        this.learn(id, served);
        return served;
      }
    }
    return undefined;
  }

  private learn(id: string, served: ServedCalculation): void {
    if (served.terminal) {
      this.remember(id, served);
      return;
    }
    if (this.followed.has(id)) return;
    const f: Followed = { latest: served, unread: undefined, subscribers: new Set(), stop: () => {}, lastAskedMs: Date.now() };
    this.followed.set(id, f);
    f.stop = this.coordinator.watch(
      id,
      (c) => {
        // Nobody to send it to and not the last one: kept as it came until a GET asks (or the next replaces it).
        if (f.subscribers.size === 0 && !isTerminal(statusFromWire(c.status))) {
          f.unread = c;
          return;
        }
        f.unread = undefined;
        f.latest = serve(c);
        for (const s of [...f.subscribers]) s.data(f.latest);
        if (f.latest.terminal) this.remember(id, f.latest);
      },
      (err) => {
        if (this.followed.get(id) === f) this.followed.delete(id);
        for (const s of [...f.subscribers]) s.end(err);
        f.subscribers.clear();
      },
    );
  }

  private remember(id: string, served: ServedCalculation): void {
    this.ended.delete(id);
    this.ended.set(id, served);
    this.newest = id;
    while (this.ended.size > this.opts.maxEnded) {
      const oldest = this.ended.keys().next().value as string;
      this.ended.delete(oldest);
      if (oldest === this.newest) this.newest = undefined;
    }
  }

  /**
   * Stops following calculations nobody asked about for idleMs (and that no SSE client listens to); drops submit
   * answers too old to answer a read.
   */
  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.submitted) {
      if (now - s.atMs <= this.opts.submittedFreshMs) break;
      this.submitted.delete(id);
    }
    for (const [id, f] of this.followed) {
      if (f.subscribers.size > 0 || now - f.lastAskedMs < this.opts.idleMs) continue;
      this.followed.delete(id);
      f.stop();
    }
  }
}
