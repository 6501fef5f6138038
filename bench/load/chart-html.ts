/** `chart.html`: a self-contained page of inline SVG charts and the key figures, readable without JavaScript. Pure. */
import { renderLineChart, escapeXml, type ChartMarker } from './chart-svg.js';
import type { SampleRow } from './csv.js';
import type { LoadBenchSummary } from './summary.js';

/** Submissions per second between consecutive rows (the first row has none). */
export function submitRates(rows: readonly SampleRow[]): (number | null)[] {
  return rows.map((r, i) => {
    if (i === 0) return null;
    const prev = rows[i - 1];
    const dt = (r.t_s ?? 0) - (prev.t_s ?? 0);
    return dt > 0 && r.submitted !== null && prev.submitted !== null ? (r.submitted - prev.submitted) / dt : null;
  });
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '–' : Number(v.toFixed(digits)).toLocaleString('en-US'));

/** Renders the whole page. */
export function renderChartPage(rows: readonly SampleRow[], summary: LoadBenchSummary): string {
  const x = rows.map((r) => r.t_s ?? 0);
  const col = (c: keyof SampleRow): (number | null)[] => rows.map((r) => r[c]);
  const markers: ChartMarker[] = [
    { x: summary.phases.loadEndS, label: 'load end' },
    ...(summary.phases.drainEndS - summary.phases.loadEndS > 0.5 ? [{ x: summary.phases.drainEndS, label: 'drained' }] : []),
  ];
  const xLabel = 'time since start (s)';
  const charts = [
    renderLineChart({
      title: 'Replicas',
      xLabel,
      yLabel: 'replicas',
      x,
      markers,
      integerY: true,
      series: [
        { name: 'HPA current', step: true, color: '#1f77b4', values: col('hpa_current_replicas') },
        { name: 'HPA desired', step: true, color: '#ff7f0e', values: col('hpa_desired_replicas'), dashed: true },
        { name: 'worker pods ready', step: true, color: '#2ca02c', values: col('worker_pods_ready') },
        { name: 'workers ready (coordinator)', step: true, color: '#9467bd', values: col('workers_ready'), dashed: true },
      ],
    }),
    renderLineChart({
      title: 'Offered load',
      xLabel,
      yLabel: 'calculations',
      x,
      markers,
      series: [
        { name: 'in flight', color: '#d62728', values: col('in_flight') },
        { name: 'submitted per second', color: '#8c564b', values: submitRates(rows), dashed: true },
        { name: 'leases in flight', color: '#17becf', values: col('leases_in_flight') },
      ],
    }),
    renderLineChart({
      title: 'Throughput',
      xLabel,
      yLabel: 'samples per second',
      x,
      markers,
      series: [{ name: 'samples/s of completed calculations', color: '#2ca02c', values: col('samples_per_s_completed') }],
    }),
  ];
  if (rows.some((r) => r.worker_cpu_millicores !== null)) {
    charts.push(
      renderLineChart({
        title: 'Worker CPU',
        xLabel,
        yLabel: 'millicores',
        x,
        markers,
        series: [{ name: 'worker CPU (sum of pods)', color: '#e377c2', values: col('worker_cpu_millicores') }],
      }),
    );
  }
  const s = summary;
  const loop = s.loop.kind === 'open' ? `open loop, ${s.loop.ratePerS}/s` : `closed loop, ${s.loop.concurrency} in flight`;
  const figures: [string, string][] = [
    ['target', `${s.url} — ${s.mode}, ${fmt(s.points, 0)} points, ${loop}`],
    [
      'run',
      `${s.startedAt} → ${s.finishedAt}; load ${fmt(s.phases.loadEndS)} s (stopped by ${s.stoppedBy}), drained at ${fmt(s.phases.drainEndS)} s`,
    ],
    [
      'calculations',
      `${s.totals.submitted} submitted, ${s.totals.completed} completed, ${s.totals.rejected} rejected, ${s.totals.failed} failed, ${s.totals.cancelled} cancelled, ${s.totals.abandoned} abandoned`,
    ],
    [
      'throughput (samples/s)',
      `overall ${fmt(s.throughput.overallSamplesPerS, 0)}, median ${fmt(s.throughput.medianSamplesPerS, 0)}, p95 ${fmt(s.throughput.p95SamplesPerS, 0)}`,
    ],
    ['submit latency (ms)', `p50 ${fmt(s.latencyMs.submit.p50)}, p95 ${fmt(s.latencyMs.submit.p95)}, p99 ${fmt(s.latencyMs.submit.p99)}`],
    ['completion latency (ms)', `p50 ${fmt(s.latencyMs.completion.p50, 0)}, p95 ${fmt(s.latencyMs.completion.p95, 0)}`],
    ['replicas', `start ${fmt(s.replicas.ready.start, 0)}, max seen ${fmt(s.replicas.maxSeen, 0)} (ready from ${s.replicas.readySource})`],
    ['scale-up / scale-down', `up at ${fmt(s.replicas.scaleUpS)} s; down ${fmt(s.replicas.scaleDownS)} s after load end`],
    [
      'errors',
      `${s.errors.total} (${
        Object.entries(s.errors.byEndpoint)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      })`,
    ],
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>pigrid load benchmark ${escapeXml(s.startedAt)}</title>`,
    '<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:16px}',
    'th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top}svg{display:block;margin:18px 0}</style>',
    '</head><body>',
    '<h1>pigrid load benchmark</h1>',
    `<table>${figures.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>`,
    ...charts,
    '<p>Data: samples.csv (one row per sample interval) and summary.json in this folder.</p>',
    '</body></html>',
    '',
  ].join('\n');
}
