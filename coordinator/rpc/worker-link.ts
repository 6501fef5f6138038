/**
 * The coordinator's connection to one worker address: dials it, opens the Work stream, waits for the hello, then
 * relays leases down and results up. When the stream breaks it reports the loss (so the leases go back to the
 * queue) and redials with backoff for as long as the address is wanted.
 */
import * as grpc from '@grpc/grpc-js';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease } from '../../generated/proto/pigrid/v1/Lease.js';
import type { ResultBatch__Output } from '../../generated/proto/pigrid/v1/ResultBatch.js';
import type { WorkerClient } from '../../generated/proto/pigrid/v1/Worker.js';
import { KEEPALIVE_OPTIONS } from '../../shared/grpc-server.js';
import type { Logger } from '../../shared/logger.js';
import { channelSecurity, type Tls } from '../../shared/tls.js';
import { MAX_RESULT_BATCH } from '../../shared/wire.js';
// From the stream definition only: importing the kernel itself would instantiate WebAssembly on this thread.
import { STREAM_VERSION } from '../../kernel/stream-spec.js';
import type { LeaseGrant, RejectReason, RevokeReason } from '../core/scheduler-types.js';
import type { CoordinatorService, LeaseSink } from '../coordinator-service.js';
import { resultReportOf, workerClientConstructor, type WorkerMessageIn } from './work-codec.js';
import { workerIdentity, type WorkerAuthFailure } from './worker-identity.js';

/** How links authenticate workers, and where they report the ones they refuse and the results they refuse unread. */
export interface LinkSecurity {
  readonly tls: Tls;
  refused(reason: WorkerAuthFailure): void;
  /** `count` results refused before they reached the scheduler (a ResultBatch over {@link MAX_RESULT_BATCH}). */
  rejected(reason: RejectReason, count: number): void;
}

type WorkCall = grpc.ClientDuplexStream<CoordinatorMessage, WorkerMessageIn>;

/** A stream that failed before any hello for one of these reasons was refused in the TLS handshake. */
const TLS_FAILURE = /certificate|ssl|tls|handshake|self[- ]signed|unable to verify|alert/i;

const HELLO_TIMEOUT_MS = 10_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5_000;

let connCounter = 0;

export class WorkerLink implements LeaseSink {
  readonly address: string;
  private readonly coordinator: CoordinatorService;
  private readonly log: Logger;
  private readonly client: WorkerClient;
  private call: WorkCall | undefined;
  private connId: string | undefined;
  private workerId: string | undefined;
  /** The worker's hello announced accepts_lease_batches. */
  private batches = false;
  /** The worker's hello announced accepts_chunk_spans (the scheduler leases spans to no other worker). */
  private spans = false;
  /** Leases granted in this turn of the event loop, sent together by {@link sendLeases} at its end. */
  private pendingLeases: Lease[] = [];
  private backoffMs = BACKOFF_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private wanted = true;
  private onIdle: (() => void) | undefined;
  private readonly security: LinkSecurity;
  /** Why this worker's certificate was last refused (from the handshake), and the last refusal reported. */
  private refusal: string | undefined;
  private reported: string | undefined;

  constructor(address: string, coordinator: CoordinatorService, log: Logger, security: LinkSecurity) {
    this.address = address;
    this.coordinator = coordinator;
    this.log = log.child({ address });
    this.security = security;
    const Ctor = workerClientConstructor();
    const { credentials, options } = channelSecurity(security.tls, {
      role: 'worker',
      address,
      verifyHostname: false,
      onRefused: (reason) => (this.refusal = reason),
    });
    // Its own subchannel: the certificate of a connection belongs to this link only. No channelz: nothing serves it,
    // and its trace events, timestamps and counters cost every link memory and every message a Date.now().
    this.client = new Ctor(address, credentials, {
      ...options,
      ...KEEPALIVE_OPTIONS,
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_channelz': 0,
    });
    this.open();
  }

