/**
 * Pieces of the pigrid CLI and of the local runner that need no process: number parsing, the SSE parser, rates,
 * the π ± σ text, and reading a component's ready line.
 */
import { describe, expect, it } from 'vitest';
import { parseCount } from '../../cli/program.js';
import { parseEvent } from '../../cli/gateway-client.js';
import { piText, RateMeter, runningEstimate } from '../../cli/format.js';
import { readyFields } from '../../scripts/local/supervisor.js';
import type { CalculationJson } from '../../gateway/calculation-json.js';

describe('parseCount', () => {
  it('reads whole numbers written plainly, with underscores or in e-notation', () => {
    expect(parseCount('10000000000')).toBe(10_000_000_000);
    expect(parseCount('10_000_000_000')).toBe(10_000_000_000);
    expect(parseCount('1e10')).toBe(10_000_000_000);
    expect(parseCount('2.5e9')).toBe(2_500_000_000);
  });
  it('refuses what is not a whole number', () => {
    for (const bad of ['', 'abc', '-5', '1.5', '1e', '1e400', '0x10']) expect(() => parseCount(bad), bad).toThrow(/whole number/);
  });
});

describe('parseEvent', () => {
  it('reads event and data lines, joins multi-line data, skips comments', () => {
    expect(parseEvent('event: progress\ndata: {"a":1}')).toEqual({ name: 'progress', data: '{"a":1}' });
    expect(parseEvent('data: one\ndata: two')).toEqual({ name: 'message', data: 'one\ntwo' });
    expect(parseEvent(': keep-alive')).toBeUndefined();
    expect(parseEvent('event: end\r\ndata:x')).toEqual({ name: 'end', data: 'x' });
  });
});

const calc = (points_done: number, extra: Partial<CalculationJson> = {}) =>
  ({ points: 1_000, points_done, inside: 0, started_at: null, finished_at: null, ...extra }) as CalculationJson;

describe('RateMeter', () => {
  it('gives the recent rate and the time left at that rate', () => {
    const m = new RateMeter(10_000);
    m.add(calc(0), 0);
    m.add(calc(100), 1_000);
    m.add(calc(300), 2_000);
    expect(m.rate(calc(300), 2_000)).toBe(150);
    expect(m.etaMs(calc(300), 2_000)).toBeCloseTo((700 / 150) * 1000);
  });
  it('falls back to the average since the start before two snapshots', () => {
    const m = new RateMeter();
    const c = calc(500, { started_at: new Date(0).toISOString() });
    m.add(c, 1_000);
    expect(m.rate(c, 1_000)).toBe(500);
  });
});

describe('running estimate of π', () => {
  it('is 4·inside/points_done with its standard error, shown to two digits of σ', () => {
    const est = runningEstimate({ inside: 785_398, points_done: 1_000_000 })!;
    expect(est.pi).toBeCloseTo(3.141592, 6);
    expect(est.sigma).toBeCloseTo(4 * Math.sqrt((0.785398 * 0.214602) / 1e6), 12);
    expect(piText(est.pi, est.sigma)).toBe('3.1416');
    expect(runningEstimate({ inside: 0, points_done: 0 })).toBeUndefined();
  });
});

describe('readyFields', () => {
  it('reads the fields of a JSON ready line, and nothing of other lines', () => {
    expect(
      readyFields(
        '{"level":30,"time":1,"component":"worker","workerId":"local-worker-1","msg":"worker ready","grpc":"127.0.0.1:50061","threads":2}',
      ),
    ).toMatchObject({ workerId: 'local-worker-1', grpc: '127.0.0.1:50061', threads: '2' });
    expect(readyFields('{"level":30,"msg":"gateway ready","url":"http://127.0.0.1:8080"}')).toMatchObject({ url: 'http://127.0.0.1:8080' });
    expect(readyFields('{"level":30,"msg":"worker connected","workerId":"ready"}')).toBeUndefined();
    expect(readyFields('{"level":30,"msg":"Server listening at http://127.0.0.1:8080"}')).toBeUndefined();
    expect(readyFields('info  worker ready grpc=127.0.0.1:50061')).toBeUndefined();
  });
});
