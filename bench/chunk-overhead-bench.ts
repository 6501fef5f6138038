/**
 * Per-chunk overhead of the worker pipeline, against the bare kernel, in one run (issue #9, "Flat at scale").
 *
 * First the kernel's speed per thread is measured on a pool thread, and the chunk sizes are derived from it: a
 * "1 ms chunk" and a "10 ms chunk" are the points one thread computes in 1 ms and 10 ms. N is 2·10^10 points, the
 * workload issue #9 states its small-chunk goals for (--run-ms=T sizes N by time instead). Then, alternated round by
 * round so drift on this shared machine hits every variant alike, the same N points are timed as:
 *  (a) the bare kernel on 2 threads: a 2-thread piscina pool in this process, equal long tasks, as many per thread (one while N fits in a task);
 *  (b) a distributed calculation on a real coordinator + 2 workers x 1 thread (harness/cluster.ts) with 1 ms chunks;
 *  (c) the same with 10 ms chunks;
 *  (d) the bare 2-thread pool fed 1 ms tasks, two at a time (one per thread: every task pays a main-thread round trip)
 *      and with a few queued per thread (piscina hands the next one to the thread at once);
 *  (e) the same pool fed 1 ms chunks through the worker's ChunkRunner, holding as many as a worker does (its thread
 *      plus the coordinator's prefetch cap, 17 per thread) and replacing those that complete in one turn together at
 *      the next (leases answering one batch of results): the worker's pool path without gRPC, runs of chunks included.
 * Verification is off on that cluster (PIGRID_VERIFY_RATE=0, PIGRID_VERIFY_FIRST=0), so b and c show the pipeline's
 * own cost; a second cluster with the default verification settings runs (b) once more at the end, next to one more
 * (a), so its cost shows separately. Wall times of b and c are the coordinator's duration_ms (submit to last commit).
 */
import { pathToFileURL } from 'node:url';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';
import { submit, waitDone } from '../harness/rest.js';
import { countInside, MAX_CHUNK_POINTS, warmUp } from '../kernel/index.js';
import { ChunkRunner, type ChunkJob, type JobCallbacks } from '../kernel/pool/chunk-runner.js';
import { createKernelPool, type KernelPool } from '../kernel/pool/kernel-pool.js';
import { processCpuS } from './proc-stats.js';
import { summarize, type Summary } from './stats.js';

