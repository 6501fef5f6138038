/**
 * The worker's pool path with leases of several chunks (spans), without the coordinator: 1 ms chunks fed to a
 * ChunkRunner on a 2-thread pool as single-chunk leases and as spans, the way a worker holds them (completed leases
 * replaced together at the next turn, as leases answering one batch of results would arrive). Each variant runs in
 * this process on its own pool, alternated round by round with the bare kernel (one long task per thread), and is
 * read as CPU: the whole process (`process.cpuUsage`) and the main thread alone (`/proc/self/task/<pid>/schedstat`,
 * nanoseconds), per chunk beyond the bare kernel's CPU for the same points.
 *
 *   node dist/bench/span-runner-bench.js [--rounds 6] [--ms 2000] [--span 50] [--before /work/main/dist] [--before-spans]
 *     [--no-spans] [--no-singles]
 *
 * `--before <dist>` adds that build's runner fed single leases (it may not know spans), for a before/after comparison
 * in the same minutes; with `--before-spans` also fed spans (a build that knows them). `--no-singles` and `--no-spans`
 * leave out the variants fed single leases and spans.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChunkRunner } from '../kernel/pool/chunk-runner.js';
import type { KernelPool } from '../kernel/pool/kernel-pool.js';
import { kernelSpeed, timeRunner } from './chunk-overhead-bench.js';
import { summarize } from './stats.js';

interface Build {
  readonly ChunkRunner: new (pool: KernelPool) => Pick<ChunkRunner, 'enqueue'>;
  readonly createKernelPool: (threads: number) => KernelPool;
}

async function loadBuild(dist: string): Promise<Build> {
  const runner = (await import(pathToFileURL(join(dist, 'kernel/pool/chunk-runner.js')).href)) as Pick<Build, 'ChunkRunner'>;
  const pool = (await import(pathToFileURL(join(dist, 'kernel/pool/kernel-pool.js')).href)) as Pick<Build, 'createKernelPool'>;
  return { ChunkRunner: runner.ChunkRunner, createKernelPool: pool.createKernelPool };
}

const THREADS = 2;
/** Single-chunk leases held per thread: the running one plus the coordinator's prefetch cap (as in chunk-overhead-bench). */
const SINGLES_PER_THREAD = 17;
/** Spans held per thread. */
const SPANS_PER_THREAD = 2;

/** CPU seconds of the main thread: the first field of its /proc schedstat, nanoseconds on the CPU. */
function mainThreadCpuS(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
}

const processCpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** A pool that counts the pool tasks (runs) posted to it. */
function counted(pool: KernelPool): { pool: KernelPool; tasks: () => number } {
  let tasks = 0;
  return {
    pool: {
      ...pool,
      threads: pool.threads,
      tasksPerThread: pool.tasksPerThread,
      chunksPerTask: pool.chunksPerTask,
      start: (run) => {
        tasks++;
        return pool.start(run);
      },
    },
    tasks: () => tasks,
  };
}

interface Sample {
  readonly ms: number;
  readonly cpuS: number;
  readonly mainS: number;
  readonly tasks: number;
}

async function measure(run: () => Promise<void>, tasks: () => number = () => 0): Promise<Sample> {
  const t0 = performance.now();
  const c0 = processCpuS();
  const m0 = mainThreadCpuS();
  const k0 = tasks();
  await run();
  return { ms: performance.now() - t0, cpuS: processCpuS() - c0, mainS: mainThreadCpuS() - m0, tasks: tasks() - k0 };
}

/** The same points as long tasks, one lane per thread (pieces of at most 10^9 points: the kernel's limit is 2^32 - 1). */
async function bareKernel(pool: KernelPool, points: number, seed: number): Promise<void> {
  let index = 1_000_000;
  const lane = async (share: number) => {
    for (let left = share; left > 0; left -= 1e9) await pool.run({ seed: String(seed), chunkIndex: index++, points: Math.min(left, 1e9) });
  };
  await Promise.all([lane(Math.ceil(points / 2)), lane(Math.floor(points / 2))]);
}

