/**
 * `npm run bench`: every benchmark that prints figures, in one run.
 *  1. kernel throughput per thread for each kernel approach, and 1 vs 2 threads (bench/kernel-bench.ts);
 *  2. the pipeline through real processes: single vs distributed as a ratio, chunks leased per second, REST latency;
 *  3. what verification costs: distributed with verification off vs the defaults, alternated in one run.
 * Options: --quick (fewer and shorter runs), --skip-kernel, --skip-pipeline, --skip-verification.
 */
import { formatKernelBench, runKernelBench } from './kernel-bench.js';
import { runPipelineBench, type PipelineBenchResult } from './pipeline-bench.js';
import { fmt, summarize, type Summary } from './stats.js';
import { runDetectionBench, runVerificationBench, type DetectionRun, type VerificationBenchResult } from './verification-bench.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

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
    `  REST GET /api/calculate/{id}: ${spread(r.restGetMs, ' ms')}, p95 ${r.restGetMs.p95.toFixed(2)} ms; 16 concurrent clients: ${fmt(r.restGetPerSecondConcurrent)} req/s`,
    `  REST POST /api/calculate:     ${spread(r.restPostMs, ' ms')}, p95 ${r.restPostMs.p95.toFixed(2)} ms`,
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
    process.stdout.write(`${formatDetection('wrong on every chunk (q = 1)   ', await runDetectionBench({ every: 1, runs, chunks: 200 }))}\n`);
    process.stdout.write(`${formatDetection('wrong on 1 chunk in 10 (q = 0.1)', await runDetectionBench({ every: 10, runs, chunks: 4000 }))}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
