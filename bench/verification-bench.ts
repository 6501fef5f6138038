/**
 * What verification costs, in one run: the same distributed calculation on two identical local clusters (2 workers
 * x 1 thread each), one with verification off (PIGRID_VERIFY_RATE=0, PIGRID_VERIFY_FIRST=0) and one with the
 * defaults, alternated so drift hits both alike. Prints wall time of each, their ratio, and the extra kernel work
 * (verification leases / chunks). Both clusters first run a warm-up calculation, so the defaults' "first results of
 * a new worker are always checked" is paid before the measured runs (it is paid once per worker process).
 */
import { startCluster, startWorker, type Cluster } from '../harness/cluster.js';
import { startHostileWorker } from '../harness/hostile-worker.js';
import { startProcess, stopAll, tempDbPath } from '../harness/processes.js';
import { http, submit, waitDone } from '../harness/rest.js';
import { summarize, type Summary } from './stats.js';

export interface VerificationBenchOptions {
  /** Points per measured calculation. @default 20e9 */
  readonly points: number;
  /** Points per chunk. @default 250e6 */
  readonly chunkSize: number;
  /** Alternated runs of each configuration. @default 3 */
  readonly runs: number;
}

export interface VerificationBenchResult {
  readonly off: Summary;
  readonly on: Summary;
  /** on / off wall time (medians). */
  readonly ratio: number;
  /** Verification leases granted per chunk, over the measured runs of the cluster with verification on. */
  readonly extraWork: number;
  /** Chunks of the measured runs that a second computation confirmed (cluster with verification on). */
  readonly chunksVerified: number;
  readonly chunks: number;
  /** The two clusters computed the same hit counts. */
  readonly identical: boolean;
}

async function metric(cluster: Cluster, name: string): Promise<number> {
  const text = (await http(`http://${cluster.coordinator.ready.metrics}/metrics`)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

export async function runVerificationBench(opts: Partial<VerificationBenchOptions> = {}): Promise<VerificationBenchResult> {
  const o: VerificationBenchOptions = { points: 20e9, chunkSize: 250e6, runs: 3, ...opts };
  const common = { workers: 2, workerThreads: 1, coordinatorThreads: 1 };
  try {
    const off = await startCluster({
      ...common,
      coordinatorEnv: { PIGRID_METRICS_PORT: '0', PIGRID_VERIFY_RATE: '0', PIGRID_VERIFY_FIRST: '0' },
    });
    const on = await startCluster({ ...common, coordinatorEnv: { PIGRID_METRICS_PORT: '0' } });
    const run = async (c: Cluster, seed: number) => {
      const calc = await waitDone(
        c.url,
        (await submit(c.url, { points: o.points, mode: 'distributed', seed, chunk_size: o.chunkSize })).id,
        600_000,
      );
      if (calc.status !== 'completed') throw new Error(`benchmark calculation ended ${calc.status}: ${calc.error}`);
      return calc;
    };
    const warm = { points: 8 * o.chunkSize, seed: 1 };
    for (const c of [off, on]) {
      const w = await waitDone(c.url, (await submit(c.url, { ...warm, mode: 'distributed', chunk_size: o.chunkSize })).id, 600_000);
      if (w.status !== 'completed') throw new Error(`warm-up ended ${w.status}`);
    }
    const verifyLeasesBefore = await metric(on, 'pigrid_leases_granted_total{kind="verify"}');
    const offMs: number[] = [];
    const onMs: number[] = [];
    let identical = true;
    let chunksVerified = 0;
    let chunks = 0;
    for (let i = 0; i < o.runs; i++) {
      const a = await run(off, 100 + i);
      const b = await run(on, 100 + i);
      offMs.push(a.duration_ms!);
      onMs.push(b.duration_ms!);
      identical &&= a.inside === b.inside;
      chunksVerified += b.chunks_verified;
      chunks += b.chunk_count;
    }
    const verifyLeases = (await metric(on, 'pigrid_leases_granted_total{kind="verify"}')) - verifyLeasesBefore;
    const offS = summarize(offMs);
    const onS = summarize(onMs);
    return { off: offS, on: onS, ratio: onS.median / offS.median, extraWork: verifyLeases / chunks, chunksVerified, chunks, identical };
  } finally {
    await stopAll();
  }
}

export interface DetectionRun {
  /** Milliseconds from the submit to the coordinator's "worker quarantined" line. */
  readonly ms: number;
  /** Results the lying worker had sent by then (its chunks until detection). */
  readonly liarResults: number;
  /** Wrong results among them. */
  readonly liarWrong: number;
  /** The calculation still ended with the exact count of mode=single. */
  readonly exact: boolean;
}

/**
 * How fast verification catches a lying worker at the default rate, through real processes: one real worker and one
 * worker from the test harness that is wrong on every result (`every` = 1) or on one result in `every`.
 */
export async function runDetectionBench(opts: { every: number; runs: number; chunks: number }): Promise<DetectionRun[]> {
  const out: DetectionRun[] = [];
  const chunk = 1_000_000;
  try {
    for (let i = 0; i < opts.runs; i++) {
      const real = await startWorker(`real-${i}`, 1);
      const behaviour = opts.every === 1 ? ({ kind: 'wrong', offset: 1 } as const) : ({ kind: 'wrong-every', every: opts.every } as const);
      const liar = await startHostileWorker({ workerId: `liar-${i}`, capacity: 1, behaviour });
      try {
        const coordinator = await startProcess('coordinator', 'coordinator', {
          PIGRID_GRPC_PORT: '0',
          PIGRID_DB_PATH: tempDbPath(),
          PIGRID_WORKERS: `${real.ready.grpc},${liar.address}`,
          PIGRID_THREADS: '1',
        });
        const gateway = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
        const url = gateway.ready.url;
        const body = { points: opts.chunks * chunk, seed: 900 + i, chunk_size: chunk };
        const single = await waitDone(url, (await submit(url, { ...body, mode: 'single' })).id, 600_000);
        const t0 = performance.now();
        const dist = await submit(url, { ...body, mode: 'distributed' });
        await coordinator.waitFor(/worker quarantined/, 600_000);
        const ms = performance.now() - t0;
        const at = { liarResults: liar.stats.results, liarWrong: liar.stats.wrong };
        const done = await waitDone(url, dist.id, 600_000);
        out.push({ ms, ...at, exact: done.inside === single.inside });
      } finally {
        await liar.close();
        await stopAll();
      }
    }
    return out;
  } finally {
    await stopAll();
  }
}
