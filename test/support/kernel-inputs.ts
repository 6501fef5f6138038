/**
 * Arguments every kernel must refuse with a RangeError coded KERNEL_INVALID_INPUT: a seed that is not a u64 bigint,
 * a chunk index that is not an integer in 0..2^32-1, a point count that is not an integer in 1..2^32-1.
 */
export const INVALID_KERNEL_INPUTS: readonly (readonly [seed: unknown, chunkIndex: unknown, points: unknown])[] = [
  [-1n, 0, 10],
  [1n << 64n, 0, 10],
  [1, 0, 10],
  ['1', 0, 10],
  [1n, -1, 10],
  [1n, 1.5, 10],
  [1n, 2 ** 32, 10],
  [1n, Number.NaN, 10],
  [1n, '0', 10],
  [1n, 0, 0],
  [1n, 0, -5],
  [1n, 0, 2.5],
  [1n, 0, 2 ** 32],
  [1n, 0, Number.POSITIVE_INFINITY],
  [1n, 0, '10'],
];
