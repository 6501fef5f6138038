import { describe, expect, it } from 'vitest';
import { gridBias, midpointLatticeCount, standardErrorOfPi } from '../support/grid-bias.js';
import { checkInsideTestsExhaustively } from '../support/wasm-inside-check.js';

describe('the inside test is exact on every grid cell', () => {
  it('both WebAssembly formulations agree on all 2^32 cells and count the exact lattice', () => {
    const { insideCells, disagreements } = checkInsideTestsExhaustively();
    expect(disagreements).toBe(0);
    expect(insideCells).toBe(Number(midpointLatticeCount(16)));
  });
});

describe('grid bias of 16-bit midpoint sampling (docs/exactness.md)', () => {
  it('counts 3,373,259,477 of the 2^32 cell midpoints inside', () => {
    expect(midpointLatticeCount(16)).toBe(3_373_259_477n);
  });

  it('matches a brute-force count at small resolutions', () => {
    for (const bits of [1, 2, 3, 6, 8]) {
      const n = 2 ** bits;
      let brute = 0;
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < n; v++) if ((2 * u + 1) ** 2 + (2 * v + 1) ** 2 <= 4 * n * n) brute++;
      }
      expect(midpointLatticeCount(bits)).toBe(BigInt(brute));
    }
  });

  it('biases π by +4.7376e-8, 10.96x below the standard error at 10^13 points', () => {
    const bias = gridBias(16);
    expect(bias.excessCells).toBeCloseTo(50.8695, 3);
    expect(bias.biasOnPi).toBeCloseTo(4.7376e-8, 11);
    expect(standardErrorOfPi(1e13) / bias.biasOnPi).toBeGreaterThan(10);
    expect(standardErrorOfPi(1e12) / bias.biasOnPi).toBeGreaterThan(34);
  });
});
