/**
 * Native kernel benchmark: samples per second per thread of every exact kernel (native AVX-512,
 * native AVX2, WebAssembly SIMD128, plain JS) next to a plain C ceiling loop doing the same work
 * at the same vector width (bench/ceiling/ceiling.c, compiled here with -O3 -march=native), the
 * 2-thread scaling of the native and WebAssembly kernels, and each as a fraction of the fastest.
 *
 *   node dist/bench/native-kernel-bench.js        prints a table (about a minute)
 *   import { runNativeKernelBench } from './native-kernel-bench.js'
 *
 * Every figure comes from fresh processes: each round starts one process per kernel, in an order
 * rotated from round to round (so a slow phase of the machine does not land on one kernel), and
 * each process reports the median of its timed runs after warm-up. A kernel's figure is the
 * median over rounds, with the min-max of the per-process medians as its spread. Rates use wall
 * time; the cpu-time column uses the thread's CPU time instead, which exposes a machine shared
 * with other work.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { appRoot } from '../shared/paths.js';
import { countInside, warmUp } from '../kernel/index.js';
import { countInsideJs } from '../kernel/js-integer-kernel.js';
import type { CountInside } from '../kernel/stream-spec.js';
import { createNativeCountInside, nativeAvailability, runnableNativeLoops } from '../native/native-kernel.js';

/** Options of {@link runNativeKernelBench}; all optional. */
export interface NativeKernelBenchOptions {
  /** Rounds (fresh processes per kernel). @default 5 */
  readonly rounds?: number;
  /** Timed runs per process. @default 3 */
  readonly runsPerProcess?: number;
  /** Target duration of one timed run, milliseconds. @default 300 */
  readonly runMs?: number;
  /** Rounds of the 1-vs-2-thread comparison. @default 4 */
  readonly threadRounds?: number;
  /** Progress lines (e.g. console.error). @default no output */
  readonly log?: (line: string) => void;
}

/** A rate's distribution over processes, samples per second. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** One kernel's figures. */
export interface KernelRow {
  readonly name: string;
  /** Vector width in bits (0 for plain JS). */
  readonly width: number;
  readonly wall: Spread;
  readonly cpu: Spread;
  /** wall.median / the fastest wall median. */
  readonly ofFastest: number;
  /** cpu.median / the fastest cpu-time median (steadier than wall time on a shared machine). */
  readonly ofFastestCpu: number;
}

/** Everything {@link runNativeKernelBench} measured. */
export interface NativeKernelBenchResult {
  readonly machine: {
    readonly cpuModel: string;
    readonly cpus: number;
    readonly node: string;
    readonly loadAverage1m: number;
    readonly isas: string;
  };
  readonly rows: readonly KernelRow[];
  /** Kernels that were not measured, with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** Native kernel / C ceiling of the same width, per ISA: medians of wall rates and of cpu-time rates. */
  readonly ofCeiling: Readonly<Record<string, { readonly wall: number; readonly cpu: number }>>;
  /** Fastest native kernel / WebAssembly: medians of wall rates and of cpu-time rates. */
  readonly nativeOverWasm?: { readonly wall: number; readonly cpu: number };
  /** Two threads' aggregate / one thread, per kernel (median over rounds, with spread). */
  readonly scaling: readonly { readonly name: string; readonly ratio: Spread; readonly oneThread: number; readonly twoThreads: number }[];
}

type KernelId = 'native-avx512' | 'native-avx2' | 'wasm' | 'js';
const WIDTH: Record<string, number> = {
  'native-avx512': 512,
  'native-avx2': 256,
  wasm: 128,
  js: 0,
  'c-ceiling-avx512': 512,
  'c-ceiling-avx2': 256,
};

// ---- child processes and threads --------------------------------------------------------------

