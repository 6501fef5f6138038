/**
 * One load-benchmark run: baseline sample → LOAD (submit for `durationS`) → DRAIN (wait up to
 * `drainTimeoutS`, then cancel what is left) → COOLDOWN (keep sampling `cooldownS`) → STOPPED.
 * Bounded: it ends by itself after about duration + drain timeout + cooldown + one request timeout.
 */
import { mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { LoadAccounting } from './accounting.js';
import { sleep } from './async-util.js';
import type { SampleRow } from './csv.js';
import { ErrorTally } from './errors.js';
import { createGatewayClient } from './gateway-client.js';
import { cancelInFlight, runPoller, runSubmitter, waitUntil, type DriverContext } from './load-driver.js';
import { resolveLoadBenchOptions, type LoadBenchOptions } from './options.js';
import { writeOutputs } from './outputs.js';
import { probeTimeoutMs, Sampler } from './sampler.js';
import { computeSummary, type LoadBenchSummary, type StoppedBy } from './summary.js';

/** Phases of a run, in order. */
export type RunPhase = 'BASELINE' | 'LOAD' | 'DRAIN' | 'COOLDOWN' | 'STOPPED';

/** Controls of {@link runLoadBench}. */
export interface RunControls {
  /**
   * Stops the run early: submissions stop, in-flight calculations are cancelled, the files are still
   * written and the summary says `stoppedBy: "aborted"`. The promise does not reject on abort.
   */
  signal?: AbortSignal;
  /** Called with each CSV row as it is taken (progress output). */
  onRow?: (row: SampleRow) => void;
  /** Called when the run enters a phase. */
  onPhase?: (phase: RunPhase) => void;
}

/**
 * Runs the load benchmark against `options.url` and writes `samples.csv`, `summary.json` and
 * `chart.html` to `options.outDir`.
 * @param options validated by {@link resolveLoadBenchOptions} (a resolved object is accepted too).
 * @returns the summary that was written to `summary.json`.
 * @throws PigridError INVALID_CONFIG for invalid options; an error if the output directory cannot be
 *   written. Request failures never throw: they are counted in `summary.errors`.
 */
export async function runLoadBench(options: LoadBenchOptions, controls: RunControls = {}): Promise<LoadBenchSummary> {
  const o = resolveLoadBenchOptions(options);
  await mkdir(o.outDir, { recursive: true }); // fail before offering any load, not after
  const root = new AbortController();
  const onAbort = (): void => root.abort();
  if (controls.signal?.aborted) root.abort();
  controls.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(o, root.signal, controls);
  } finally {
    controls.signal?.removeEventListener('abort', onAbort);
  }
}

async function run(o: ReturnType<typeof resolveLoadBenchOptions>, signal: AbortSignal, controls: RunControls): Promise<LoadBenchSummary> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const ctx: DriverContext = {
    options: o,
    client: createGatewayClient(o.url, { requestTimeoutMs: o.requestTimeoutMs, probeTimeoutMs: probeTimeoutMs(o) }),
    ledger: new LoadAccounting(),
    errors: new ErrorTally(),
    nowMs: () => performance.now() - t0,
    signal,
  };
  const { ledger } = ctx;
  const sampler = new Sampler(ctx, controls.onRow);

  controls.onPhase?.('BASELINE');
  await sampler.sample(o.requestTimeoutMs); // replicas before any load: the "start" of scale-up detection
  const samplerStop = new AbortController();
  const sampling = sampler.run(samplerStop.signal);
  let phases: { stoppedBy: StoppedBy; loadEndS: number; drainEndS: number };
  try {
    phases = await offerAndDrain(ctx, controls);
    controls.onPhase?.('COOLDOWN');
    await sleep(o.cooldownS * 1000, signal);
  } finally {
    samplerStop.abort(); // also on an unexpected error, so no loop outlives the run
    await sampling;
  }
  const last = await sampler.sample();
  controls.onPhase?.('STOPPED');
  const { loadEndS, drainEndS } = phases;
  let { stoppedBy } = phases;

  if (signal.aborted) stoppedBy = 'aborted';
  const summary = computeSummary({
    options: o,
    rows: sampler.rows,
    totals: ledger.totals(),
    latencies: { submitMs: ledger.submitLatenciesMs, completionMs: ledger.completionLatenciesMs, serverMs: ledger.serverDurationsMs },
    phases: { loadEndS, drainEndS, endS: last.t_s ?? drainEndS },
    stoppedBy,
    startedAt,
    finishedAt: new Date().toISOString(),
    errors: ctx.errors.toJSON(),
  });
  await writeOutputs(o.outDir, sampler.rows, summary);
  return summary;
}

/** LOAD and DRAIN: submits, then waits for the in-flight calculations and cancels what is left. */
async function offerAndDrain(
  ctx: DriverContext,
  controls: RunControls,
): Promise<{ stoppedBy: StoppedBy; loadEndS: number; drainEndS: number }> {
  const { options: o, ledger } = ctx;
  const pollerStop = new AbortController();
  const polling = runPoller(ctx, AbortSignal.any([pollerStop.signal, ctx.signal]));
  try {
    controls.onPhase?.('LOAD');
    const stoppedBy = await runSubmitter(ctx, ctx.nowMs() + o.durationS * 1000);
    const loadEndS = ctx.nowMs() / 1000;
    controls.onPhase?.('DRAIN');
    await waitUntil(ctx, () => ledger.inFlightCount === 0 && ledger.pendingSubmits === 0, ctx.nowMs() + o.drainTimeoutS * 1000);
    // A POST still pending could create a calculation after the cancel below; each is bounded by its timeout.
    await waitUntil(ctx, () => ledger.pendingSubmits === 0, ctx.nowMs() + o.requestTimeoutMs + 100, true);
    pollerStop.abort();
    await polling;
    if (ledger.inFlightCount > 0) await cancelInFlight(ctx);
    return { stoppedBy, loadEndS, drainEndS: ctx.nowMs() / 1000 };
  } finally {
    pollerStop.abort();
    await polling;
  }
}
