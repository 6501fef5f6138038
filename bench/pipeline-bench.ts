/**
 * Benchmarks of the whole pipeline on this machine, through real processes on loopback:
 * - the same calculation in single and distributed mode, alternated, as a ratio in one run;
 * - chunks leased and committed per second (tiny chunks: scheduling and gRPC overhead dominate).
 * The REST API under load is bench/rest-bench.ts.
 */
import { startCluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';
import { submit, waitDone } from '../harness/rest.js';
import { summarize, type Summary } from './stats.js';

export interface PipelineBenchOptions {
  /** Points of the single vs distributed comparison. @default 20e9 */
  points: number;
  /** Alternated runs of each mode. @default 3 */
  runs: number;
  /** Workers (1 thread each) for distributed mode. @default 2 */
  workers: number;
}

export interface PipelineBenchResult {
  single: Summary;
  distributed: Summary;
  /** distributed / single wall time (medians); < 1 is faster. */
  ratio: number;
  singleSamplesPerSecond: number;
  distributedSamplesPerSecond: number;
  chunksPerSecond: Summary;
}

async function timeCalc(url: string, body: Record<string, unknown>): Promise<number> {
  const c = await submit(url, body);
  const done = await waitDone(url, c.id, 600_000);
  if (done.status !== 'completed') throw new Error(`benchmark calculation ended ${done.status}: ${done.error}`);
  return done.duration_ms as number;
}

export async function runPipelineBench(opts: Partial<PipelineBenchOptions> = {}): Promise<PipelineBenchResult> {
  const o: PipelineBenchOptions = { points: 20e9, runs: 3, workers: 2, ...opts };
  const cluster = await startCluster({ workers: o.workers, workerThreads: 1, coordinatorThreads: o.workers });
  try {
    const url = cluster.url;
    const chunk = 500_000_000;
    // Warm both paths once (JIT, thread start-up), then alternate so drift hits both modes alike.
    await timeCalc(url, { points: 4 * chunk, mode: 'single', seed: 1, chunk_size: chunk });
    await timeCalc(url, { points: 4 * chunk, mode: 'distributed', seed: 1, chunk_size: chunk });
    const single: number[] = [];
    const distributed: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      single.push(await timeCalc(url, { points: o.points, mode: 'single', seed: 100 + i, chunk_size: chunk }));
      distributed.push(await timeCalc(url, { points: o.points, mode: 'distributed', seed: 100 + i, chunk_size: chunk }));
    }
    const s = summarize(single);
    const d = summarize(distributed);

    const chunkRates: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const chunks = 20_000;
      const ms = await timeCalc(url, { points: chunks * 1000, mode: 'distributed', seed: 7 + i, chunk_size: 1000 });
      chunkRates.push(chunks / (ms / 1000));
    }

    return {
      single: s,
      distributed: d,
      ratio: d.median / s.median,
      singleSamplesPerSecond: o.points / (s.median / 1000),
      distributedSamplesPerSecond: o.points / (d.median / 1000),
      chunksPerSecond: summarize(chunkRates),
    };
  } finally {
    await stopAll();
  }
}