function kernelFor(id: KernelId): CountInside {
  switch (id) {
    case 'native-avx512':
      return createNativeCountInside('avx512');
    case 'native-avx2':
      return createNativeCountInside('avx2');
    case 'wasm':
      warmUp();
      return countInside;
    case 'js':
      return countInsideJs;
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = (s.length - 1) / 2;
  return (s[Math.floor(mid)] + s[Math.ceil(mid)]) / 2;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** In a fresh process: warm up, calibrate to ~runMs, time `runs` runs; prints {wall, cpu, check}. */
function childMain(id: KernelId, runMs: number, runs: number): void {
  const count = kernelFor(id);
  for (let i = 0; i < 300; i++) count(BigInt(i), i, 17 + (i % 64)); // PERF-NOTES: many tiny calls first
  const check = count(7n, 3, 1 << 24);
  let points = 1 << 16;
  let dt = 0;
  for (;;) {
    const t0 = performance.now();
    count(1n, 0, points);
    dt = (performance.now() - t0) / 1000;
    if (dt >= 0.05 || points >= 2 ** 31) break;
    points *= 2;
  }
  points = Math.min(4_294_967_280, Math.max(16, Math.round((points * runMs) / 1000 / dt / 16) * 16));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    count(2n + BigInt(run), run, points);
    wall.push(points / ((performance.now() - t0) / 1000));
    cpu.push(points / Math.max(cpuSeconds() - c0, 1e-9));
  }
  process.stdout.write(`${JSON.stringify({ wall, cpu, check })}\n`);
}

const THREAD_ROLE = 'native-kernel-bench-thread';
interface ThreadJob {
  readonly points: number;
  readonly chunks: number;
  readonly firstChunk: number;
}

function threadMain(id: KernelId): void {
  const count = kernelFor(id);
  for (let i = 0; i < 300; i++) count(BigInt(i), i, 17 + (i % 64));
  parentPort!.on('message', (job: ThreadJob | 'exit') => {
    if (job === 'exit') {
      parentPort!.close();
      return;
    }
    const t0 = performance.now();
    for (let c = 0; c < job.chunks; c++) count(9n, job.firstChunk + c, job.points);
    parentPort!.postMessage((performance.now() - t0) / 1000);
  });
  parentPort!.postMessage('ready');
}

/** In a fresh process: one thread alone, then two at once, `rounds` times; prints {one, two}. */
async function scalingChildMain(id: KernelId, rounds: number, runMs: number): Promise<void> {
  const start = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { role: THREAD_ROLE, id } });
      w.once('error', reject);
      w.once('message', () => resolve(w));
    });
  const runOn = (w: Worker, job: ThreadJob): Promise<number> =>
    new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(job);
    });
  const workers = await Promise.all([start(), start()]);
  const points = 1 << 24;
  const probe = await runOn(workers[0], { points, chunks: 4, firstChunk: 0 });
  const chunks = Math.max(2, Math.round((((4 * points) / probe) * (runMs / 1000)) / points));
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push((chunks * points) / (await runOn(workers[0], { points, chunks, firstChunk: 100 })));
    const both = await Promise.all(workers.map((w, i) => runOn(w, { points, chunks, firstChunk: 200 + i * chunks })));
    two.push((2 * chunks * points) / Math.max(...both));
  }
  for (const w of workers) w.postMessage('exit');
  await Promise.all(workers.map((w) => w.terminate()));
  process.stdout.write(`${JSON.stringify({ one, two })}\n`);
}

// ---- the parent ---------------------------------------------------------------------------------

interface ProcessFigures {
  readonly wall: number[];
  readonly cpu: number[];
  readonly check: number;
}

function runProcess(command: string, args: readonly string[]): ProcessFigures {
  const out = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${out.status ?? out.signal}): ${out.stderr.trim()}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as ProcessFigures;
}

/** Compiles the C ceiling for each width this CPU runs; returns the binaries (and why others are missing). */
function buildCeilings(dir: string, isas: readonly string[], skipped: Array<{ name: string; reason: string }>): Map<string, string> {
  const source = join(appRoot(), 'bench', 'ceiling', 'ceiling.c');
  const built = new Map<string, string>();
  for (const isa of ['avx512', 'avx2']) {
    const name = `c-ceiling-${isa}`;
    if (!isas.includes(isa)) {
      skipped.push({ name, reason: `this CPU cannot run ${isa}` });
      continue;
    }
    const binary = join(dir, name);
    const flags = ['-O3', '-march=native', `-DWIDTH=${isa === 'avx512' ? 512 : 256}`, '-o', binary, source];
    const cc = spawnSync(process.env.CC || 'cc', flags, { encoding: 'utf8' });
    if (cc.status !== 0 || !existsSync(binary))
      skipped.push({ name, reason: `cc failed: ${(cc.stderr || String(cc.error)).trim().split('\n')[0]}` });
    else built.set(name, binary);
  }
  return built;
}