export interface ChunkOverheadBenchOptions {
  /**
   * N, the points of every variant (rounded to whole 10 ms chunks). @default 2·10^10, the workload issue #9 states its
   * small-chunk figures for ("2·10^10 points on 2 workers × 1 thread, against the bare kernel on 2 threads")
   */
  readonly points?: number;
  /** Instead of `points`: N from a target wall time of one bare-kernel run on 2 threads (idle machine), ms. */
  readonly runMs?: number;
  /** Alternated rounds (a, b, c, d, e in each). @default 4 */
  readonly rounds: number;
  /** Tasks queued per thread in the (d) variant that keeps piscina fed. @default 4 */
  readonly queuedPerThread: number;
  /** Extra coordinator settings of the verification-off cluster (e.g. PIGRID_PREFETCH, to compare). @default none */
  readonly coordinatorEnv?: Record<string, string>;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** One variant over the rounds: wall time, and CPU time (bare: the pool threads; cluster: coordinator + workers). */
export interface VariantFigures {
  readonly ms: Summary;
  /** Per-round wall time / the bare kernel's wall time in the same round. */
  readonly ratio: Summary;
  /** Per-round CPU seconds / the bare kernel's CPU seconds in the same round. */
  readonly cpuRatio: Summary;
  /** Cluster variants: coordinator and worker CPU per chunk beyond the bare kernel's CPU, microseconds (medians). */
  readonly coordinatorUsPerChunk?: number;
  readonly workerExtraUsPerChunk?: number;
}

export interface ChunkOverheadBenchResult {
  /** Median kernel speed of one thread, samples per CPU second. */
  readonly samplesPerSecondPerThread: number;
  readonly points: number;
  readonly chunk1ms: number;
  readonly chunk10ms: number;
  readonly bare: { readonly ms: Summary; readonly cpuS: Summary };
  readonly chunks1ms: VariantFigures;
  readonly chunks10ms: VariantFigures;
  readonly pool1msOneEach: VariantFigures;
  readonly pool1msQueued: VariantFigures;
  readonly runner1ms: VariantFigures;
  /**
   * CPU per extra chunk, microseconds: (b - c) / (chunks of b - chunks of c) per round, median. Costs that grow with
   * time rather than chunks (heartbeats, ticks, the gateway's polling) cancel out, unlike in the per-chunk figures.
   */
  readonly marginal: { readonly coordinatorUs: number; readonly workersUs: number };
  /** One run on the cluster with the default verification settings (1 ms chunks), and a bare run next to it. */
  readonly defaults: {
    readonly chunk: number;
    readonly ms: number;
    readonly bareMs: number;
    readonly cpuRatio: number;
    readonly chunksVerified: number;
  };
}

const THREADS = 2;
/** The small-chunk workload of issue #9: 2·10^10 points on 2 workers × 1 thread against the bare kernel on 2 threads. */
const ISSUE_POINTS = 20e9;
/** Chunks a worker holds per thread in (e): its running one plus the coordinator's adaptive prefetch cap (16). */
const HELD_PER_THREAD = 17;

/** Times `points` on the pool in tasks of `chunk` points, keeping `inFlight` tasks outstanding. */
async function timePool(pool: KernelPool, points: number, chunk: number, inFlight: number, seed: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let left = points;
  const lane = async () => {
    while (left > 0) {
      const n = Math.min(chunk, left);
      left -= n;
      await pool.run({ seed: String(seed), chunkIndex: next++, points: n });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return performance.now() - t0;
}

/**
 * Times `points` in chunks of `chunk` points through a ChunkRunner, the way a worker runs leases: `held` leases are
 * held at once, and the leases that complete in one turn are replaced together at the next turn (as the leases that
 * answer one batch of results arrive). A lease covers `perLease` chunks (a span) where that many full chunks are left,
 * else one chunk. `runner` is any ChunkRunner (the benches compare builds with it).
 */
export function timeRunner(
  runner: Pick<ChunkRunner, 'enqueue'>,
  points: number,
  chunk: number,
  held: number,
  seed: number,
  perLease = 1,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let next = 0;
    let left = points;
    let outstanding = 0;
    let refillScheduled = false;
    const refill = () => {
      refillScheduled = false;
      while (outstanding < held && left > 0) {
        // A span's chunks all have `chunk` points: a short last chunk goes alone.
        const count = Math.max(1, Math.min(perLease, Math.floor(left / chunk)));
        const n = Math.min(chunk, left);
        const chunkIndex = next;
        const job: ChunkJob = { leaseId: `${seed}-${chunkIndex}`, calculationId: 'bench', chunkIndex, seed: String(seed), points: n };
        runner.enqueue(count > 1 ? { ...job, chunkCount: count } : job, cb);
        left -= n * count;
        next += count;
        outstanding++;
      }
      if (outstanding === 0) resolve(performance.now() - t0);
    };
    const cb: JobCallbacks = {
      done: () => {
        outstanding--;
        if (!refillScheduled) {
          refillScheduled = true;
          setImmediate(refill);
        }
      },
      failed: (job, err) => reject(new Error(`chunk ${job.chunkIndex} failed: ${err.code} ${err.message}`)),
    };
    refill();
  });
}

/** CPU seconds of this thread (the kernel runs here in kernelSpeed, nothing else does). */
const threadCpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Kernel samples per second of CPU time on one thread (this one, same kernel as the pool threads): CPU time rather
 * than wall time, so other load on the shared machine does not shrink the chunk sizes.
 */
export function kernelSpeed(): number {
  warmUp();
  let points = 1 << 24;
  const rates: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = threadCpuS();
    countInside(1n, i, points);
    rates.push(points / Math.max(1e-4, threadCpuS() - t0));
    // Grow towards ~200 ms calls so the figure is the steady rate.
    points = Math.min(MAX_CHUNK_POINTS, Math.round(rates[rates.length - 1] * 0.2));
  }
  return summarize(rates.slice(3)).median;
}

