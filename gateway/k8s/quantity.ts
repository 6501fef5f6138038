/**
 * Kubernetes resource quantities ("250m", "1", "123456n", "64Mi", "1e3", "1.5Gi") as numbers.
 * Grammar: `<signedNumber><suffix>` where the suffix is a binary SI suffix (Ki Mi Gi Ti Pi Ei),
 * a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent (e3, E-2). Unparsable input
 * yields `null`: a malformed metric is an expected outcome, not an exception.
 */

const MULTIPLIERS: Readonly<Record<string, number>> = Object.freeze({
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
});

// Suffix alternatives are tried before the exponent, so "1E" is exa and "1E3" backtracks to 1000.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** Parses a quantity to its plain value (cores for CPU, bytes for memory); `null` if malformed. */
export function parseQuantity(text: string | number | null | undefined): number | null {
  if (typeof text === 'number') return Number.isFinite(text) ? text : null;
  if (typeof text !== 'string') return null;
  const match = QUANTITY.exec(text.trim());
  if (!match) return null;
  const [, numberPart, suffix, exponent] = match;
  const base = Number(numberPart);
  const value = exponent !== undefined ? base * 10 ** Number(exponent) : base * MULTIPLIERS[suffix ?? ''];
  return Number.isFinite(value) ? value : null;
}

/**
 * CPU quantity in millicores, precise to the nanocore ("123456n" → 0.123456, "1" → 1000,
 * "250m" → 250); `null` if malformed.
 */
export function parseCpuMillicores(text: string | number | null | undefined): number | null {
  const cores = parseQuantity(text);
  if (cores === null) return null;
  // Round to whole nanocores so 0.1 + float noise does not leak into the JSON.
  return Math.round(cores * 1e9) / 1e6;
}

/**
 * Memory quantity in whole bytes, rounded up like Kubernetes' `Quantity.Value()`
 * ("64Mi" → 67108864, "1.5k" → 1500, "1500m" → 2); `null` if malformed.
 */
export function parseMemoryBytes(text: string | number | null | undefined): number | null {
  const bytes = parseQuantity(text);
  if (bytes === null) return null;
  // Strip float noise (1.1 * 2^30 = 1181116006.4000001) before rounding up.
  return Math.ceil(Math.round(bytes * 1e6) / 1e6);
}

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)/gy;
const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = Object.freeze({
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  µs: 1e-6,
  ns: 1e-9,
});

/**
 * A Go duration as serialised by metrics.k8s.io ("10.015s", "1m0s", "500ms") in seconds;
 * `null` if malformed.
 */
export function parseGoDurationSeconds(text: string | null | undefined): number | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  if (text === '0') return 0;
  DURATION_PART.lastIndex = 0;
  let seconds = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(text); m !== null; m = DURATION_PART.exec(text)) {
    seconds += Number(m[1]) * DURATION_UNIT_SECONDS[m[2]];
    consumed = DURATION_PART.lastIndex;
  }
  if (consumed !== text.length) return null;
  return Math.round(seconds * 1e6) / 1e6;
}
