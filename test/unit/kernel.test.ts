import { describe, expect, it } from 'vitest';
import { countInside, KERNEL_NAME, MAX_CHUNK_POINTS, STREAM_VERSION, warmUp } from '../../kernel/index.js';
import { MAX_CHUNK_SIZE } from '../../shared/submit-rules.js';
import { nativeAvailability } from '../../native/native-kernel.js';
import { countInsideJs } from '../../kernel/js-integer-kernel.js';
import { countInsideReference, isInside, streamOutputs } from '../../kernel/reference.js';
import { createWasmKernel, PIECE_POINTS } from '../../kernel/wasm/wasm-kernel.js';
import { INVALID_KERNEL_INPUTS } from '../support/kernel-inputs.js';

const U64_MAX = (1n << 64n) - 1n;
const SEEDS = [0n, 1n, 42n, 0x9e3779b97f4a7c15n, 1n << 63n, U64_MAX];
const CHUNKS = [0, 1, 7, 65_536, 2 ** 31, 2 ** 32 - 1];
const ODD_SIZES = [1, 2, 3, 5, 15, 16, 17, 31, 33, 1000, 4097, 65_535, 65_537];

describe('countInside is exact: the kernel this machine runs equals the plain-JS reference', () => {
  it('runs the fastest exact kernel this machine has (native when built and the CPU runs it, else WebAssembly SIMD)', () => {
    const native = nativeAvailability();
    if (native.available && native.features.avx2) expect(KERNEL_NAME).toMatch(/^native-avx(2|512)-sfc32x16-mid16$/);
    else expect(KERNEL_NAME).toBe('wasm-simd128-sfc32x16-mid16');
    expect(STREAM_VERSION).toBe('sfc32x16-mid16/1');
    expect(MAX_CHUNK_POINTS).toBe(4_294_967_295);
    // The API's largest chunk_size is the kernel's largest chunk (a u32 hit count).
    expect(MAX_CHUNK_SIZE).toBe(MAX_CHUNK_POINTS);
    expect(() => warmUp()).not.toThrow();
  });

  it.each(SEEDS.map((seed) => [seed]))('seed %s: every chunk index and odd tail size', (seed) => {
    for (const chunk of CHUNKS) {
      for (const points of ODD_SIZES) {
        expect(countInside(seed, chunk, points), `${seed}/${chunk}/${points}`).toBe(countInsideReference(seed, chunk, points));
      }
    }
  });

  it('agrees on a few million points, across piece boundaries of the WebAssembly calls', () => {
    for (const [seed, chunk, points] of [
      [7n, 3, 3_000_017],
      [U64_MAX, 2 ** 32 - 1, 2_000_000],
      [123_456_789n, 99, PIECE_POINTS + 5], // two pieces plus a tail
    ] as const) {
      expect(countInside(seed, chunk, points)).toBe(countInsideReference(seed, chunk, points));
    }
  });

  it('the plain-JS integer kernel gives the same counts too', () => {
    for (const seed of [0n, 5n, U64_MAX]) {
      for (const points of [1, 17, 65_537, 1_000_003]) {
        expect(countInsideJs(seed, 11, points)).toBe(countInsideReference(seed, 11, points));
      }
    }
  });

  it('every generated shape (interleave, inside-test formulation) gives the same counts', () => {
    const shapes = [
      createWasmKernel({ interleave: 1 }),
      createWasmKernel({ interleave: 2 }),
      createWasmKernel({ insideTest: 'mul' }),
      createWasmKernel({ interleave: 1, insideTest: 'mul' }),
    ];
    for (const points of [1, 19, 1_000_001]) {
      const expected = countInside(9n, 4, points);
      for (const kernel of shapes) expect(kernel(9n, 4, points)).toBe(expected);
    }
  });
});

describe('countInside is deterministic and keyed only by (seed, chunkIndex, points)', () => {
  it('repeated calls, with other chunks in between, give identical counts', () => {
    const first = countInside(2024n, 17, 5_000_000);
    countInside(1n, 0, 1_000_003);
    expect(countInside(2024n, 17, 5_000_000)).toBe(first);
    expect(createWasmKernel()(2024n, 17, 5_000_000)).toBe(first);
  });

  it('pins known counts (a change here changes every result: bump STREAM_VERSION)', () => {
    expect(countInside(0n, 0, 10_000_000)).toBe(7_854_494);
    expect(countInside(1n, 0, 10_000_000)).toBe(7_850_826);
    expect(countInside(U64_MAX, 2 ** 32 - 1, 10_000_000)).toBe(7_853_754);
  });

  it('a shorter chunk is a prefix of a longer one (the tail rule)', () => {
    const outputs = streamOutputs(77n, 5, 100);
    for (let points = 1; points < 100; points++) {
      const step = countInside(77n, 5, points + 1) - countInside(77n, 5, points);
      expect(step).toBe(isInside(outputs[points]) ? 1 : 0);
    }
  });

  it('different seeds and chunk indices give different streams', () => {
    const keys: Array<[bigint, number]> = [
      [0n, 0],
      [1n, 0],
      [2n, 0],
      [U64_MAX, 0],
      [0n, 1],
      [0n, 2],
      [1n, 1],
      [0n, 2 ** 32 - 1],
    ];
    const heads = keys.map(([seed, chunk]) => streamOutputs(seed, chunk, 64).join(','));
    expect(new Set(heads).size).toBe(keys.length);
    const counts = keys.map(([seed, chunk]) => countInside(seed, chunk, 4_000_000));
    expect(new Set(counts).size).toBe(keys.length);
  });

  it('a maximal chunk (2^32 - 1 points) counts without overflow', () => {
    const inside = countInside(3n, 1, MAX_CHUNK_POINTS);
    expect(inside).toBeGreaterThan(2 ** 31); // above i32: the unsigned handling matters
    const estimate = (4 * inside) / MAX_CHUNK_POINTS;
    expect(Math.abs(estimate - Math.PI)).toBeLessThan(5 * 4 * Math.sqrt((0.785 * 0.215) / MAX_CHUNK_POINTS));
  });
});

describe('countInside validates its input and can be cancelled', () => {
  const kernels = { countInside, countInsideReference, countInsideJs };

  it.each(Object.entries(kernels))('%s throws RangeError KERNEL_INVALID_INPUT', (_name, kernel) => {
    for (const [seed, chunk, points] of INVALID_KERNEL_INPUTS) {
      const call = (): number => (kernel as (s: unknown, c: unknown, p: unknown) => number)(seed, chunk, points);
      expect(call, `${String(seed)}/${String(chunk)}/${String(points)}`).toThrow(RangeError);
      try {
        call();
      } catch (error) {
        expect((error as { code?: string }).code).toBe('KERNEL_INVALID_INPUT');
      }
    }
  });

  it('reports every invalid field in one message', () => {
    expect(() => countInside(-1n, -1, 0)).toThrow(/seed.*chunkIndex.*points/);
  });

  it('polls shouldStop between pieces and aborts with KERNEL_ABORTED', () => {
    let polls = 0;
    const result = countInside(5n, 2, 3 * PIECE_POINTS + 7, () => {
      polls++;
      return false;
    });
    expect(polls).toBe(2); // between the three pieces, not after the last
    expect(result).toBe(countInside(5n, 2, 3 * PIECE_POINTS + 7));
    expect(() => countInside(5n, 2, 3 * PIECE_POINTS, () => true)).toThrow(expect.objectContaining({ code: 'KERNEL_ABORTED' }));
    // The kernel is reusable after an abort.
    expect(countInside(5n, 2, 1000)).toBe(countInsideReference(5n, 2, 1000));
  });
});
