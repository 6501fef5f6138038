/**
 * The exact discretisation bias of midpoint sampling on a 2^bits x 2^bits grid, and the
 * statistical standard error it is compared with (docs/exactness.md).
 *
 * The kernel samples cell midpoints uniformly, so with perfect random numbers its expected
 * estimate is 4 * (cells whose midpoint is inside) / (number of cells), not π. The difference
 * is the grid bias; it does not shrink with more samples.
 */

/** π to 40 decimals, scaled by 10^40 (for exact BigInt arithmetic). */
const PI_E40 = 31415926535897932384626433832795028841971n;
const E40 = 10n ** 40n;

/**
 * Cells (u, v) of the 2^bits grid on the unit square whose midpoint lies inside the quarter
 * circle: (2u+1)^2 + (2v+1)^2 <= 2^(2 bits + 2), i.e. u(u+1) + v(v+1) <= 4^bits - 1.
 * Walks the boundary once (2^bits steps), in exact integer arithmetic (doubles hold every
 * value exactly up to bits = 26).
 */
export function midpointLatticeCount(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 1 || bits > 26) throw new RangeError(`bits must be 1..26 (got ${bits})`);
  const n = 2 ** bits;
  const limit = n * n - 1;
  let count = 0;
  let v = n - 1;
  for (let u = 0; u < n; u++) {
    const a = u * (u + 1);
    while (v >= 0 && a + v * (v + 1) > limit) v--;
    count += v + 1;
  }
  return BigInt(count);
}

/** The grid bias of one resolution, exactly and as floating-point figures. */
export interface GridBias {
  readonly bits: number;
  /** Cells in the grid: 4^bits. */
  readonly cells: bigint;
  /** Cells whose midpoint is inside. */
  readonly insideCells: bigint;
  /** insideCells - (π/4) * cells (to about 1e-20 cells). */
  readonly excessCells: number;
  /** Expected estimate minus π: 4 * insideCells / cells - π. */
  readonly biasOnPi: number;
}

/** The exact grid bias of midpoint sampling at `bits` bits per coordinate. */
export function gridBias(bits: number): GridBias {
  const insideCells = midpointLatticeCount(bits);
  const cells = 1n << BigInt(2 * bits);
  const excessE40 = insideCells * 4n * E40 - PI_E40 * cells; // 4 * excess * 10^40
  return {
    bits,
    cells,
    insideCells,
    excessCells: Number(excessE40 / 10n ** 20n) / 4e20,
    biasOnPi: Number((excessE40 * 10n ** 20n) / cells) / 1e60,
  };
}

/** Standard error of the estimate 4 * inside / n of π: 4 sqrt(p (1 - p) / n), p = π/4. */
export function standardErrorOfPi(points: number): number {
  const p = Math.PI / 4;
  return 4 * Math.sqrt((p * (1 - p)) / points);
}
