import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOAD_BENCH_CSV_COLUMNS } from '../../bench/load/csv.js';
import { ErrorTally, LOAD_BENCH_ERROR_CODES, MAX_ERROR_EXAMPLES } from '../../bench/load/errors.js';

const readme = readFileSync(new URL('../../bench/load/README.md', import.meta.url), 'utf8');

describe('load-bench error catalogue', () => {
  it.each(Object.keys(LOAD_BENCH_ERROR_CODES))('documents %s in bench/load/README.md', (code) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, 'm'));
  });

  it.each(LOAD_BENCH_CSV_COLUMNS.map((c) => [c]))('documents CSV column %s', (column) => {
    expect(readme).toContain(`\`${column}\``);
  });

  it('counts by endpoint, code and HTTP status, ignores ABORTED, and keeps the first examples', () => {
    const tally = new ErrorTally();
    for (let i = 0; i < MAX_ERROR_EXAMPLES + 5; i++)
      tally.record({ t_s: i, endpoint: 'poll', code: 'HTTP_ERROR', status: 503, message: `m${i}` });
    tally.record({ t_s: 1, endpoint: 'status', code: 'REQUEST_TIMEOUT', status: null, message: 't' });
    tally.record({ t_s: 1, endpoint: 'submit', code: 'ABORTED', status: null, message: 'a' });
    const s = tally.toJSON();
    expect(s.total).toBe(MAX_ERROR_EXAMPLES + 6);
    expect(s.byEndpoint).toEqual({ submit: 0, poll: MAX_ERROR_EXAMPLES + 5, cancel: 0, status: 1, metrics: 0 });
    expect(s.byCode).toEqual({ HTTP_ERROR: MAX_ERROR_EXAMPLES + 5, REQUEST_TIMEOUT: 1 });
    expect(s.byHttpStatus).toEqual({ 503: MAX_ERROR_EXAMPLES + 5 });
    expect(s.examples).toHaveLength(MAX_ERROR_EXAMPLES);
    expect(s.examples[0].message).toBe('m0');
  });
});