/** CPU seconds of the coordinator and the workers of a cluster so far. */
function clusterCpuS(c: Cluster): { coordinator: number; workers: number } {
  return {
    coordinator: processCpuS(c.coordinator.child.pid!),
    workers: c.workers.reduce((s, w) => s + processCpuS(w.child.pid!), 0),
  };
}

interface CalcRun {
  readonly ms: number;
  readonly verified: number;
  /** CPU seconds the coordinator and the workers used during the run. */
  readonly coordinatorCpuS: number;
  readonly workersCpuS: number;
  readonly chunks: number;
}

async function timeCalc(c: Cluster, points: number, chunk: number, seed: number): Promise<CalcRun> {
  const before = clusterCpuS(c);
  const calc = await waitDone(c.url, (await submit(c.url, { points, mode: 'distributed', seed, chunk_size: chunk })).id, 600_000);
  const after = clusterCpuS(c);
  if (calc.status !== 'completed') throw new Error(`benchmark calculation ended ${calc.status}: ${calc.error}`);
  return {
    ms: calc.duration_ms!,
    verified: calc.chunks_verified,
    coordinatorCpuS: after.coordinator - before.coordinator,
    workersCpuS: after.workers - before.workers,
    chunks: calc.chunk_count,
  };
}

/** Wall ms and CPU seconds of this process (the pool threads, and the main thread feeding them) over `run`. */
export async function timeCpu(run: () => Promise<number>): Promise<{ ms: number; cpuS: number }> {
  const t0 = process.cpuUsage();
  const ms = await run();
  const d = process.cpuUsage(t0);
  return { ms, cpuS: (d.user + d.system) / 1e6 };
}

/** Wall ms and CPU seconds (this process) of a pool run. */
const timePoolCpu = (pool: KernelPool, points: number, chunk: number, inFlight: number, seed: number) =>
  timeCpu(() => timePool(pool, points, chunk, inFlight, seed));

interface Sample {
  readonly ms: number;
  readonly cpuS: number;
  readonly run?: CalcRun;
}

function figures(xs: readonly Sample[], bare: readonly Sample[]): VariantFigures {
  const runs = xs.flatMap((x) => (x.run ? [x.run] : []));
  const perChunk = (f: (run: CalcRun, i: number) => number) =>
    runs.length === xs.length ? summarize(runs.map((run, i) => f(run, i))).median : undefined;
  return {
    ms: summarize(xs.map((x) => x.ms)),
    ratio: summarize(xs.map((x, i) => x.ms / bare[i].ms)),
    cpuRatio: summarize(xs.map((x, i) => x.cpuS / bare[i].cpuS)),
    coordinatorUsPerChunk: perChunk((run) => (run.coordinatorCpuS / run.chunks) * 1e6),
    workerExtraUsPerChunk: perChunk((run, i) => ((run.workersCpuS - bare[i].cpuS) / run.chunks) * 1e6),
  };
}

function marginal(b: readonly Sample[], c: readonly Sample[]): { coordinatorUs: number; workersUs: number } {
  const per = (f: (run: CalcRun) => number) =>
    summarize(b.map((x, i) => ((f(x.run!) - f(c[i].run!)) / (x.run!.chunks - c[i].run!.chunks)) * 1e6)).median;
  return { coordinatorUs: per((run) => run.coordinatorCpuS), workersUs: per((run) => run.workersCpuS) };
}

