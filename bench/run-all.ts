/**
 * `npm run bench`: every benchmark that prints figures, in one run.
 *  1. kernel throughput per thread for each kernel approach, and 1 vs 2 threads (bench/kernel-bench.ts);
 *  2. the pipeline through real processes: single vs distributed as a ratio, chunks leased per second;
 *  3. what verification costs: distributed with verification off vs the defaults, alternated in one run;
 *  4. dispatch: the coordinator against 2..1,000 simulated workers (chunks/s, CPU per chunk, RSS, GET latency);
 *  5. the native kernel (AVX-512/AVX2) against WebAssembly, plain JS and a C ceiling loop, in fresh processes,
 *     with 2-thread scaling (bench/native-kernel-bench.ts);
 *  6. the REST API under wrk (autocannon when wrk is not installed): GETs of ended and running calculations,
 *     /healthz, POSTs, with and without request logging, then 1,000 SSE clients on one calculation (bench/rest-bench.ts);
 *  7. per-chunk overhead: 1 ms and 10 ms chunks on 2 workers x 1 thread against the bare kernel on 2 threads,
 *     alternated in one run (bench/chunk-overhead-bench.ts).
 * Options: --quick (fewer and shorter runs, dispatch only up to 100 workers, 250 SSE clients), --skip-kernel,
 * --skip-pipeline, --skip-verification, --skip-dispatch, --skip-native, --skip-rest, --skip-small-chunks;
 * --dispatch-workers=2,1000 and --dispatch-chunks=50000 pick the dispatch pool sizes and run length;
 * --dispatch-spans=off runs the dispatch bench with chunk spans off (PIGRID_MAX_SPAN_CHUNKS=1), --dispatch-spans=on,off
 * both, alternated per pool size (default on).
 */
import { formatChunkOverheadBench, runChunkOverheadBench } from './chunk-overhead-bench.js';
import { formatKernelBench, runKernelBench } from './kernel-bench.js';
import { formatNativeKernelBench, runNativeKernelBench } from './native-kernel-bench.js';
import { runPipelineBench, type PipelineBenchResult } from './pipeline-bench.js';
import { formatRestBench, runRestBench } from './rest-bench.js';
import { runDispatchBench, type DispatchRun } from './dispatch-bench.js';
import { fmt, summarize, type Summary } from './stats.js';
import { runDetectionBench, runVerificationBench, type DetectionRun, type VerificationBenchResult } from './verification-bench.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const valueOf = (name: string) => [...args].find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
const dispatchWorkers = valueOf('--dispatch-workers')?.split(',').map(Number);
const dispatchChunks = Number(valueOf('--dispatch-chunks') ?? (quick ? 20_000 : 100_000));
const dispatchSpans = (valueOf('--dispatch-spans') ?? 'on').split(',').map((v) => {
  if (v !== 'on' && v !== 'off') throw new Error(`--dispatch-spans takes on, off or on,off; got ${v}`);
  return v;
});

