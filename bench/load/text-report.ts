/** The short text summary printed to stdout at the end of a run. Pure. */
import type { LoadBenchSummary } from './summary.js';

const n = (v: number | null, digits = 1): string => (v === null ? '-' : Number(v.toFixed(digits)).toLocaleString('en-US'));

/** A few lines: totals, throughput, latency, replicas, errors and where the files are. */
export function formatTextSummary(s: LoadBenchSummary): string {
  const loop = s.loop.kind === 'open' ? `rate ${s.loop.ratePerS}/s` : `concurrency ${s.loop.concurrency}`;
  const errors = Object.entries(s.errors.byCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return [
    `pigrid load bench: ${s.url} ${s.mode} ${n(s.points, 0)} points, ${loop}, load ${n(s.phases.loadEndS)} s (stopped by ${s.stoppedBy})`,
    `  calculations  submitted ${s.totals.submitted}, completed ${s.totals.completed}, rejected ${s.totals.rejected}, failed ${s.totals.failed}, cancelled ${s.totals.cancelled}, abandoned ${s.totals.abandoned}`,
    `  throughput    ${n(s.throughput.overallSamplesPerS, 0)} samples/s overall, median ${n(s.throughput.medianSamplesPerS, 0)}, p95 ${n(s.throughput.p95SamplesPerS, 0)}`,
    `  latency (ms)  submit p50 ${n(s.latencyMs.submit.p50)} p95 ${n(s.latencyMs.submit.p95)}; completion p50 ${n(s.latencyMs.completion.p50, 0)} p95 ${n(s.latencyMs.completion.p95, 0)}`,
    `  replicas      start ${n(s.replicas.ready.start, 0)}, max ${n(s.replicas.maxSeen, 0)}, scale-up at ${n(s.replicas.scaleUpS)} s, scale-down ${n(s.replicas.scaleDownS)} s after load end`,
    `  errors        ${s.errors.total}${errors ? ` (${errors})` : ''}`,
    `  output        ${s.outDir}/{samples.csv,summary.json,chart.html}`,
    '',
  ].join('\n');
}
