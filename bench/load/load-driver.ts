/**
 * Offers the load and follows it: the submitter (open or closed loop), the poller of in-flight
 * calculations, the drain and the final cancel. All bounded by time; request failures are counted.
 */
import type { LoadAccounting } from './accounting.js';
import { forEachLimit, sleep } from './async-util.js';
import type { Endpoint, ErrorTally } from './errors.js';
import type { ApiResult, GatewayClient, SubmitBody } from './gateway-client.js';
import type { ResolvedLoadBenchOptions } from './options.js';
import type { StoppedBy } from './summary.js';

/** What the driver loops share. `nowMs` counts from the start of the run. */
export interface DriverContext {
  options: ResolvedLoadBenchOptions;
  client: GatewayClient;
  ledger: LoadAccounting;
  errors: ErrorTally;
  nowMs: () => number;
  /** Aborts the run. */
  signal: AbortSignal;
}

/** Records a failed result under `endpoint`. */
export function recordFailure(ctx: DriverContext, endpoint: Endpoint, res: ApiResult<unknown>): void {
  if (!res.ok) ctx.errors.record({ t_s: ctx.nowMs() / 1000, endpoint, code: res.code, status: res.status, message: res.message });
}

function submitBody(o: ResolvedLoadBenchOptions): SubmitBody {
  return o.chunkSize === null ? { points: o.points, mode: o.mode } : { points: o.points, mode: o.mode, chunk_size: o.chunkSize };
}

/** Sends one calculation; true if it was accepted. */
async function submitOne(ctx: DriverContext): Promise<boolean> {
  ctx.ledger.submitStarted();
  const startedMs = ctx.nowMs();
  const res = await ctx.client.submit(submitBody(ctx.options), ctx.signal);
  const nowMs = ctx.nowMs();
  recordFailure(ctx, 'submit', res);
  ctx.ledger.submitFinished(nowMs, nowMs - startedMs, res.ok ? res.body : null, ctx.options.points);
  return res.ok;
}

/**
 * Submits until `loadEndMs`, the `maxRequests` cap or abort. Open loop (`ratePerS`): on a fixed
 * schedule, not waiting for answers. Closed loop (`concurrency`): one new calculation whenever fewer
 * are in flight; after a rejected submission it backs off a quarter sample interval so a failing
 * gateway is not hammered.
 */
export async function runSubmitter(ctx: DriverContext, loadEndMs: number): Promise<StoppedBy> {
  const { options: o, ledger, signal } = ctx;
  const stop = (): StoppedBy | null => {
    if (signal.aborted) return 'aborted';
    if (ctx.nowMs() >= loadEndMs) return 'duration';
    return ledger.attempts >= o.maxRequests ? 'max-requests' : null;
  };
  if (o.ratePerS !== null) {
    const periodMs = 1000 / o.ratePerS;
    const firstMs = ctx.nowMs();
    for (let k = 0; ;) {
      const why = stop();
      if (why) return why;
      const dueMs = firstMs + k * periodMs;
      if (dueMs >= loadEndMs) {
        await sleep(loadEndMs - ctx.nowMs(), signal); // the load phase lasts the full duration
        return signal.aborted ? 'aborted' : 'duration';
      }
      const waitMs = dueMs - ctx.nowMs();
      if (waitMs > 0) {
        await sleep(waitMs, signal);
        continue;
      }
      k++;
      void submitOne(ctx);
    }
  }
  const backoffMs = o.sampleIntervalMs / 4;
  for (;;) {
    const why = stop();
    if (why) return why;
    if (ledger.inFlightCount + ledger.pendingSubmits < (o.concurrency ?? 1)) {
      if (!(await submitOne(ctx))) await sleep(Math.min(backoffMs, loadEndMs - ctx.nowMs()), signal);
      continue;
    }
    await ledger.changed(loadEndMs - ctx.nowMs(), signal);
  }
}

/**
 * Every sample interval, GETs each in-flight calculation (`pollConcurrency` at once) and records the
 * ones that ended. A 404 ends the calculation as failed (it is gone) and counts as a poll error.
 */
export async function runPoller(ctx: DriverContext, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const startedMs = ctx.nowMs();
    await forEachLimit(ctx.ledger.inFlightIds(), ctx.options.pollConcurrency, async (id) => {
      const res = await ctx.client.get(id, stop);
      recordFailure(ctx, 'poll', res);
      if (!res.ok) {
        if (res.status === 404) ctx.ledger.ended(id, 'failed', ctx.nowMs());
        return;
      }
      const { status, durationMs } = res.body;
      if (status === 'completed' || status === 'failed' || status === 'cancelled') ctx.ledger.ended(id, status, ctx.nowMs(), durationMs);
    });
    await sleep(ctx.options.sampleIntervalMs - (ctx.nowMs() - startedMs), stop);
  }
}

/** Waits until `done()` or until `deadlineMs` (or abort, unless `ignoreAbort`), re-checking on every ledger change. */
export async function waitUntil(ctx: DriverContext, done: () => boolean, deadlineMs: number, ignoreAbort = false): Promise<void> {
  const signal = ignoreAbort ? undefined : ctx.signal;
  while (!done() && ctx.nowMs() < deadlineMs && !signal?.aborted) {
    await ctx.ledger.changed(deadlineMs - ctx.nowMs(), signal);
  }
}

/**
 * Cancels every calculation still in flight (`POST /api/calculate/{id}/cancel`) and stops tracking it:
 * `abandoned`, or `completed` if the answer shows it finished meanwhile. Not tied to the run's signal:
 * this is the cleanup after an abort too; each request is bounded by `requestTimeoutMs`.
 */
export async function cancelInFlight(ctx: DriverContext): Promise<void> {
  await forEachLimit(ctx.ledger.inFlightIds(), ctx.options.pollConcurrency, async (id) => {
    const res = await ctx.client.cancel(id);
    recordFailure(ctx, 'cancel', res);
    const calc = res.ok ? res.body : null;
    if (calc?.status === 'completed') ctx.ledger.ended(id, 'completed', ctx.nowMs(), calc.durationMs);
    else ctx.ledger.ended(id, 'abandoned', ctx.nowMs());
  });
}
