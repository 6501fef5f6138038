import { describe, expect, it } from 'vitest';
import { formatCsvCell, LOAD_BENCH_CSV_COLUMNS, readyReplicas, toCsv, type SampleRow } from '../../bench/load/csv.js';
import { distribution, maxOf, median, percentile } from '../../bench/load/stats.js';

function blankRow(over: Partial<SampleRow> = {}): SampleRow {
  const row = Object.fromEntries(LOAD_BENCH_CSV_COLUMNS.map((c) => [c, null])) as SampleRow;
  return { ...row, ...over };
}

describe('percentile and median', () => {
  it.each([
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 100, 4],
    [[4, 1, 3, 2], 25, 1.75],
    [[10], 95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 9.55],
    [[5, Number.NaN, 1], 50, 3],
  ])('percentile(%j, %d) = %d (linear interpolation)', (values, p, expected) => {
    expect(percentile(values, p)).toBeCloseTo(expected, 10);
  });

  it('is null for no values, rejects p outside 0..100, and does not reorder its input', () => {
    expect(percentile([], 50)).toBeNull();
    expect(median([])).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    const values = [3, 1, 2];
    expect(median(values)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
  });

  it('summarises a distribution and finds the max ignoring blanks', () => {
    expect(maxOf([null, 3, undefined, 7, 2])).toBe(7);
    expect(maxOf([null])).toBeNull();
    expect(distribution([1, 2, 3, 4, 5])).toEqual({ count: 5, p50: 3, p95: 4.8, p99: 4.96, max: 5 });
  });
});

describe('samples.csv', () => {
  it('has the 16 documented columns in order', () => {
    expect(LOAD_BENCH_CSV_COLUMNS).toEqual([
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
    ]);
  });

  it.each([
    [null, ''],
    [undefined, ''],
    [Number.NaN, ''],
    [Infinity, ''],
    [42, '42'],
    [1.23456, '1.235'],
    [2e9, '2000000000'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
  ])('formats %j as %j', (value, expected) => {
    expect(formatCsvCell(value)).toBe(expected);
  });

  it('writes a header and one line per row with blank cells for unknowns', () => {
    const csv = toCsv([
      blankRow({ t_s: 0.5, submitted: 2, in_flight: 2 }),
      blankRow({ t_s: 1.25, submitted: 3, completed: 1, samples_per_s_completed: 1333.3333 }),
    ]);
    const lines = csv.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(LOAD_BENCH_CSV_COLUMNS.join(','));
    expect(lines[1]).toBe('0.5,2,,,2,,,,,,,,,,,');
    expect(lines[2]).toBe('1.25,3,1,,,,,1333.333,,,,,,,,');
    expect(lines[3]).toBe('');
  });

  it('takes ready replicas from pods in a cluster, else from the coordinator workers', () => {
    expect(readyReplicas(blankRow({ worker_pods_ready: 3, workers_ready: 2 }))).toBe(3);
    expect(readyReplicas(blankRow({ workers_ready: 2 }))).toBe(2);
    expect(readyReplicas(blankRow())).toBeNull();
  });
});