export async function runChunkOverheadBench(opts: Partial<ChunkOverheadBenchOptions> = {}): Promise<ChunkOverheadBenchResult> {
  const o: ChunkOverheadBenchOptions = { rounds: 4, queuedPerThread: 4, ...opts };
  const log = o.log ?? (() => {});
  const pool = createKernelPool(THREADS);
  try {
    const speed = kernelSpeed();
    const chunk1ms = Math.max(1000, Math.round(speed / 1000));
    const chunk10ms = Math.round(speed / 100);
    const wanted = o.runMs !== undefined ? (speed * THREADS * o.runMs) / 1000 : (o.points ?? ISSUE_POINTS);
    const points = Math.round(wanted / chunk10ms) * chunk10ms;
    // (a)'s tasks: the same number of equal tasks per thread (a task may not exceed MAX_CHUNK_POINTS). Tasks of
    // MAX_CHUNK_POINTS and a remainder left one thread up to one task longer than the other (+14 % wall at 14.8 G).
    const longTask = Math.ceil(points / (THREADS * Math.ceil(points / THREADS / MAX_CHUNK_POINTS)));
    log(`kernel ${(speed / 1e9).toFixed(2)} G samples/s per thread: 1 ms chunk ${chunk1ms}, 10 ms chunk ${chunk10ms}, N ${points}`);

    const common = { workers: 2, workerThreads: 1, coordinatorThreads: 1 };
    const off = await startCluster({
      ...common,
      coordinatorEnv: { PIGRID_VERIFY_RATE: '0', PIGRID_VERIFY_FIRST: '0', ...o.coordinatorEnv },
    });
    const defaults = await startCluster(common);
    // Warm-up: thread start, JIT, the first verified results of each new worker (defaults cluster).
    await timePool(pool, Math.floor(points / 4), longTask, THREADS, 1);
    for (const c of [off, defaults]) await timeCalc(c, 40 * chunk10ms, chunk10ms, 1);
    await timeCalc(off, 200 * chunk1ms, chunk1ms, 2);

    const calc = async (c: Cluster, chunk: number, seed: number): Promise<Sample> => {
      const run = await timeCalc(c, points, chunk, seed);
      return { ms: run.ms, cpuS: run.coordinatorCpuS + run.workersCpuS, run };
    };
    const bare: Sample[] = [];
    const b: Sample[] = [];
    const c: Sample[] = [];
    const dOne: Sample[] = [];
    const dQueued: Sample[] = [];
    const e: Sample[] = [];
    const runner = new ChunkRunner(pool);
    for (let r = 0; r < o.rounds; r++) {
      const seed = 100 + r;
      bare.push(await timePoolCpu(pool, points, longTask, THREADS, seed));
      b.push(await calc(off, chunk1ms, seed));
      c.push(await calc(off, chunk10ms, seed));
      dOne.push(await timePoolCpu(pool, points, chunk1ms, THREADS, seed));
      dQueued.push(await timePoolCpu(pool, points, chunk1ms, THREADS * (1 + o.queuedPerThread), seed));
      e.push(await timeCpu(() => timeRunner(runner, points, chunk1ms, THREADS * HELD_PER_THREAD, seed)));
      const last = (xs: Sample[]) => `${(xs[r].ms / bare[r].ms).toFixed(3)} (cpu ${(xs[r].cpuS / bare[r].cpuS).toFixed(3)})`;
      log(
        `round ${r + 1}/${o.rounds}: bare ${bare[r].ms.toFixed(0)} ms; b/a ${last(b)}, c/a ${last(c)}, d/a ${last(dOne)} / ${last(dQueued)}, e/a ${last(e)}`,
      );
    }
    const bareD = await timePoolCpu(pool, points, longTask, THREADS, 999);
    const d = await calc(defaults, chunk1ms, 999);
    return {
      samplesPerSecondPerThread: speed,
      points,
      chunk1ms,
      chunk10ms,
      bare: { ms: summarize(bare.map((x) => x.ms)), cpuS: summarize(bare.map((x) => x.cpuS)) },
      chunks1ms: figures(b, bare),
      chunks10ms: figures(c, bare),
      pool1msOneEach: figures(dOne, bare),
      pool1msQueued: figures(dQueued, bare),
      runner1ms: figures(e, bare),
      marginal: marginal(b, c),
      defaults: { chunk: chunk1ms, ms: d.ms, bareMs: bareD.ms, cpuRatio: d.cpuS / bareD.cpuS, chunksVerified: d.run!.verified },
    };
  } finally {
    await pool.destroy();
    await stopAll();
  }
}

