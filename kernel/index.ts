/**
 * pigrid's π kernel: counts, exactly and reproducibly, how many samples of a chunk fall
 * inside the quarter circle. A chunk is keyed only by (seed, chunkIndex, points) and every
 * implementation returns the same integer on every machine (docs/exactness.md).
 *
 * The kernel is chosen once per thread, fastest exact one first: the native SIMD addon
 * (native/: AVX-512 or AVX2 by runtime CPU dispatch) when it was built and the CPU runs it,
 * else a WebAssembly SIMD128 module generated at load time by `wasm-kernel-module.ts`, else
 * (engines without SIMD128) the plain-JS kernel. All give the identical counts;
 * `PIGRID_KERNEL=auto|wasm|avx2|avx512` overrides the choice (docs/exactness.md).
 */
import { probeNativeKernel, type CountChunks } from '../native/native-kernel.js';
import { invalidConfig } from '../shared/errors.js';
import { countInsideJs } from './js-integer-kernel.js';
import { STREAM_LANES, type CountInside } from './stream-spec.js';
import { createWasmKernel, wasmSimdSupported } from './wasm/wasm-kernel.js';

export { MAX_CHUNK_POINTS, STREAM_VERSION, type CountInside } from './stream-spec.js';
export { CHUNK_STOPPED, CHUNK_WITHDRAWN, type ChunkSlots, type CountChunks } from '../native/native-kernel.js';
export {
  KernelErrorCode,
  isSerializedKernelError,
  rebuildKernelError,
  type CodedError,
  type KernelErrorCodeValue,
  type SerializedKernelError,
} from './kernel-errors.js';

const simd = wasmSimdSupported();
const native = probeNativeKernel();

/**
 * Name of the kernel this process runs, e.g. `native-avx2-sfc32x16-mid16` or
 * `wasm-simd128-sfc32x16-mid16` (reported to the coordinator in Hello.kernel).
 */
export const KERNEL_NAME: string = native.kernel?.name ?? (simd ? 'wasm-simd128-sfc32x16-mid16' : 'js-int32-sfc32x16-mid16');

/**
 * Why this kernel: the dispatch decision's reason (logged at start). `refused` is set when
 * PIGRID_KERNEL asks for a kernel this machine cannot run: a configuration error to stop on.
 */
export const KERNEL_CHOICE: { readonly name: string; readonly reason: string; readonly refused: boolean } = Object.freeze({
  name: KERNEL_NAME,
  reason: native.decision.reason,
  refused: native.decision.kernel === 'refused',
});

/** Stops a process whose PIGRID_KERNEL asks for a kernel this machine cannot run; else returns the choice. */
export function checkedKernelChoice(): typeof KERNEL_CHOICE {
  if (KERNEL_CHOICE.refused) throw invalidConfig('kernel choice', [KERNEL_CHOICE.reason]);
  return KERNEL_CHOICE;
}

// The one place that picks the kernel this process runs; everything above (the pool, the workers) is unchanged. Made on
// first use, so a main thread that only asks which kernel runs (to log it) never instantiates one.
let kernel: CountInside | undefined;

/**
 * Number of samples inside the quarter circle among the first `points` samples of chunk
 * (seed, chunkIndex). Synchronous; about 6 ms per 2^24 points on one core.
 *
 * @param seed calculation seed, 0..2^64-1.
 * @param chunkIndex 0..2^32-1.
 * @param points 1..MAX_CHUNK_POINTS.
 * @param shouldStop optional; polled about every 2^24 points. When it returns true the call
 *   throws an Error with code `KERNEL_ABORTED` (ignored by the plain-JS fallback).
 * @throws RangeError with code `KERNEL_INVALID_INPUT` for out-of-range arguments.
 */
export function countInside(seed: bigint, chunkIndex: number, points: number, shouldStop?: () => boolean): number {
  kernel ??= native.kernel?.countInside ?? (simd ? createWasmKernel() : countInsideJs);
  return kernel(seed, chunkIndex, points, shouldStop);
}

/**
 * The kernel's loop over a run of consecutive chunks, when the kernel this process runs has one: the native kernel's
 * (native/src/chunks.c; each chunk counted exactly as `countInside` counts it, with the pool's task control honoured
 * chunk by chunk). Undefined for the WebAssembly and plain-JS kernels, and with an addon built before it: the caller
 * then calls `countInside` per chunk. One call per run instead of one per chunk keeps the JavaScript and Node-API glue
 * out of the thread between chunks (docs/performance.md, "The pool's own excess with small chunks").
 */
export function chunkLoop(): CountChunks | undefined {
  return native.kernel?.countChunks;
}

/**
 * Makes a few hundred tiny kernel calls so the engine tiers the kernel up before the first
 * real chunk (docs/performance.md, "The JIT lottery"), then a few dozen small ones (~2 ms) so the optimized
 * code, compiled in the background, is installed before warmUp returns. Call once per thread,
 * before any work.
 */
export function warmUp(): void {
  for (let i = 0; i < 300; i++) {
    countInside(BigInt(i), i, STREAM_LANES * (1 + (i % 8)) + (i % STREAM_LANES) + 1);
  }
  for (let i = 0; i < 40; i++) countInside(BigInt(i), i, 1 << 16);
}
