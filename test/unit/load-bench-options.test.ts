import { describe, expect, it } from 'vitest';
import { PigridError } from '../../shared/errors.js';
import { defaultOutDir, isLoopbackHost, loadBenchHelp, parseLoadBenchArgs, resolveLoadBenchOptions } from '../../bench/load/options.js';

const NOW = new Date('2025-03-04T05:06:07.890Z');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PigridError);
    expect((err as PigridError).code).toBe('INVALID_CONFIG');
    return [...(err as PigridError).problems];
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('load-bench options', () => {
  it('resolves documented defaults into a frozen object', () => {
    const o = resolveLoadBenchOptions({}, NOW);
    expect(o).toEqual({
      url: 'http://127.0.0.1:8080',
      durationS: 60,
      ratePerS: null,
      concurrency: 4,
      points: 2e9,
      mode: 'distributed',
      chunkSize: null,
      sampleIntervalMs: 1000,
      pollConcurrency: 16,
      requestTimeoutMs: 10_000,
      maxRequests: 10_000,
      drainTimeoutS: 60,
      cooldownS: 0,
      outDir: 'bench-out/load-20250304T050607Z',
      allowRemote: false,
    });
    expect(Object.isFrozen(o)).toBe(true);
    expect(defaultOutDir(NOW)).toBe('bench-out/load-20250304T050607Z');
  });

  it('parses --flag value and --flag=value, numbers like 2e9, and picks the open loop when --rate is given', () => {
    const parsed = parseLoadBenchArgs(
      [
        '--url=http://localhost:9000/',
        '--duration',
        '5',
        '--rate',
        '2.5',
        '--points',
        '3e6',
        '--mode',
        'single',
        '--chunk-size',
        '1000',
        '--out',
        '/tmp/x',
        '--drain-timeout',
        '0',
      ],
      NOW,
    );
    expect(parsed.help).toBe(false);
    if (parsed.help) return;
    expect(parsed.options).toMatchObject({
      url: 'http://localhost:9000',
      durationS: 5,
      ratePerS: 2.5,
      concurrency: null,
      points: 3_000_000,
      mode: 'single',
      chunkSize: 1000,
      outDir: '/tmp/x',
      drainTimeoutS: 0,
    });
  });

  it('returns a help request for --help and -h, and the help names every flag with its default', () => {
    expect(parseLoadBenchArgs(['--duration', 'x', '--help'])).toEqual({ help: true });
    expect(parseLoadBenchArgs(['-h'])).toEqual({ help: true });
    const help = loadBenchHelp();
    for (const flag of [
      '--url',
      '--duration',
      '--rate',
      '--concurrency',
      '--points',
      '--mode',
      '--chunk-size',
      '--sample-interval-ms',
      '--max-requests',
      '--drain-timeout',
      '--cooldown',
      '--out',
      '--allow-remote',
      '--poll-concurrency',
      '--request-timeout-ms',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/--duration N\s+seconds of load; 1\.\.3600 \(default 60\)/);
  });

  it('reports every problem at once, each naming the flag and the rule', () => {
    const problems = problemsOf(() =>
      parseLoadBenchArgs([
        '--duration',
        '0',
        '--rate',
        '1',
        '--concurrency',
        '2',
        '--points',
        '1.5',
        '--mode',
        'fast',
        '--bogus',
        '--sample-interval-ms',
        'abc',
        '--out',
      ]),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        '--bogus: unknown flag (see --help)',
        '--sample-interval-ms: must be a number, got "abc"',
        '--out: needs a value',
        '--duration: must be a number from 1 to 3600, got 0',
        '--points: must be an integer from 1 to 9007199254740991, got 1.5',
        '--rate/--concurrency: give either an open-loop rate or a closed-loop concurrency, not both',
        '--mode: must be one of distributed, single, got "fast"',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('refuses a non-loopback URL unless --allow-remote is given', () => {
    expect(problemsOf(() => parseLoadBenchArgs(['--url', 'http://10.0.0.5:8080']))[0]).toMatch(
      /^--url: must be a loopback host .* got 10\.0\.0\.5/,
    );
    expect(problemsOf(() => resolveLoadBenchOptions({ url: 'ftp://127.0.0.1/' }))[0]).toMatch(/must use http or https/);
    expect(problemsOf(() => resolveLoadBenchOptions({ url: 'not a url' }))[0]).toMatch(/absolute http\(s\) URL/);
    const parsed = parseLoadBenchArgs(['--url', 'https://pigrid.example.com', '--allow-remote']);
    expect(parsed.help === false && parsed.options.url).toBe('https://pigrid.example.com');
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['example.com', false],
    ['localhost.evil.com', false],
    ['0.0.0.0', false],
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('rejects repeated flags and accepts its own resolved output as input', () => {
    expect(problemsOf(() => parseLoadBenchArgs(['--duration', '5', '--duration', '6']))).toEqual(['--duration: given more than once']);
    const o = resolveLoadBenchOptions({ ratePerS: 3, durationS: 2 });
    expect(resolveLoadBenchOptions(o)).toEqual(o);
  });
});