  /**
   * Queues the lease; every lease granted to this link in the same turn of the event loop (one scheduling step, or
   * several run back to back) goes out in one message, from a microtask at the end of the turn. Grants happen after
   * their step was committed, so persist-before-send holds for the batch as for each lease.
   */
  grant(_connId: string, lease: LeaseGrant): void {
    const wire: Lease = {
      leaseId: lease.leaseId,
      calculationId: lease.calculationId,
      chunkIndex: lease.chunkIndex,
      seed: lease.seed,
      points: lease.points,
      ttlMs: lease.ttlMs,
    };
    // chunk_count only on a span: a lease of one chunk is the message it was before spans, byte for byte.
    if (lease.chunkCount > 1) {
      if (!this.spans) {
        // Cannot happen: the scheduler grants spans only to workers whose hello accepted them. Unsent, it expires.
        this.log.error(
          { leaseId: lease.leaseId, chunkCount: lease.chunkCount },
          'span lease for a worker that does not accept spans: not sent',
        );
        return;
      }
      wire.chunkCount = lease.chunkCount;
    }
    this.pendingLeases.push(wire);
    if (this.pendingLeases.length === 1) queueMicrotask(this.sendLeases);
  }

  revoke(_connId: string, leaseIds: readonly string[], reason: RevokeReason): void {
    this.sendLeases();
    this.write({ revoke: { leaseIds: [...leaseIds], reason } });
  }

  /** Sends the queued leases: one LeaseBatch when there are several and the worker accepts batches, else one by one. */
  private readonly sendLeases = (): void => {
    const leases = this.pendingLeases;
    if (leases.length === 0) return;
    this.pendingLeases = [];
    if (leases.length > 1 && this.batches) this.write({ leases: { leases } });
    else for (const lease of leases) this.write({ lease });
  };

  /** After a committed step that carried this stream's results: a retiring link closes once it holds nothing. */
  settled(): void {
    this.checkIdle();
  }

  /**
   * The address left discovery: lease nothing more here and close the stream once its in-flight leases have ended
   * (or at once if it holds none). Resolves when closed.
   */
  retire(): Promise<void> {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (!this.connId) {
      this.shutdown();
      return Promise.resolve();
    }
    this.coordinator.workerDraining(this.connId);
    return new Promise((resolve) => {
      this.onIdle = () => {
        this.shutdown();
        resolve();
      };
      this.checkIdle();
    });
  }

  /** Closes now: leases still held go back to the queue. Idempotent. */
  shutdown(): void {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    const call = this.call;
    this.call = undefined;
    this.lost('coordinator closed the stream');
    if (call) {
      call.removeAllListeners('data');
      call.cancel();
    }
    this.client.close();
  }

  private open(): void {
    if (!this.wanted) return;
    const call = this.client.Work();
    this.call = call;
    this.helloTimer = setTimeout(() => {
      this.log.warn({ timeoutMs: HELLO_TIMEOUT_MS }, 'no hello from worker; redialling');
      call.cancel();
    }, HELLO_TIMEOUT_MS);
    call.on('data', (msg: WorkerMessageIn) => this.onMessage(call, msg));
    call.on('error', (err: grpc.ServiceError) =>
      this.onBroken(call, `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`),
    );
    call.on('end', () => this.onBroken(call, 'worker ended the stream'));
  }