/** Median and spread; durations in ms print as plain numbers, rates with k/M/G. */
const spread = (s: Summary, unit: string) => {
  const f = unit.trim() === 'ms' ? (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : (v: number) => fmt(v);
  return `median ${f(s.median)}${unit} (min ${f(s.min)}, max ${f(s.max)}, n=${s.n})`;
};

function formatPipeline(r: PipelineBenchResult, points: number): string {
  return [
    `pipeline (2 workers x 1 thread vs coordinator pool of 2 threads, ${fmt(points)} points, chunks of 500 M):`,
    `  single       ${spread(r.single, ' ms')}  -> ${fmt(r.singleSamplesPerSecond)} samples/s`,
    `  distributed  ${spread(r.distributed, ' ms')}  -> ${fmt(r.distributedSamplesPerSecond)} samples/s`,
    `  distributed / single wall time: ${r.ratio.toFixed(3)} (overhead of distribution ${((r.ratio - 1) * 100).toFixed(1)}%)`,
    `  chunks leased+committed per second (1000-point chunks): ${spread(r.chunksPerSecond, '/s')}`,
  ].join('\n');
}

function formatVerification(r: VerificationBenchResult, points: number): string {
  return [
    `verification (2 workers x 1 thread, ${fmt(points)} points, chunks of 250 M; off = PIGRID_VERIFY_RATE=0, on = defaults):`,
    `  off  ${spread(r.off, ' ms')}`,
    `  on   ${spread(r.on, ' ms')}`,
    `  on / off wall time: ${r.ratio.toFixed(3)}; extra kernel work: ${(r.extraWork * 100).toFixed(1)}% of chunks ` +
      `(${r.chunksVerified} of ${r.chunks} chunks verified); identical results: ${r.identical ? 'yes' : 'NO'}`,
  ].join('\n');
}

function formatDetection(label: string, runs: readonly DetectionRun[]): string {
  const ms = summarize(runs.map((r) => r.ms));
  const chunks = summarize(runs.map((r) => r.liarResults));
  const wrong = summarize(runs.map((r) => r.liarWrong));
  return (
    `  ${label}: quarantined after ${spread(ms, ' ms')}; its results until then ${spread(chunks, '')}, wrong ones ${spread(wrong, '')}; ` +
    `final result exact in ${runs.filter((r) => r.exact).length}/${runs.length} runs`
  );
}

/** ` (expired 12, worker_lost 3)` when chunks were released, else nothing. */
function releasedBy(r: DispatchRun): string {
  const parts = Object.entries(r.releasedBy).map(([reason, n]) => `${reason} ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function formatDispatch(runs: readonly DispatchRun[]): string {
  const rows = runs.map(
    (r) =>
      `  ${String(r.workers).padStart(5)}  ${(r.spans ? 'on' : 'off').padEnd(3)}  ${fmt(r.chunksPerSecond).padStart(9)}/s  ${fmt(r.leasesPerSecond).padStart(9)}/s  ${r.chunksPerLease.toFixed(1).padStart(6)}  ${r.cpuUsPerChunk.toFixed(0).padStart(6)} µs  ${(r.cpuShare * 100).toFixed(0).padStart(4)}%  ` +
      `${r.rssConnectedMb.toFixed(0).padStart(5)} → ${r.rssPeakMb.toFixed(0).padStart(4)} → ${r.rssEndMb.toFixed(0).padStart(4)} MB   p50 ${r.getMs.median.toFixed(1)} ms, p95 ${r.getMs.p95.toFixed(1)} ms, p99 ${r.getMs.p99.toFixed(1)} ms, max ${r.getMs.max.toFixed(1)} ms (first ${r.getFirstMs.toFixed(0)} ms; later p99 ${r.getLaterMs.p99.toFixed(1)}, max ${r.getLaterMs.max.toFixed(1)}; unknown id p50 ${r.getUnknownMs.median.toFixed(1)}, p99 ${r.getUnknownMs.p99.toFixed(1)}, max ${r.getUnknownMs.max.toFixed(1)}${r.getUnknownFailed > 0 ? `, ${r.getUnknownFailed} not 404` : ''})   ` +
      `sim ${r.simCpuUsPerChunk.toFixed(0)} µs/chunk, released ${r.chunksReleased}${releasedBy(r)}, backups ${r.backupLeases}`,
  );
  return [
    `dispatch (simulated workers answering at once, 1,000-point chunks, ${runs[0]?.chunks ?? 0} chunks per run, verification off):`,
    '  workers  spans  chunks/s    leases/s  chunks/lease  CPU/chunk  CPU   RSS connected → peak → end   GET /api/calculate/{id} during the run (the first one right after the submit)   simulator CPU, chunks released, backup leases',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  if (!args.has('--skip-kernel')) {
    const k = await runKernelBench(quick ? { runs: 3, runMs: 200, threadRounds: 2 } : { log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${formatKernelBench(k)}\n\n`);
  }
  if (!args.has('--skip-pipeline')) {
    const points = quick ? 4e9 : 20e9;
    const p = await runPipelineBench({ points, runs: quick ? 1 : 3 });
    process.stdout.write(`${formatPipeline(p, points)}\n`);
  }
  if (!args.has('--skip-verification')) {
    const points = quick ? 4e9 : 20e9;
    const v = await runVerificationBench({ points, runs: quick ? 1 : 3 });
    process.stdout.write(`\n${formatVerification(v, points)}\n`);
    const runs = quick ? 1 : 3;
    process.stdout.write('detection at the default rate (1 real worker + 1 lying worker, chunks of 1 M points):\n');
    process.stdout.write(
      `${formatDetection('wrong on every chunk (q = 1)   ', await runDetectionBench({ every: 1, runs, chunks: 200 }))}\n`,
    );
    process.stdout.write(
      `${formatDetection('wrong on 1 chunk in 10 (q = 0.1)', await runDetectionBench({ every: 10, runs, chunks: 4000 }))}\n`,
    );
  }
  if (!args.has('--skip-dispatch')) {
    const d = await runDispatchBench({
      workers: dispatchWorkers ?? (quick ? [2, 10, 100] : [2, 10, 100, 1000]),
      chunks: dispatchChunks,
      spans: dispatchSpans,
    });
    process.stdout.write(`\n${formatDispatch(d)}\n`);
  }
  if (!args.has('--skip-native')) {
    const n = await runNativeKernelBench(
      quick ? { rounds: 2, runsPerProcess: 2, runMs: 200, threadRounds: 2 } : { log: (l) => process.stderr.write(`${l}\n`) },
    );
    process.stdout.write(`\n${formatNativeKernelBench(n)}\n`);
  }
  if (!args.has('--skip-rest')) {
    const r = await runRestBench(quick ? { rounds: 1, durationS: 2, sseClients: 250 } : { log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`\n${formatRestBench(r)}\n`);
  }
  if (!args.has('--skip-small-chunks')) {
    const r = await runChunkOverheadBench(quick ? { runMs: 1200, rounds: 2 } : { log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`\n${formatChunkOverheadBench(r)}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