/** Prints the figures (run-all.ts and the standalone entry). */
export function formatChunkOverheadBench(r: ChunkOverheadBenchResult): string {
  const ms = (s: Summary) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}-${s.max.toFixed(0)})`.padEnd(20);
  const x = (s: Summary) => `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})`;
  const us = (v: number | undefined) => (v === undefined ? '' : `${v.toFixed(0)} µs`);
  const row = (label: string, f: VariantFigures) =>
    `  ${label.padEnd(40)} ${ms(f.ms)} wall ${x(f.ratio)}  cpu ${x(f.cpuRatio)}` +
    (f.coordinatorUsPerChunk === undefined
      ? ''
      : `  per chunk: coordinator ${us(f.coordinatorUsPerChunk)}, workers +${us(f.workerExtraUsPerChunk)}`);
  const g = (n: number) => `${(n / 1e6).toFixed(2)} M`;
  return [
    `chunk overhead (kernel ${(r.samplesPerSecondPerThread / 1e9).toFixed(2)} G samples per CPU-second per thread; ${(r.points / 1e9).toFixed(2)} G points; ` +
      `1 ms chunk = ${g(r.chunk1ms)} points, 10 ms chunk = ${g(r.chunk10ms)}; ${r.bare.ms.n} alternated rounds, verification off;`,
    '  ratios are per round against (a), median (min-max); cpu = CPU seconds of the pool threads, or of coordinator + workers):',
    `  ${'(a) bare kernel, 2 threads, long tasks'.padEnd(40)} ${ms(r.bare.ms)} cpu ${r.bare.cpuS.median.toFixed(2)} s`,
    row('(b) 2 workers x 1 thread, 1 ms chunks', r.chunks1ms),
    row('(c) 2 workers x 1 thread, 10 ms chunks', r.chunks10ms),
    row('(d) bare pool, 1 ms tasks, 1 per thread', r.pool1msOneEach),
    row('    bare pool, 1 ms tasks, queued', r.pool1msQueued),
    row('(e) pool, 1 ms chunks via ChunkRunner', r.runner1ms),
    `  CPU per extra chunk (b - c): coordinator ${us(r.marginal.coordinatorUs)}, workers ${us(r.marginal.workersUs)} ` +
      `(against ${((1e6 * r.chunk1ms) / r.samplesPerSecondPerThread).toFixed(0)} µs of kernel time per 1 ms chunk)`,
    `  default verification, 1 ms chunks (1 run): ${r.defaults.ms.toFixed(0)} ms vs bare ${r.defaults.bareMs.toFixed(0)} ms = ` +
      `${(r.defaults.ms / r.defaults.bareMs).toFixed(3)}, cpu ${r.defaults.cpuRatio.toFixed(3)} (${r.defaults.chunksVerified} chunks verified)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  // --run-ms=2000 sizes N by time as the benches of earlier sessions did (~16.8 G points at 4.2 G samples/s a thread).
  const runMsArg = process.argv.find((a) => a.startsWith('--run-ms='));
  // Coordinator settings to compare (e.g. PIGRID_BENCH_SPAN_TARGET_MS=50 against the default): passed to its cluster.
  const prefetch = process.env.PIGRID_BENCH_PREFETCH;
  const spanTarget = process.env.PIGRID_BENCH_SPAN_TARGET_MS;
  runChunkOverheadBench({
    ...(quick ? { runMs: 1200, rounds: 2 } : {}),
    ...(runMsArg ? { runMs: Number(runMsArg.slice('--run-ms='.length)) } : {}),
    coordinatorEnv: {
      ...(prefetch ? { PIGRID_PREFETCH: prefetch } : {}),
      ...(spanTarget ? { PIGRID_SPAN_TARGET_MS: spanTarget } : {}),
    },
    log: (l) => process.stderr.write(`${l}\n`),
  })
    .then((r) => process.stdout.write(`${formatChunkOverheadBench(r)}\n`))
    .catch((err: Error) => {
      process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
}
