/**
 * Runs the generated WebAssembly SIMD128 kernel: instantiates the module and drives it in
 * pieces of at most {@link PIECE_POINTS} samples.
 */
import { kernelError, KernelErrorCode, validateChunkInput } from '../kernel-errors.js';
import { STREAM_LANES, type CountInside } from '../stream-spec.js';
import { buildWasmKernelModule, type WasmKernelShape } from './wasm-kernel-module.js';
import { instantiateSync, validateModule } from './wasm-runtime.js';

/**
 * Samples per call into WebAssembly (2^24, ~6 ms at 2.8 G/s). V8 runs new WebAssembly code
 * in a baseline tier and swaps in optimized code only between calls, so one giant call would
 * run unoptimized to its end (docs/performance.md); pieces also bound how long a cancellation waits.
 */
export const PIECE_POINTS = 1 << 24;
const PIECE_STEPS = PIECE_POINTS / STREAM_LANES;

interface KernelExports {
  init(seed: bigint, chunkIndex: number): void;
  run(steps: number): number;
  tail(lanes: number): number;
}

export type { CountInside } from '../stream-spec.js';

/** True when this engine accepts WebAssembly SIMD128 (validates a generated module). */
export function wasmSimdSupported(): boolean {
  return validateModule(buildWasmKernelModule());
}

/**
 * Instantiates one kernel instance (its own memory) and returns its chunk counter, which
 * validates its input (`KERNEL_INVALID_INPUT`) and, if `shouldStop` is given, calls it between
 * pieces and throws `KERNEL_ABORTED` when it returns true. Not re-entrant, which is fine in a
 * pool thread (one isolate runs one call at a time).
 */
export function createWasmKernel(shape: WasmKernelShape = {}): CountInside {
  const wasm = instantiateSync<KernelExports>(buildWasmKernelModule(shape));
  return (seed, chunkIndex, points, shouldStop) => {
    validateChunkInput(seed, chunkIndex, points);
    // i64 parameters take a BigInt modulo 2^64; i32 parameters take the u32 bit pattern.
    wasm.init(seed, chunkIndex | 0);
    let steps = Math.floor(points / STREAM_LANES);
    let inside = 0;
    while (steps > 0) {
      const piece = Math.min(steps, PIECE_STEPS);
      inside += wasm.run(piece) >>> 0;
      steps -= piece;
      if (steps > 0 && shouldStop?.()) {
        throw kernelError(KernelErrorCode.ABORTED, `chunk ${chunkIndex} aborted by the caller`);
      }
    }
    const rest = points % STREAM_LANES;
    if (rest > 0) inside += wasm.tail(rest);
    return inside;
  };
}
