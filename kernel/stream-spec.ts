/**
 * The definition of pigrid's random stream, shared by every kernel implementation.
 * docs/exactness.md explains the choices; this file is the normative summary.
 *
 * A chunk is keyed only by (seed, chunkIndex). It has {@link STREAM_LANES} independent sfc32
 * generators ("lanes"); sample n of the chunk is output number floor(n / STREAM_LANES) of lane
 * n mod STREAM_LANES. A chunk of `points` samples counts samples 0..points-1, so a shorter
 * chunk is a prefix of a longer one with the same key (the "tail rule").
 *
 * Lane state, in u64 arithmetic with splitmix64's finalizer `mix`: the lane's words are
 * outputs 2*id+1 and 2*id+2 of a splitmix64 sequence whose state starts at z0,
 *   id = chunkIndex * STREAM_LANES + lane            (< 2^36)
 *   z0 = mix(seed + GAMMA)                           (splitmix64's first output for `seed`)
 *   z1 = mix(z0 + (2 id + 1) * GAMMA)
 *   z2 = mix(z0 + (2 id + 2) * GAMMA)
 *   a = lo32(z1), b = hi32(z1), c = lo32(z2), counter = SFC_COUNTER_START
 * k -> mix(z0 + k * GAMMA) is a bijection (GAMMA is odd, mix is invertible), so within one
 * seed every lane of every chunk starts from a distinct (a, b) pair; sfc32's counter rules
 * out the all-zero trap of xorshift-type generators.
 *
 * sfc32 step (Doty-Humphrey's "small fast chaotic" generator, 32-bit variant):
 *   t = a + b + counter; counter += 1; a = b ^ (b >>> 9); b = c + (c << 3);
 *   c = rotl(c, 21) + t; output t                    (all mod 2^32)
 *
 * Each output t picks the cell (u, v) = ((t >>> 16) ^ 0x8000, (t & 0xffff) ^ 0x8000) of a
 * 65536 x 65536 grid on the unit square; the sample is the cell midpoint
 * ((u + 1/2) / 65536, (v + 1/2) / 65536). (The 0x8000 flip is a relabelling that lets the
 * SIMD kernel read t's halves as signed 16-bit numbers u - 32768, v - 32768.) The sample is
 * inside the quarter circle iff (2u+1)^2 + (2v+1)^2 <= 2^34, i.e. u(u+1) + v(v+1) <= 2^32 - 1.
 */

/** Number of interleaved generator lanes per chunk; part of the stream definition. */
export const STREAM_LANES = 16;

/** Value of every lane's sfc32 counter for the first output (sfc32's customary start). */
export const SFC_COUNTER_START = 1;

/** splitmix64's increment (2^64 / golden ratio, odd). */
export const GAMMA = 0x9e3779b97f4a7c15n;
/** First multiplier of splitmix64's finalizer (Stafford's Mix13). */
export const MIX_M1 = 0xbf58476d1ce4e5b9n;
/** Second multiplier of splitmix64's finalizer. */
export const MIX_M2 = 0x94d049bb133111ebn;

/** Largest `points` a single chunk may have (the count must fit a u32). */
export const MAX_CHUNK_POINTS = 4_294_967_295;
/** Largest chunk index (u32). */
export const MAX_CHUNK_INDEX = 4_294_967_295;
/** Largest seed (u64). */
export const MAX_SEED = (1n << 64n) - 1n;

/**
 * What every kernel implements (WebAssembly, plain JS, or another one added beside them): the number of samples
 * inside the quarter circle among the first `points` samples of chunk (seed, chunkIndex) of this stream. A kernel that
 * can stop calls `shouldStop` between pieces and throws `KERNEL_ABORTED` when it returns true.
 */
export type CountInside = (seed: bigint, chunkIndex: number, points: number, shouldStop?: () => boolean) => number;

/**
 * Names the random stream and inside test. Two kernels with the same STREAM_VERSION return
 * identical counts for identical (seed, chunkIndex, points); change it whenever the stream
 * definition in this file changes. Workers announce it in their hello; the coordinator leases
 * nothing to a worker whose version differs from its own.
 */
export const STREAM_VERSION = 'sfc32x16-mid16/1';
