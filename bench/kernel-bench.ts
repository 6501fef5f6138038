/**
 * Kernel benchmark: samples per second per thread for each kernel approach, and the
 * WebAssembly kernel on 1 vs 2 worker threads.
 *
 *   node dist/bench/kernel-bench.js            prints a table (about 30 s)
 *   import { runKernelBench } from './kernel-bench.js'   returns the figures
 *
 * Every figure is the median (with min/max and quartiles) of several timed runs of
 * `runMs` each, taken after warm-up. Rates use wall time; `cpuMedian` uses the process's CPU
 * time instead, which shows how much other load on the machine stole from the run.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { countInside, KERNEL_NAME, MAX_CHUNK_POINTS, warmUp } from '../kernel/index.js';
import { countInsideJs } from '../kernel/js-integer-kernel.js';
import { countInsideReference } from '../kernel/reference.js';
import { createWasmKernel } from '../kernel/wasm/wasm-kernel.js';
import { createXoshiroContrastKernel } from './xoshiro-contrast-kernel.js';

/** Options of {@link runKernelBench}; all optional. */
export interface KernelBenchOptions {
  /** Timed runs per approach. @default 7 */
  readonly runs?: number;
  /** Target duration of one timed run, milliseconds. @default 400 */
  readonly runMs?: number;
  /** Rounds of the 1-vs-2-thread comparison. @default 5 */
  readonly threadRounds?: number;
  /** Skip the thread comparison. @default false */
  readonly skipThreads?: boolean;
  /** Progress lines (e.g. console.error). @default no output */
  readonly log?: (line: string) => void;
}

/** Distribution of a rate over the timed runs, samples per second. */
export interface RateStats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly q3: number;
}

/** Figures for one approach. */
export interface ApproachFigures {
  readonly name: string;
  /** True when it computes pigrid's exact stream (identical counts to countInside). */
  readonly exact: boolean;
  readonly note: string;
  /** Wall-time rate per thread. */
  readonly samplesPerSecond: RateStats;
  /** Median rate over process CPU time (≈ wall rate on an idle machine). */
  readonly cpuMedian: number;
  readonly runs: number;
}

/** Everything {@link runKernelBench} measured. */
export interface KernelBenchResult {
  readonly kernel: string;
  readonly machine: { readonly cpuModel: string; readonly cpus: number; readonly node: string; readonly loadAverage1m: number };
  readonly approaches: readonly ApproachFigures[];
  /** WebAssembly kernel in worker threads; undefined when skipped. */
  readonly threads?: {
    readonly oneThread: RateStats;
    /** Aggregate rate of two threads. */
    readonly twoThreads: RateStats;
    /** Median over rounds of (two-thread aggregate / one-thread rate in the same round). */
    readonly ratio: number;
  };
}

type Counter = (seed: bigint, chunkIndex: number, points: number) => number;

interface Approach {
  readonly name: string;
  readonly exact: boolean;
  readonly note: string;
  readonly count: Counter;
}

/** Math.random contrast: float coordinates, not reproducible, not exact. */
function countMathRandom(_seed: bigint, _chunkIndex: number, points: number): number {
  let inside = 0;
  for (let i = 0; i < points; i++) {
    const x = Math.random();
    const y = Math.random();
    inside += x * x + y * y <= 1 ? 1 : 0;
  }
  return inside;
}

function approaches(): Approach[] {
  return [
    { name: 'wasm-simd128 sfc32 dot (countInside)', exact: true, note: KERNEL_NAME, count: countInside },
    {
      name: 'wasm-simd128 sfc32 mul',
      exact: true,
      note: 'same stream, i32x4.mul inside test',
      count: createWasmKernel({ insideTest: 'mul' }),
    },
    { name: 'wasm-simd128 xoshiro128++ dot', exact: false, note: 'contrast: another stream', count: createXoshiroContrastKernel() },
    { name: 'plain JS int32 sfc32', exact: true, note: 'fallback kernel', count: countInsideJs },
    { name: 'reference (BigInt test)', exact: true, note: 'obviously-correct spec', count: countInsideReference },
    { name: 'Math.random floats', exact: false, note: 'contrast: not reproducible', count: countMathRandom },
  ];
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function stats(rates: readonly number[]): RateStats {
  const s = [...rates].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

function timeCall(count: Counter, chunk: number, points: number): { wallS: number; cpuS: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  count(1n, chunk, points);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

function measureApproach(approach: Approach, runs: number, runMs: number): ApproachFigures {
  for (let i = 0; i < 300; i++) approach.count(BigInt(i), i, 17 + (i % 64));
  // Calibrate the points per run from a ~50 ms call, then warm up at full size once.
  let points = 1 << 16;
  while (timeCall(approach.count, 0, points).wallS < 0.05 && points < MAX_CHUNK_POINTS / 2) points *= 2;
  const rate = points / timeCall(approach.count, 0, points).wallS;
  points = Math.max(16, Math.min(MAX_CHUNK_POINTS, Math.round((rate * runMs) / 1000 / 16) * 16));
  timeCall(approach.count, 1, points);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const t = timeCall(approach.count, 2 + run, points);
    wall.push(points / t.wallS);
    cpu.push(points / Math.max(t.cpuS, 1e-9));
  }
  return {
    name: approach.name,
    exact: approach.exact,
    note: approach.note,
    samplesPerSecond: stats(wall),
    cpuMedian: stats(cpu).median,
    runs,
  };
}

// ---- worker threads ---------------------------------------------------------------------

const THREAD_ROLE = 'kernel-bench-thread';

interface ThreadJob {
  readonly chunks: number;
  readonly points: number;
  readonly firstChunk: number;
}
interface ThreadDone {
  readonly elapsedMs: number;
  readonly points: number;
}

function threadMain(): void {
  warmUp();
  countInside(1n, 0, 1 << 24);
  parentPort!.on('message', (job: ThreadJob | 'exit') => {
    if (job === 'exit') {
      parentPort!.close();
      return;
    }
    const t0 = performance.now();
    for (let c = 0; c < job.chunks; c++) countInside(7n, job.firstChunk + c, job.points);
    parentPort!.postMessage({ elapsedMs: performance.now() - t0, points: job.chunks * job.points } satisfies ThreadDone);
  });
  parentPort!.postMessage('ready');
}

function startThread(): Promise<Worker> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: THREAD_ROLE } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve(worker));
  });
}

