/**
 * The gRPC adapter of the Calculations service: decodes requests, calls the coordinator service, encodes answers, and maps
 * errors through the one status table.
 */
import * as grpc from '@grpc/grpc-js';
import type { CalculationsHandlers } from '../../generated/proto/pigrid/v1/Calculations.js';
import { ErrorCode, PigridError } from '../../shared/errors.js';
import { principalOf } from '../../shared/grpc-auth.js';
import type { Admission } from '../admission.js';
import type { Logger } from '../../shared/logger.js';
import { checkPageSize } from '../../shared/submit-rules.js';
import { modeFromWire, REQUEST_ID_METADATA_KEY } from '../../shared/wire.js';
import { isTerminal, type CalculationRecord } from '../core/model.js';
import type { ListCursor } from '../core/store-port.js';
import type { CoordinatorService } from '../coordinator-service.js';
import { toServiceError } from './status-codes.js';
import { toWireCalculation } from './wire.js';

/** Watch sends at most one progress snapshot per this interval; the terminal one always goes out at once. */
const WATCH_MIN_INTERVAL_MS = 100;

function encodeCursor(r: CalculationRecord): string {
  return Buffer.from(JSON.stringify({ c: r.createdAtMs, i: r.id })).toString('base64url');
}

function decodeCursor(token: string): ListCursor {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c: unknown; i: unknown };
    if (typeof v.c === 'number' && typeof v.i === 'string') return { createdAtMs: v.c, id: v.i };
  } catch {
    // fall through
  }
  throw new PigridError(ErrorCode.INVALID_PAGE_TOKEN, 'page_token must be a next_page_token returned by List', 'page_token');
}

function pageSize(raw: number | undefined): number {
  const r = checkPageSize(raw === 0 ? undefined : raw);
  if ('value' in r) return r.value;
  throw new PigridError(r.code, r.message, r.field);
}

function requestIdOf(call: { metadata: grpc.Metadata }): string | undefined {
  const v = call.metadata.get(REQUEST_ID_METADATA_KEY)[0];
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 128) : undefined;
}

type AnyCall = { metadata: grpc.Metadata; getPeer(): string };

/**
 * The error a client gets. Expected errors (catalogued codes) are answered as they are; anything that maps to
 * INTERNAL is a bug or an I/O failure: it is logged here with its stack and the ids of the call, and the client
 * gets INTERNAL with no details.
 */
function answerFor(log: Logger, method: string, call: AnyCall, err: unknown, calculationId?: string): Partial<grpc.ServiceError> {
  const answer = toServiceError(err);
  if (answer.code === grpc.status.INTERNAL) {
    log.error(
      {
        method,
        calculationId: calculationId || undefined,
        reqId: requestIdOf(call),
        peer: call.getPeer(),
        err: err instanceof Error ? err : new Error(String(err)),
      },
      'unexpected error in a gRPC handler',
    );
  }
  return answer;
}

/** Runs a unary handler body (its value or a promise of it) and answers with the value or the mapped error. */
function unary<T>(
  log: Logger,
  method: string,
  call: AnyCall,
  callback: grpc.sendUnaryData<T>,
  body: () => T | Promise<T>,
  calculationId?: string,
): void {
  const fail = (err: unknown) => callback(answerFor(log, method, call, err, calculationId));
  let value: T | Promise<T>;
  try {
    value = body();
  } catch (err) {
    fail(err);
    return;
  }
  if (value instanceof Promise) value.then((v) => callback(null, v), fail);
  else callback(null, value);
}

