/**
 * The plain-JS reference implementation of the stream in `stream-spec.ts`.
 *
 * Written for obviousness, not speed: samples are produced one by one in stream order
 * (sample n = lane n mod 16, output n div 16), lane states are derived in BigInt, and the
 * inside test is the geometric one, (2u+1)^2 + (2v+1)^2 <= 2^34, evaluated in BigInt. The fast
 * kernels use different but equivalent formulations, so agreement is a real check.
 * It runs at about 14 million samples per second.
 */
import { GAMMA, MIX_M1, MIX_M2, SFC_COUNTER_START, STREAM_LANES } from './stream-spec.js';
import { validateChunkInput } from './kernel-errors.js';

const U64 = (1n << 64n) - 1n;
const RADIUS_SQUARED = 1n << 34n;

/** splitmix64's finalizer: a bijection on u64. */
export function mix64(z: bigint): bigint {
  z &= U64;
  z = ((z ^ (z >> 30n)) * MIX_M1) & U64;
  z = ((z ^ (z >> 27n)) * MIX_M2) & U64;
  return z ^ (z >> 31n);
}

/** The initial sfc32 state words (a, b, c) of one lane of one chunk; lane is 0..15. */
export function laneState(seed: bigint, chunkIndex: number, lane: number): [number, number, number] {
  const id = BigInt(chunkIndex) * BigInt(STREAM_LANES) + BigInt(lane);
  const z0 = mix64(seed + GAMMA);
  const z1 = mix64(z0 + (2n * id + 1n) * GAMMA);
  const z2 = mix64(z0 + (2n * id + 2n) * GAMMA);
  return [Number(z1 & 0xffffffffn), Number(z1 >> 32n), Number(z2 & 0xffffffffn)];
}

/** One lane's sfc32 generator, state words as u32 numbers. */
export class Sfc32 {
  private counter = SFC_COUNTER_START;

  constructor(
    private a: number,
    private b: number,
    private c: number,
  ) {}

  /** The next 32-bit output (as an unsigned number). */
  next(): number {
    const t = (this.a + this.b + this.counter) >>> 0;
    this.counter = (this.counter + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) >>> 0;
    return t;
  }
}

/** The grid cell (u, v), each 0..65535, that a 32-bit output selects. */
export function cellOf(output: number): [number, number] {
  return [(output >>> 16) ^ 0x8000, (output & 0xffff) ^ 0x8000];
}

/** Whether the midpoint of the cell selected by `output` lies inside the quarter circle. */
export function isInside(output: number): boolean {
  const [u, v] = cellOf(output);
  const x = 2n * BigInt(u) + 1n;
  const y = 2n * BigInt(v) + 1n;
  return x * x + y * y <= RADIUS_SQUARED;
}

function chunkLanes(seed: bigint, chunkIndex: number): Sfc32[] {
  return Array.from({ length: STREAM_LANES }, (_, lane) => new Sfc32(...laneState(seed, chunkIndex, lane)));
}

/** The first `count` 32-bit outputs of a chunk's stream, in stream order. For tests and docs. */
export function streamOutputs(seed: bigint, chunkIndex: number, count: number): number[] {
  const lanes = chunkLanes(seed, chunkIndex);
  const out: number[] = [];
  for (let n = 0; n < count; n++) out.push(lanes[n % STREAM_LANES].next());
  return out;
}

/**
 * Counts the samples inside the quarter circle among the first `points` samples of chunk
 * (seed, chunkIndex). Same contract and input validation as `countInside`.
 */
export function countInsideReference(seed: bigint, chunkIndex: number, points: number): number {
  validateChunkInput(seed, chunkIndex, points);
  const lanes = chunkLanes(seed, chunkIndex);
  let inside = 0;
  for (let n = 0; n < points; n++) {
    if (isInside(lanes[n % STREAM_LANES].next())) inside++;
  }
  return inside;
}