function runOn(worker: Worker, job: ThreadJob): Promise<ThreadDone> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(job);
  });
}

async function measureThreads(rounds: number, runMs: number, log: (line: string) => void): Promise<KernelBenchResult['threads']> {
  const workers = await Promise.all([startThread(), startThread()]);
  try {
    const probe = await runOn(workers[0], { chunks: 4, points: 1 << 24, firstChunk: 0 });
    const rate = probe.points / (probe.elapsedMs / 1000);
    const chunks = Math.max(2, Math.round((rate * runMs) / 1000 / (1 << 24)));
    const one: number[] = [];
    const two: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const single = await runOn(workers[0], { chunks, points: 1 << 24, firstChunk: 100 });
      const both = await Promise.all(workers.map((w, i) => runOn(w, { chunks, points: 1 << 24, firstChunk: 200 + i * chunks })));
      const oneRate = single.points / (single.elapsedMs / 1000);
      const twoRate = (both[0].points + both[1].points) / (Math.max(both[0].elapsedMs, both[1].elapsedMs) / 1000);
      one.push(oneRate);
      two.push(twoRate);
      ratios.push(twoRate / oneRate);
      log(`  threads round ${round + 1}/${rounds}: 1 thread ${fmt(oneRate)}, 2 threads ${fmt(twoRate)}`);
    }
    return { oneThread: stats(one), twoThreads: stats(two), ratio: stats(ratios).median };
  } finally {
    for (const w of workers) w.postMessage('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---- entry points -----------------------------------------------------------------------

function fmt(rate: number): string {
  return rate >= 1e9 ? `${(rate / 1e9).toFixed(2)} G/s` : `${(rate / 1e6).toFixed(1)} M/s`;
}

/** Runs the benchmark and returns the figures (see {@link KernelBenchOptions}). */
export async function runKernelBench(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const runs = options.runs ?? 7;
  const runMs = options.runMs ?? 400;
  const threadRounds = options.threadRounds ?? 5;
  const log = options.log ?? ((): void => {});
  const problems = [
    Number.isInteger(runs) && runs >= 1 ? '' : `runs must be a positive integer (got ${runs})`,
    runMs > 0 && Number.isFinite(runMs) ? '' : `runMs must be a positive number of milliseconds (got ${runMs})`,
    Number.isInteger(threadRounds) && threadRounds >= 1 ? '' : `threadRounds must be a positive integer (got ${threadRounds})`,
  ].filter(Boolean);
  if (problems.length > 0) throw new RangeError(`invalid kernel bench options: ${problems.join('; ')}`);
  warmUp();
  const figures: ApproachFigures[] = [];
  for (const approach of approaches()) {
    const f = measureApproach(approach, runs, runMs);
    log(`  ${approach.name}: median ${fmt(f.samplesPerSecond.median)}`);
    figures.push(f);
  }
  const threads = options.skipThreads ? undefined : await measureThreads(threadRounds, runMs, log);
  const cpu = cpus();
  return {
    kernel: KERNEL_NAME,
    machine: { cpuModel: cpu[0]?.model ?? 'unknown', cpus: cpu.length, node: process.version, loadAverage1m: loadavg()[0] },
    approaches: figures,
    threads,
  };
}

/** The result as a plain-text table. */
export function formatKernelBench(result: KernelBenchResult): string {
  const lines = [
    `kernel ${result.kernel} | ${result.machine.cpuModel}, ${result.machine.cpus} CPUs, node ${result.machine.node}, load ${result.machine.loadAverage1m.toFixed(2)}`,
    '',
    `${'approach'.padEnd(40)} ${'exact'.padEnd(5)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)} ${'IQR'.padStart(21)} ${'cpu-time'.padStart(10)}`,
  ];
  for (const a of result.approaches) {
    const s = a.samplesPerSecond;
    lines.push(
      `${a.name.padEnd(40)} ${(a.exact ? 'yes' : 'no').padEnd(5)} ${fmt(s.median).padStart(10)} ${fmt(s.min).padStart(10)} ${fmt(s.max).padStart(10)} ${`${fmt(s.q1)}-${fmt(s.q3)}`.padStart(21)} ${fmt(a.cpuMedian).padStart(10)}`,
    );
  }
  if (result.threads) {
    const t = result.threads;
    lines.push(
      '',
      `WebAssembly kernel in worker threads: 1 thread ${fmt(t.oneThread.median)} (${fmt(t.oneThread.min)}-${fmt(t.oneThread.max)}), ` +
        `2 threads ${fmt(t.twoThreads.median)} (${fmt(t.twoThreads.min)}-${fmt(t.twoThreads.max)}), ratio ${t.ratio.toFixed(2)}x`,
    );
  }
  return lines.join('\n');
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === THREAD_ROLE) {
  threadMain();
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runKernelBench({ log: (line) => console.error(line) });
  console.log(formatKernelBench(result));
}
