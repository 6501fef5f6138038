import { beforeAll, describe, expect, it } from 'vitest';
import { standardErrorOfPi } from '../support/grid-bias.js';
import { countInside, warmUp } from '../../kernel/index.js';

// Statistical behaviour of the estimate 4 * inside / n. All inputs are fixed, so the test is
// deterministic; the bounds are wide (about 5 sigma) so that a correct generator passes them
// with overwhelming probability and they are not tuned to the particular seeds.
const SEEDS = 200;
const POINTS = 10_000_000;

function zScore(inside: number, points: number): number {
  return ((4 * inside) / points - Math.PI) / standardErrorOfPi(points);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const [mx, my] = [mean(xs), mean(ys)];
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) sxy += (xs[i] - mx) * (ys[i] - my);
  return sxy / (xs.length - 1) / Math.sqrt(variance(xs) * variance(ys));
}

describe('the π estimate behaves like an unbiased Monte Carlo estimate', () => {
  const chunk0: number[] = [];
  const chunk1: number[] = [];

  beforeAll(() => {
    warmUp();
    // Spread-out seeds (multiples of a large odd constant) and consecutive ones both occur.
    for (let i = 0; i < SEEDS; i++) {
      const seed = i < SEEDS / 2 ? BigInt(i) : (BigInt(i) * 0x9e3779b97f4a7c15n) % (1n << 64n);
      chunk0.push(countInside(seed, 0, POINTS));
      chunk1.push(countInside(seed, 1, POINTS));
    }
  });

  it('every seed lies within 5 standard errors of π', () => {
    for (const inside of [...chunk0, ...chunk1]) expect(Math.abs(zScore(inside, POINTS))).toBeLessThan(5);
  });

  it('z-scores look standard normal: mean near 0, variance near 1, ~68% within 1 sigma', () => {
    const z = [...chunk0, ...chunk1].map((inside) => zScore(inside, POINTS));
    // n = 400: sd(mean) = 0.05, sd(variance) ~ 0.07, sd(fraction within 1) ~ 0.023.
    expect(Math.abs(mean(z))).toBeLessThan(0.25);
    expect(variance(z)).toBeGreaterThan(0.65);
    expect(variance(z)).toBeLessThan(1.4);
    const within1 = z.filter((x) => Math.abs(x) < 1).length / z.length;
    expect(within1).toBeGreaterThan(0.57);
    expect(within1).toBeLessThan(0.8);
    const within2 = z.filter((x) => Math.abs(x) < 2).length / z.length;
    expect(within2).toBeGreaterThan(0.9);
  });

  it('chunks and seeds are uncorrelated (chunk 0 vs 1 of a seed; seed s vs s + 1)', () => {
    const z0 = chunk0.map((inside) => zScore(inside, POINTS));
    const z1 = chunk1.map((inside) => zScore(inside, POINTS));
    const bound = 5 / Math.sqrt(SEEDS); // 5 sigma of a sample correlation under independence
    expect(Math.abs(correlation(z0, z1))).toBeLessThan(bound);
    const consecutive = z0.slice(0, SEEDS / 2);
    expect(Math.abs(correlation(consecutive.slice(0, -1), consecutive.slice(1)))).toBeLessThan(5 / Math.sqrt(SEEDS / 2));
  });

  it('all samples together estimate π within 5 standard errors (4e9 points)', () => {
    const inside = [...chunk0, ...chunk1].reduce((s, x) => s + x, 0);
    expect(Math.abs(zScore(inside, 2 * SEEDS * POINTS))).toBeLessThan(5);
  });

  it('splitting n points into chunks gives a sane combined estimate', () => {
    // 10^9 points as unequal chunks, as a coordinator would plan them (last chunk shorter).
    const total = 1_000_000_000;
    const chunkPoints = 37_000_003;
    let inside = 0;
    let planned = 0;
    for (let chunk = 0; planned < total; chunk++) {
      const points = Math.min(chunkPoints, total - planned);
      inside += countInside(31_415n, chunk, points);
      planned += points;
    }
    expect(planned).toBe(total);
    expect(Math.abs(zScore(inside, total))).toBeLessThan(5);
    // The same points counted as one chunk per 10^8 give a different but equally valid sample.
    let inside2 = 0;
    for (let chunk = 0; chunk < 10; chunk++) inside2 += countInside(31_415n, chunk, total / 10);
    expect(Math.abs(zScore(inside2, total))).toBeLessThan(5);
    expect(Math.abs((4 * (inside - inside2)) / total)).toBeLessThan(10 * standardErrorOfPi(total));
  });
});