  private onMessage(call: WorkCall, msg: WorkerMessageIn): void {
    if (call !== this.call) return;
    if (msg.hello) {
      if (this.helloTimer) clearTimeout(this.helloTimer);
      if (this.connId) return;
      const auth = call.getAuthContext();
      const who = workerIdentity(this.security.tls.files !== undefined, auth?.sslPeerCertificate, msg.hello.workerId, this.address);
      if (!who.ok) {
        this.report(who.reason, who.detail);
        call.cancel();
        return;
      }
      this.reported = undefined;
      this.connId = `${this.address}#${++connCounter}`;
      this.workerId = who.workerId;
      this.batches = msg.hello.acceptsLeaseBatches === true;
      this.spans = msg.hello.acceptsChunkSpans === true;
      this.backoffMs = BACKOFF_MIN_MS;
      // A worker whose kernel computes another random stream would break exactness: keep it, lease it nothing.
      const compatible = msg.hello.streamVersion === STREAM_VERSION;
      if (!compatible) {
        this.log.error(
          { workerId: msg.hello.workerId, theirs: msg.hello.streamVersion || '(none)', ours: STREAM_VERSION },
          'worker computes a different random stream: leasing it nothing',
        );
      }
      this.coordinator.workerConnected(
        {
          connId: this.connId,
          workerId: who.workerId,
          instanceId: msg.hello.instanceId,
          address: this.address,
          kind: 'remote',
          capacity: msg.hello.capacity,
          draining: msg.hello.draining || !this.wanted || !compatible,
          acceptsSpans: this.spans,
        },
        this,
      );
      return;
    }
    const connId = this.connId;
    if (!connId) return;
    if (msg.heartbeat) this.coordinator.heartbeat(connId, msg.heartbeat.leaseIds);
    else if (msg.result) {
      this.coordinator.result(connId, resultReportOf(msg.result));
    } else if (msg.results) {
      this.onResults(call, connId, msg.results, msg.oversizedBatch);
    } else if (msg.failure) {
      this.coordinator.failure(connId, { leaseId: msg.failure.leaseId, code: msg.failure.code, message: msg.failure.message });
    } else if (msg.draining) {
      this.log.info({ graceMs: msg.draining.graceMs }, 'worker is draining');
      this.coordinator.workerDraining(connId);
    }
  }

  /**
   * A ResultBatch: each entry goes to the same group commit as a single result and is checked exactly as one (a bad
   * entry is rejected on its own). A batch sent before any LeaseBatch is accepted too: the rule that a worker waits
   * for one protects older coordinators, and this one understands batches on any stream. A batch of more than
   * MAX_RESULT_BATCH entries (`oversized` when the codec did not even decode it) is refused whole, counted as
   * rejected, and the stream closed: no honest worker holds that many leases, so its leases go back to the queue.
   */
  private onResults(call: WorkCall, connId: string, batch: ResultBatch__Output, oversized: number | undefined): void {
    const count = oversized ?? batch.results.length;
    if (count > MAX_RESULT_BATCH) {
      this.security.rejected('batch_too_large', count);
      this.log.warn(
        { connId, workerId: this.workerId, entries: count, limit: MAX_RESULT_BATCH },
        'result batch too large: refused whole, closing the stream',
      );
      call.cancel();
      return;
    }
    for (const r of batch.results) this.coordinator.result(connId, resultReportOf(r));
  }

  private checkIdle(): void {
    if (!this.onIdle || !this.connId) return;
    if (this.coordinator.leasesOf(this.connId).length === 0) {
      const done = this.onIdle;
      this.onIdle = undefined;
      done();
    }
  }

  /** A refused worker: logged once per distinct refusal (the link keeps redialling with backoff), always counted. */
  private report(reason: WorkerAuthFailure, detail: string): void {
    this.security.refused(reason);
    if (this.reported === detail) return;
    this.reported = detail;
    this.log.warn({ reason, detail }, 'worker refused: no lease for it');
  }

  private onBroken(call: WorkCall, why: string): void {
    if (call !== this.call) return;
    this.call = undefined;
    if (!this.connId && this.security.tls.files && (this.refusal || TLS_FAILURE.test(why))) {
      this.report('tls', this.refusal ?? why);
      this.refusal = undefined;
    }
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.lost(why);
    if (this.onIdle) {
      const done = this.onIdle;
      this.onIdle = undefined;
      done();
    }
    if (!this.wanted) return;
    this.retryTimer = setTimeout(() => this.open(), this.backoffMs);
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  private lost(why: string): void {
    if (!this.connId) return;
    const connId = this.connId;
    this.connId = undefined;
    // Leases queued for the lost stream were released with it.
    this.pendingLeases = [];
    this.batches = false;
    this.spans = false;
    this.log.info({ why }, 'worker stream lost');
    this.coordinator.workerDisconnected(connId);
  }

  private write(msg: CoordinatorMessage): void {
    try {
      this.call?.write(msg);
    } catch (err) {
      this.log.warn({ err }, 'write to worker failed');
    }
  }
}
