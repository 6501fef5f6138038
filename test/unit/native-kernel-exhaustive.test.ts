import { describe, expect, it } from 'vitest';
import { midpointLatticeCount } from '../support/grid-bias.js';
import { checkNativeInsideTest } from '../../native/native-kernel.js';
import { announceSkips, skipReason } from './native-kernel-support.js';

announceSkips('native-kernel-exhaustive.test.ts');

const LATTICE = Number(midpointLatticeCount(16)); // 3,373,259,477 cells with the midpoint inside

describe('the native inside test is exact on every grid cell', () => {
  it.skipIf(skipReason('avx2') !== undefined)(
    'avx2: the loop\'s count and the "mul" form agree on all 2^32 cells and count the exact lattice',
    () => {
      expect(checkNativeInsideTest('avx2')).toEqual({ insideCells: LATTICE, disagreements: 0 });
    },
  );

  it.skipIf(skipReason('avx512') !== undefined)('avx512: the same on all 2^32 cells', () => {
    expect(checkNativeInsideTest('avx512')).toEqual({ insideCells: LATTICE, disagreements: 0 });
  });

  // The 16-lane shape on AVX2 is ~15x slower (the compiler splits every 64-byte operation), so it
  // checks 16 blocks of 2^24 cells spread over the grid (u = 0, 4096, ..., both edges included)
  // against the avx2 loop's counts of the same blocks.
  it.skipIf(skipReason('avx2-w16') !== undefined)('avx2-w16: agrees with avx2 on 2^28 cells spread over the whole grid', () => {
    for (let block = 0; block < 16; block++) {
      const first = block * 2 ** 28 + (block === 15 ? 2 ** 28 - 2 ** 24 : 0);
      const w16 = checkNativeInsideTest('avx2-w16', first, 2 ** 24);
      expect(w16.disagreements, `block at ${first}`).toBe(0);
      expect(w16.insideCells, `block at ${first}`).toBe(checkNativeInsideTest('avx2', first, 2 ** 24).insideCells);
    }
  });
});