/** Points one thread computes in about 1 ms of CPU (the chunk-overhead bench's measure of the kernel's speed). */
const oneMsChunk = (): number => Math.round(kernelSpeed() / 1000);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '6'));
  const runMs = Number(arg('ms', '2000'));
  const spanChunks = Number(arg('span', '50'));
  const beforeDist = process.argv.includes('--before') ? resolve(arg('before', '')) : undefined;
  const after = await loadBuild(fileURLToPath(new URL('..', import.meta.url)));
  const chunk = oneMsChunk();
  const chunks = runMs * THREADS - ((runMs * THREADS) % spanChunks);
  const points = chunk * chunks;
  console.log(`1 ms chunk = ${(chunk / 1e6).toFixed(2)} M points; ${chunks} chunks per run; spans of ${spanChunks}; ${rounds} rounds`);

  const bare = after.createKernelPool(THREADS);
  const variants: { name: string; pool: KernelPool; run: (seed: number) => Promise<void>; tasks: () => number }[] = [];
  const add = (name: string, build: Build, perLease: number, held: number) => {
    const real = build.createKernelPool(THREADS);
    const { pool, tasks } = counted(real);
    const runner = new build.ChunkRunner(pool);
    variants.push({
      name,
      pool: real,
      run: async (seed) => {
        await timeRunner(runner, chunks * chunk, chunk, held, seed, perLease);
      },
      tasks,
    });
  };
  const singles = !process.argv.includes('--no-singles');
  const spans = !process.argv.includes('--no-spans');
  const before = beforeDist ? await loadBuild(beforeDist) : undefined;
  if (before && singles) add('before: single leases', before, 1, THREADS * SINGLES_PER_THREAD);
  if (before && spans && process.argv.includes('--before-spans')) {
    add(`before: spans of ${spanChunks}`, before, spanChunks, THREADS * SPANS_PER_THREAD);
  }
  if (singles) add('after: single leases', after, 1, THREADS * SINGLES_PER_THREAD);
  if (spans) add(`after: spans of ${spanChunks}`, after, spanChunks, THREADS * SPANS_PER_THREAD);
  try {
    // Warm every pool (threads started, kernels JIT-compiled) before measuring.
    await Promise.all(
      [bare, ...variants.map((v) => v.pool)].map((p) =>
        Promise.all([0, 1].map((i) => p.run({ seed: '3', chunkIndex: i, points: chunk * 50 }))),
      ),
    );
    const bareS: Sample[] = [];
    const byVariant = variants.map(() => [] as Sample[]);
    for (let r = 0; r < rounds; r++) {
      const seed = 100 + r;
      bareS.push(await measure(() => bareKernel(bare, points, seed)));
      // Rotate the order each round so drift on the shared machine hits every variant alike.
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        byVariant[i].push(await measure(() => variants[i].run(seed), variants[i].tasks));
      }
      console.log(
        `round ${r + 1}: bare ${bareS[r].ms.toFixed(0)} ms cpu ${bareS[r].cpuS.toFixed(2)} s; ` +
          variants.map((v, i) => `${v.name} ${byVariant[i][r].ms.toFixed(0)} ms cpu ${byVariant[i][r].cpuS.toFixed(2)} s`).join('; '),
      );
    }
    const fmt = (xs: number[], digits = 0) => {
      const s = summarize(xs);
      return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
    };
    console.log('per chunk, median (min-max) over rounds; "beyond bare" = (process CPU - bare kernel CPU in the same round) / chunks');
    variants.forEach((v, i) => {
      const xs = byVariant[i];
      console.log(
        `  ${v.name.padEnd(24)} cpu/bare ${fmt(
          xs.map((x, r) => x.cpuS / bareS[r].cpuS),
          3,
        )}  beyond bare ${fmt(xs.map((x, r) => ((x.cpuS - bareS[r].cpuS) / chunks) * 1e6))} µs` +
          `  main thread ${fmt(
            xs.map((x) => (x.mainS / chunks) * 1e6),
            1,
          )} µs` +
          `  other threads beyond bare ${fmt(xs.map((x, r) => ((x.cpuS - x.mainS - (bareS[r].cpuS - bareS[r].mainS)) / chunks) * 1e6))} µs` +
          `  chunks/task ${fmt(
            xs.map((x) => chunks / x.tasks),
            1,
          )}  wall/bare ${fmt(
            xs.map((x, r) => x.ms / bareS[r].ms),
            3,
          )}`,
      );
    });
  } finally {
    await Promise.all([bare, ...variants.map((v) => v.pool)].map((p) => p.destroy()));
  }
}

await main();
