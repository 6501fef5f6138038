/** The `samples.csv` format: one row per sample interval. Pure. */

/**
 * Columns of `samples.csv`, in order. Counts `submitted`, `completed`, `failed` are cumulative since the
 * start; `in_flight` and the cluster columns are the value at the sample; latency and throughput
 * columns cover the interval since the previous row. A blank cell means unknown (probe failed, or the
 * field does not exist outside a cluster).
 */
export const LOAD_BENCH_CSV_COLUMNS = [
  't_s',
  'submitted',
  'completed',
  'failed',
  'in_flight',
  'submit_latency_ms_p50',
  'submit_latency_ms_p95',
  'samples_per_s_completed',
  'backlog_chunks',
  'leases_in_flight',
  'workers_ready',
  'total_capacity',
  'worker_pods_ready',
  'hpa_current_replicas',
  'hpa_desired_replicas',
  'worker_cpu_millicores',
] as const;

/** A column of {@link LOAD_BENCH_CSV_COLUMNS}. */
export type CsvColumn = (typeof LOAD_BENCH_CSV_COLUMNS)[number];

/** One sample; null is a blank cell. */
export type SampleRow = Record<CsvColumn, number | null>;

/** Formats one cell: integers as is, other numbers rounded to 3 decimals, null/non-finite blank, strings quoted when needed. */
export function formatCsvCell(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '';
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
  }
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The whole CSV text: a header line, then one line per row, `\n`-terminated. */
export function toCsv(rows: readonly SampleRow[]): string {
  const lines = [LOAD_BENCH_CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(LOAD_BENCH_CSV_COLUMNS.map((c) => formatCsvCell(row[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * The replica count that is actually serving: ready worker pods in a cluster, otherwise the READY
 * workers the coordinator sees (a local run has no pods).
 */
export function readyReplicas(row: SampleRow): number | null {
  return row.worker_pods_ready ?? row.workers_ready;
}
