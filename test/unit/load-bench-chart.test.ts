import { describe, expect, it } from 'vitest';
import { renderChartPage, submitRates } from '../../bench/load/chart-html.js';
import { escapeXml, formatTick, niceTicks, renderLineChart } from '../../bench/load/chart-svg.js';
import { LOAD_BENCH_CSV_COLUMNS, type SampleRow } from '../../bench/load/csv.js';
import { ErrorTally } from '../../bench/load/errors.js';
import { resolveLoadBenchOptions } from '../../bench/load/options.js';
import { computeSummary } from '../../bench/load/summary.js';

function row(over: Partial<SampleRow>): SampleRow {
  return { ...(Object.fromEntries(LOAD_BENCH_CSV_COLUMNS.map((c) => [c, null])) as SampleRow), ...over };
}

describe('SVG line chart', () => {
  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 9.3, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 3, 5, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0, 0, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(formatTick(1_500_000)).toBe('1.5M');
    expect(formatTick(2e9)).toBe('2G');
    expect(formatTick(0.25)).toBe('0.25');
  });

  it('draws title, axis labels, legend, a path per run of values and a dot for a lone value', () => {
    const svg = renderLineChart({
      title: 'Replicas <test>',
      xLabel: 'time (s)',
      yLabel: 'replicas',
      x: [0, 1, 2, 3, 4],
      integerY: true,
      markers: [{ x: 2.5, label: 'load end' }],
      series: [
        { name: 'HPA desired', color: '#f00', values: [1, 3, null, 2, 2], dashed: true },
        { name: 'ready & ok', color: '#0f0', values: [null, null, 1, null, null] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<title>Replicas &lt;test&gt;</title>');
    expect(svg).toContain('>time (s)</text>');
    expect(svg).toContain('rotate(-90)" text-anchor="middle">replicas</text>');
    expect(svg).toContain('>HPA desired</text>');
    expect(svg).toContain('>ready &amp; ok</text>');
    expect(svg).toContain('>load end</text>');
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('<script');
  });

  it('draws a step series as horizontal-then-vertical segments, and earlier series wider', () => {
    const svg = renderLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      x: [0, 1, 2],
      series: [
        { name: 'a', color: '#000', values: [1, 2, 2], step: true },
        { name: 'b', color: '#111', values: [1, 2, 2] },
      ],
    });
    const [a, b] = svg.match(/<path d="[^"]*"[^>]*>/g)!;
    expect(a).toMatch(/d="M[\d.]+ [\d.]+ H[\d.]+ V[\d.]+ H[\d.]+ V[\d.]+"/);
    expect(a).toContain('stroke-width="3"');
    expect(b).toMatch(/d="M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L/);
    expect(b).toContain('stroke-width="2"');
  });

  it('says "no data" when every value is blank', () => {
    expect(
      renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', x: [0, 1], series: [{ name: 's', color: '#000', values: [null, null] }] }),
    ).toContain('>no data</text>');
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('chart page', () => {
  const rows = [
    row({ t_s: 0, submitted: 0, in_flight: 0, workers_ready: 1 }),
    row({ t_s: 0.5, submitted: 4, in_flight: 3, workers_ready: 2, samples_per_s_completed: 10 }),
    row({ t_s: 1, submitted: 5, in_flight: 0, workers_ready: 1, samples_per_s_completed: 20 }),
  ];

  it('derives submissions per second from the cumulative column', () => {
    expect(submitRates(rows)).toEqual([null, 8, 2]);
  });

  it('is a self-contained HTML page with the figures and the three charts, no script or external resource', () => {
    const summary = computeSummary({
      options: resolveLoadBenchOptions({ durationS: 1, outDir: '/tmp/x' }),
      rows,
      stoppedBy: 'duration',
      phases: { loadEndS: 0.5, drainEndS: 1, endS: 1 },
      totals: { submitted: 5, accepted: 5, rejected: 0, completed: 5, failed: 0, cancelled: 0, abandoned: 0, pointsCompleted: 15 },
      latencies: { submitMs: [1], completionMs: [2], serverMs: [] },
      startedAt: 'S',
      finishedAt: 'F',
      errors: new ErrorTally().toJSON(),
    });
    const html = renderChartPage(rows, summary);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(3); // no CPU chart without CPU data
    for (const title of ['Replicas', 'Offered load', 'Throughput']) expect(html).toContain(`<title>${title}</title>`);
    expect(html).toContain('5 submitted, 5 completed');
    expect(html).not.toMatch(/<script|src=|href=/);
  });
});