/** Runs the benchmark (see {@link NativeKernelBenchOptions}). */
export async function runNativeKernelBench(options: NativeKernelBenchOptions = {}): Promise<NativeKernelBenchResult> {
  const rounds = options.rounds ?? 5;
  const runs = options.runsPerProcess ?? 3;
  const runMs = options.runMs ?? 300;
  const threadRounds = options.threadRounds ?? 4;
  const log = options.log ?? ((): void => {});
  const problems = [
    Number.isInteger(rounds) && rounds >= 1 ? '' : `rounds must be a positive integer (got ${rounds})`,
    Number.isInteger(runs) && runs >= 1 ? '' : `runsPerProcess must be a positive integer (got ${runs})`,
    runMs > 0 && Number.isFinite(runMs) ? '' : `runMs must be a positive number of milliseconds (got ${runMs})`,
    Number.isInteger(threadRounds) && threadRounds >= 1 ? '' : `threadRounds must be a positive integer (got ${threadRounds})`,
  ].filter(Boolean);
  if (problems.length > 0) throw new RangeError(`invalid native kernel bench options: ${problems.join('; ')}`);

  const self = fileURLToPath(import.meta.url);
  const loops = runnableNativeLoops();
  const available = nativeAvailability();
  const skipped: Array<{ name: string; reason: string }> = [];
  const kernels: KernelId[] = [];
  for (const isa of ['avx512', 'avx2'] as const) {
    if (loops.includes(isa)) kernels.push(`native-${isa}`);
    else skipped.push({ name: `native-${isa}`, reason: available.available ? `this CPU cannot run ${isa}` : available.problem });
  }
  kernels.push('wasm', 'js');
  const scratch = mkdtempSync(join(tmpdir(), 'pigrid-ceiling-'));
  try {
    const ceilings = buildCeilings(scratch, loops, skipped);
    const jobs: Array<{ name: string; run: () => ProcessFigures }> = [
      ...[...ceilings].map(([name, binary]) => ({ name, run: () => runProcess(binary, [String(runMs), String(runs)]) })),
      ...kernels.map((id) => ({ name: id, run: () => runProcess(process.execPath, [self, '--child', id, String(runMs), String(runs)]) })),
    ];
    const perKernel = new Map<string, { wall: number[]; cpu: number[]; checks: Set<number> }>(
      jobs.map((j) => [j.name, { wall: [], cpu: [], checks: new Set() }]),
    );
    for (let round = 0; round < rounds; round++) {
      const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]);
      for (const job of order) {
        const f = job.run();
        const entry = perKernel.get(job.name)!;
        entry.wall.push(median(f.wall));
        entry.cpu.push(median(f.cpu));
        entry.checks.add(f.check);
      }
      log(`  round ${round + 1}/${rounds}: ${order.map((j) => `${j.name} ${fmt(perKernel.get(j.name)!.wall.at(-1)!)}`).join(', ')}`);
    }
    // Every process counted chunk (7, 3, 2^24): one value across kernels and the ceilings.
    const checks = new Set([...perKernel.values()].flatMap((e) => [...e.checks]));
    if (checks.size !== 1)
      throw new Error(
        `kernels disagree on countInside(7, 3, 2^24): ${[...perKernel].map(([n, e]) => `${n} ${[...e.checks].join('/')}`).join(', ')}`,
      );

    const fastest = Math.max(...[...perKernel.values()].map((e) => median(e.wall)));
    const fastestCpu = Math.max(...[...perKernel.values()].map((e) => median(e.cpu)));
    const rows = [...perKernel]
      .map(([name, e]) => ({
        name,
        width: WIDTH[name] ?? 0,
        wall: spread(e.wall),
        cpu: spread(e.cpu),
        ofFastest: median(e.wall) / fastest,
        ofFastestCpu: median(e.cpu) / fastestCpu,
      }))
      .sort((a, b) => b.wall.median - a.wall.median);
    const row = (name: string): KernelRow | undefined => rows.find((r) => r.name === name);
    const ratio = (a: KernelRow, b: KernelRow): { wall: number; cpu: number } => ({
      wall: a.wall.median / b.wall.median,
      cpu: a.cpu.median / b.cpu.median,
    });
    const ofCeiling: Record<string, { wall: number; cpu: number }> = {};
    for (const isa of ['avx512', 'avx2']) {
      const n = row(`native-${isa}`);
      const c = row(`c-ceiling-${isa}`);
      if (n && c) ofCeiling[isa] = ratio(n, c);
    }
    const best = kernels.find((k) => k.startsWith('native-'));
    const nativeOverWasm = best ? ratio(row(best)!, row('wasm')!) : undefined;

    const scaling = [];
    for (const id of [...(best ? [best] : []), 'wasm'] as KernelId[]) {
      const out = spawnSync(process.execPath, [self, '--scaling', id, String(threadRounds), String(runMs)], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`scaling run of ${id} failed: ${out.stderr.trim()}`);
      const { one, two } = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { one: number[]; two: number[] };
      scaling.push({ name: id, ratio: spread(one.map((o, i) => two[i] / o)), oneThread: median(one), twoThreads: median(two) });
      log(`  threads ${id}: 1 thread ${fmt(median(one))}, 2 threads ${fmt(median(two))}`);
    }
    const cpu = cpus();
    const f = available.available ? available.features : undefined;
    const isas = f ? ['avx2', 'avx512f', 'avx512bw'].filter((k) => f[k as keyof typeof f]).join(' ') || 'none' : 'unknown (no addon)';
    return {
      machine: { cpuModel: cpu[0]?.model ?? 'unknown', cpus: cpu.length, node: process.version, loadAverage1m: loadavg()[0], isas },
      rows,
      skipped,
      ofCeiling,
      nativeOverWasm,
      scaling,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function fmt(rate: number): string {
  return rate >= 1e9 ? `${(rate / 1e9).toFixed(2)} G/s` : `${(rate / 1e6).toFixed(0)} M/s`;
}

/** The result as a plain-text table. */
export function formatNativeKernelBench(r: NativeKernelBenchResult): string {
  const m = r.machine;
  const lines = [
    `native kernel bench | ${m.cpuModel} (${m.isas}), ${m.cpus} CPUs, node ${m.node}, load ${m.loadAverage1m.toFixed(2)}`,
    `samples/s per thread over wall time and over the thread's CPU time; median over fresh processes (n), min-max of the per-process medians`,
    '',
    `${'kernel'.padEnd(18)} ${'bits'.padStart(4)} ${'median'.padStart(10)} ${'min-max'.padStart(21)} ${'of fastest'.padStart(10)} ${'cpu-time'.padStart(10)} ${'min-max'.padStart(21)} ${'of fastest'.padStart(10)}  n`,
  ];
  for (const row of r.rows) {
    const range = (s: Spread): string => `${fmt(s.min)}-${fmt(s.max)}`;
    lines.push(
      `${row.name.padEnd(18)} ${String(row.width || '-').padStart(4)} ${fmt(row.wall.median).padStart(10)} ${range(row.wall).padStart(21)} ${row.ofFastest.toFixed(3).padStart(10)} ` +
        `${fmt(row.cpu.median).padStart(10)} ${range(row.cpu).padStart(21)} ${row.ofFastestCpu.toFixed(3).padStart(10)}  ${row.wall.n}`,
    );
  }
  for (const s of r.skipped) lines.push(`${s.name.padEnd(18)} not measured: ${s.reason}`);
  lines.push('');
  for (const [isa, f] of Object.entries(r.ofCeiling))
    lines.push(`native ${isa} / C ceiling ${isa} (same work, same width): ${f.wall.toFixed(3)} wall, ${f.cpu.toFixed(3)} cpu-time`);
  if (r.nativeOverWasm)
    lines.push(`fastest native / WebAssembly: ${r.nativeOverWasm.wall.toFixed(2)}x wall, ${r.nativeOverWasm.cpu.toFixed(2)}x cpu-time`);
  for (const s of r.scaling) {
    lines.push(
      `${s.name}: 1 thread ${fmt(s.oneThread)}, 2 threads ${fmt(s.twoThreads)}, ratio ${s.ratio.median.toFixed(2)}x (${s.ratio.min.toFixed(2)}-${s.ratio.max.toFixed(2)}, n=${s.ratio.n})`,
    );
  }
  return lines.join('\n');
}

const args = process.argv.slice(2);
if (!isMainThread && (workerData as { role?: string } | null)?.role === THREAD_ROLE) {
  threadMain((workerData as { id: KernelId }).id);
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (args[0] === '--child') {
    childMain(args[1] as KernelId, Number(args[2]), Number(args[3]));
  } else if (args[0] === '--scaling') {
    await scalingChildMain(args[1] as KernelId, Number(args[2]), Number(args[3]));
  } else {
    const result = await runNativeKernelBench({ log: (line) => console.error(line) });
    console.log(formatNativeKernelBench(result));
  }
}
