import { describe, expect, it } from 'vitest';
import { countInside, isSerializedKernelError, KERNEL_NAME, rebuildKernelError } from '../../kernel/index.js';
import piTask from '../../kernel/pool/pi-task.js';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('pi-task: the piscina task contract', () => {
  it('computes a chunk from a decimal seed string and times the kernel call', () => {
    const started = performance.now();
    const result = piTask({ seed: '18446744073709551615', chunkIndex: 4_294_967_295, points: 1_000_003 });
    const wallMs = performance.now() - started;
    expect(result.inside).toBe(countInside((1n << 64n) - 1n, 4_294_967_295, 1_000_003));
    expect(result.kernel).toBe(KERNEL_NAME);
    // A million samples take a measurable time, and the kernel's own timing fits inside the call's.
    expect(result.elapsedMs).toBeGreaterThan(0);
    expect(result.elapsedMs).toBeLessThanOrEqual(wallMs);
    expect(piTask({ seed: '0', chunkIndex: 0, points: 1 }).inside).toBe(countInside(0n, 0, 1));
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
  ])('rejects %s with a RangeError-shaped KERNEL_INVALID_INPUT', (_name, task) => {
    const error = thrownBy(() => piTask(task as never));
    expect(error).toEqual({ name: 'RangeError', message: expect.any(String), code: 'KERNEL_INVALID_INPUT' });
  });

  it('reports any other failure as KERNEL_ERROR', () => {
    const task = {
      get seed(): string {
        throw new TypeError('boom');
      },
      chunkIndex: 0,
      points: 1,
    };
    expect(thrownBy(() => piTask(task))).toEqual({ name: 'TypeError', message: 'boom', code: 'KERNEL_ERROR' });
  });

  it('its errors keep their code across a thread boundary (structured clone) and rebuild into Errors', () => {
    const cloned = structuredClone(thrownBy(() => piTask({ seed: 'x', chunkIndex: 0, points: 1 })));
    expect(isSerializedKernelError(cloned)).toBe(true);
    const rebuilt = rebuildKernelError(cloned as never);
    expect(rebuilt).toBeInstanceOf(RangeError);
    expect(rebuilt.code).toBe('KERNEL_INVALID_INPUT');
    expect(isSerializedKernelError(new Error('plain'))).toBe(false);
  });
});
