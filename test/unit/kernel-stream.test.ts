import { describe, expect, it } from 'vitest';
import { cellOf, laneState, mix64, Sfc32, streamOutputs } from '../../kernel/reference.js';
import { STREAM_LANES } from '../../kernel/stream-spec.js';

describe('stream definition building blocks', () => {
  it('mix64 of seed + GAMMA reproduces splitmix64 (seed 0: e220a8397b1dcdaf, 6e789e6aa1b965f4)', () => {
    const gamma = 0x9e3779b97f4a7c15n;
    expect(mix64(gamma)).toBe(0xe220a8397b1dcdafn);
    expect(mix64(2n * gamma)).toBe(0x6e789e6aa1b965f4n);
  });

  it("sfc32 follows Doty-Humphrey's update (t = a + b + counter; a = b ^ b >>> 9; b = 9c; c = rotl(c, 21) + t)", () => {
    const g = new Sfc32(0, 0, 0);
    // Worked by hand from all-zero words: t = 0+0+1, 0+0+2, 0+9+3, 9+(9*2^21+18)+4.
    expect([g.next(), g.next(), g.next(), g.next()]).toEqual([1, 2, 12, 9 * 2 ** 21 + 31]);
  });

  it('lane words are distinct for every lane of neighbouring chunks of a seed', () => {
    const seen = new Set<string>();
    for (let chunk = 0; chunk < 64; chunk++) {
      for (let lane = 0; lane < STREAM_LANES; lane++) seen.add(laneState(99n, chunk, lane).join(','));
    }
    expect(seen.size).toBe(64 * STREAM_LANES);
  });

  it('maps an output to its grid cell with the 0x8000 relabelling', () => {
    expect(cellOf(0x00000000)).toEqual([0x8000, 0x8000]);
    expect(cellOf(0x80008000)).toEqual([0, 0]);
    expect(cellOf(0x7fff_ffff >>> 0)).toEqual([0xffff, 0x7fff]);
  });

  it('cells are uniform over a coarse 16 x 16 grid (chi-square, 255 degrees of freedom)', () => {
    const n = 1 << 20;
    const bins = new Array<number>(256).fill(0);
    for (const output of streamOutputs(2025n, 3, n)) {
      const [u, v] = cellOf(output);
      bins[(u >>> 12) * 16 + (v >>> 12)]++;
    }
    const expected = n / 256;
    const chi2 = bins.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    // Mean 255, standard deviation 22.6: 5 sigma either side.
    expect(chi2).toBeGreaterThan(255 - 5 * 22.6);
    expect(chi2).toBeLessThan(255 + 5 * 22.6);
  });

  it('consecutive outputs of a lane show no serial correlation', () => {
    const outputs = streamOutputs(8n, 8, 16 * 100_000);
    let sxy = 0;
    let sx = 0;
    let sxx = 0;
    let count = 0;
    for (let i = 0; i + STREAM_LANES < outputs.length; i++) {
      const x = outputs[i] / 2 ** 32 - 0.5;
      const y = outputs[i + STREAM_LANES] / 2 ** 32 - 0.5; // the same lane's next output
      sxy += x * y;
      sx += x;
      sxx += x * x;
      count++;
    }
    const correlation = (sxy / count - (sx / count) ** 2) / (sxx / count - (sx / count) ** 2);
    expect(Math.abs(correlation)).toBeLessThan(5 / Math.sqrt(count));
  });
});
