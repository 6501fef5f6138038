import { describe, expect, it } from 'vitest';
import { countInside, isSerializedKernelError, KERNEL_NAME, rebuildKernelError } from '../../kernel/index.js';
import piRun, { outcomesOf, type PiChunkOutcome, type PiTask } from '../../kernel/pool/pi-task.js';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The outcome of a run of one chunk. */
const one = (task: PiTask): PiChunkOutcome => outcomesOf(piRun({ chunks: [task] }))[0];

describe('pi-task: the piscina task contract', () => {
  it('computes a chunk from a decimal seed string and times the kernel call', () => {
    const started = performance.now();
    const result = one({ seed: '18446744073709551615', chunkIndex: 4_294_967_295, points: 1_000_003 });
    const wallMs = performance.now() - started;
    expect(result).toMatchObject({ kind: 'done', inside: countInside((1n << 64n) - 1n, 4_294_967_295, 1_000_003), kernel: KERNEL_NAME });
    // A million samples take a measurable time, and the kernel's own timing fits inside the call's.
    if (result.kind !== 'done') throw new Error('expected a computed chunk');
    expect(result.elapsedMs).toBeGreaterThan(0);
    expect(result.elapsedMs).toBeLessThanOrEqual(wallMs);
    expect(one({ seed: '0', chunkIndex: 0, points: 1 })).toMatchObject({ kind: 'done', inside: countInside(0n, 0, 1) });
  });

  it.each([
    ['seed above 2^64 - 1', { seed: '18446744073709551616', chunkIndex: 0, points: 10 }],
    ['negative seed', { seed: '-1', chunkIndex: 0, points: 10 }],
    ['seed with spaces', { seed: ' 1', chunkIndex: 0, points: 10 }],
    ['empty seed', { seed: '', chunkIndex: 0, points: 10 }],
    ['fractional seed', { seed: '1.5', chunkIndex: 0, points: 10 }],
    ['seed given as a number', { seed: 12, chunkIndex: 0, points: 10 }],
    ['chunkIndex 2^32', { seed: '1', chunkIndex: 2 ** 32, points: 10 }],
    ['fractional points', { seed: '1', chunkIndex: 0, points: 2.5 }],
    ['zero points', { seed: '1', chunkIndex: 0, points: 0 }],
    ['points above 2^32 - 1', { seed: '1', chunkIndex: 0, points: 2 ** 32 }],
    ['no task', null],
  ])('fails %s with a RangeError-shaped KERNEL_INVALID_INPUT', (_name, task) => {
    expect(one(task as never)).toEqual({
      kind: 'failed',
      error: { name: 'RangeError', message: expect.any(String), code: 'KERNEL_INVALID_INPUT' },
    });
  });

  it('reports any other failure as KERNEL_ERROR', () => {
    const task = {
      get seed(): string {
        throw new TypeError('boom');
      },
      chunkIndex: 0,
      points: 1,
    };
    expect(one(task)).toEqual({ kind: 'failed', error: { name: 'TypeError', message: 'boom', code: 'KERNEL_ERROR' } });
  });

  it('computes a run chunk by chunk, in order: a failing chunk fails alone', () => {
    const run = [
      { seed: '7', chunkIndex: 0, points: 100_000 },
      { seed: '7', chunkIndex: 1, points: 0 },
      { seed: '8', chunkIndex: 2, points: 50_000 },
    ];
    expect(outcomesOf(piRun({ chunks: run }))).toMatchObject([
      { kind: 'done', inside: countInside(7n, 0, 100_000) },
      { kind: 'failed', error: { code: 'KERNEL_INVALID_INPUT' } },
      { kind: 'done', inside: countInside(8n, 2, 50_000) },
    ]);
  });

  it('computes an entry of `count` chunks as those chunks one by one (the native run loop where it runs)', () => {
    const top = 2 ** 32 - 1;
    const run = [
      { seed: '18446744073709551615', chunkIndex: 10, points: 70_001, count: 5 },
      // Its last chunk is past chunk index 2^32 - 1: that one fails alone, the others are computed.
      { seed: '3', chunkIndex: top - 1, points: 1_000, count: 3 },
    ];
    const seed = (1n << 64n) - 1n;
    expect(outcomesOf(piRun({ chunks: run }))).toMatchObject([
      ...[10, 11, 12, 13, 14].map((c) => ({ kind: 'done', inside: countInside(seed, c, 70_001), kernel: KERNEL_NAME })),
      { kind: 'done', inside: countInside(3n, top - 1, 1_000) },
      { kind: 'done', inside: countInside(3n, top, 1_000) },
      { kind: 'failed', error: { code: 'KERNEL_INVALID_INPUT' } },
    ]);
  });

  it('throws a serialized KERNEL_INVALID_INPUT for a run that is not { chunks: [...] }', () => {
    for (const run of [null, {}, { chunks: 'x' }]) {
      expect(thrownBy(() => piRun(run as never))).toEqual({
        name: 'RangeError',
        message: expect.any(String),
        code: 'KERNEL_INVALID_INPUT',
      });
    }
  });

  it('its errors keep their code across a thread boundary (structured clone) and rebuild into Errors', () => {
    const cloned = structuredClone(one({ seed: 'x', chunkIndex: 0, points: 1 }));
    if (cloned.kind !== 'failed') throw new Error('expected a failed chunk');
    expect(isSerializedKernelError(cloned.error)).toBe(true);
    const rebuilt = rebuildKernelError(cloned.error);
    expect(rebuilt).toBeInstanceOf(RangeError);
    expect(rebuilt.code).toBe('KERNEL_INVALID_INPUT');
    expect(isSerializedKernelError(new Error('plain'))).toBe(false);
  });
});
