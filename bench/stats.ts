/** Median and spread of repeated measurements. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p95: number;
  p99: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('no values to summarize');
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1], p95: at(0.95), p99: at(0.99) };
}

export function fmt(v: number, digits = 2): string {
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(digits)} G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(digits)} M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(digits)} k`;
  return v.toFixed(digits);
}