export function calculationsHandlers(
  coordinator: CoordinatorService,
  singleModeThreads: number,
  log: Logger,
  admission?: Admission,
): CalculationsHandlers {
  return {
    Submit(call, callback) {
      unary(log, 'Submit', call, callback, () => {
        const r = call.request;
        const mode = modeFromWire(r.mode);
        const client = principalOf(call);
        let settle: ((id?: string) => void) | undefined;
        return coordinator
          .submit(
            {
              points: r._points === 'points' ? r.points : undefined,
              // An enum number outside Mode reaches us as that number: report it as such.
              mode: mode === undefined ? r.mode : (mode ?? undefined),
              seed: r._seed === 'seed' ? r.seed : undefined,
              chunkSize: r._chunkSize === 'chunkSize' ? r.chunkSize : undefined,
            },
            true,
            (points) => {
              settle = admission?.admit(client, points);
            },
          )
          .then(
            (created) => {
              settle?.(created.id);
              return toWireCalculation(created);
            },
            (err: unknown) => {
              settle?.();
              throw err;
            },
          );
      });
    },
    Get(call, callback) {
      unary(log, 'Get', call, callback, () => toWireCalculation(coordinator.get(call.request.id)), call.request.id);
    },
    Cancel(call, callback) {
      unary(log, 'Cancel', call, callback, () => toWireCalculation(coordinator.cancel(call.request.id)), call.request.id);
    },
    List(call, callback) {
      unary(log, 'List', call, callback, () => {
        const limit = pageSize(call.request.pageSize);
        const after = call.request.pageToken ? decodeCursor(call.request.pageToken) : undefined;
        const page = coordinator.list(limit + 1, after);
        const items = page.slice(0, limit);
        return {
          calculations: items.map(toWireCalculation),
          nextPageToken: page.length > limit ? encodeCursor(items[items.length - 1]) : '',
        };
      });
    },
    ClusterStatus(call, callback) {
      unary(log, 'ClusterStatus', call, callback, () => {
        const p = coordinator.clusterStatus();
        return {
          workers: p.workers
            .filter((w) => w.kind === 'remote')
            .map((w) => ({
              id: w.workerId,
              address: w.address,
              capacity: w.capacity,
              inFlight: w.inFlight,
              state: w.state.toUpperCase(),
              chunksCompleted: w.chunksCompleted,
              connectedAtMs: w.connectedAtMs,
              instanceId: w.instanceId,
              credits: w.credits,
              chunksVerified: w.chunksVerified,
            })),
          quarantined: p.quarantined.map((q) => ({
            workerId: q.workerId,
            instanceId: q.instanceId,
            reason: q.reason,
            quarantinedAtMs: q.atMs,
          })),
          totalCapacity: p.totalCapacity,
          leasesInFlight: p.leasesInFlight,
          backlogChunks: p.backlogChunks,
          activeCalculations: p.activeCalculations,
          singleModeThreads,
        };
      });
    },
    Watch(call) {
      const id = call.request.id;
      let first: CalculationRecord;
      let release = () => {};
      try {
        first = coordinator.get(id);
        if (!isTerminal(first.status) && admission) release = admission.openWatch();
      } catch (err) {
        call.emit('error', answerFor(log, 'Watch', call, err, id));
        return;
      }
      call.write(toWireCalculation(first));
      if (isTerminal(first.status)) {
        call.end();
        return;
      }
      call.on('close', release);
      let lastSent = Date.now();
      // The latest snapshot not sent yet. Encoded only when it goes out: the coordinator calls the listener once per
      // scheduling step that touched the calculation (one per result with small chunks), and all but one snapshot
      // per interval are overwritten unsent. The record is the step's own copy, which nothing changes afterwards.
      let pending: CalculationRecord | undefined;
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        timer = undefined;
        if (pending) call.write(toWireCalculation(pending));
        pending = undefined;
        lastSent = Date.now();
      };
      const onChange = (rec: CalculationRecord) => {
        if (isTerminal(rec.status)) {
          if (timer) clearTimeout(timer);
          stop();
          release();
          call.write(toWireCalculation(rec));
          call.end();
          return;
        }
        pending = rec;
        if (timer) return;
        const wait = WATCH_MIN_INTERVAL_MS - (Date.now() - lastSent);
        if (wait <= 0) flush();
        else timer = setTimeout(flushLater, wait);
      };
      // A throw here (the encode, the write) must end this stream, not the step or, from the timer, the process.
      const fail = (err: unknown) => {
        if (timer) clearTimeout(timer);
        stop();
        release();
        call.emit('error', answerFor(log, 'Watch', call, err, id));
      };
      const flushLater = () => {
        try {
          flush();
        } catch (err) {
          fail(err);
        }
      };
      // The listener runs inside the coordinator's step.
      const stop = coordinator.watch(first.id, (rec) => {
        try {
          onChange(rec);
        } catch (err) {
          fail(err);
        }
      });
      call.on('cancelled', () => {
        if (timer) clearTimeout(timer);
        stop();
        release();
      });
    },
  };
}
