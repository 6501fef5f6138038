/**
 * Exhaustive proof of the WebAssembly inside tests: evaluates both generated formulations
 * ("dot" and "mul", see `wasm-kernel-module.ts`) on every one of the 2^32 possible 32-bit
 * outputs, i.e. on every cell of the 65536 x 65536 grid, and reports how many cells they call
 * inside and on how many they disagree. Used by `kernel-exhaustive.test.ts` (a few seconds).
 */
import { encodeModule, FunctionBuilder, Op, SimdOp, ValType } from '../../kernel/wasm/wasm-assembler.js';
import { declareStepLocals, emitHorizontalSum, emitInsideMask } from '../../kernel/wasm/wasm-kernel-module.js';
import { instantiateSync } from '../../kernel/wasm/wasm-runtime.js';

interface CheckExports {
  check: (first: number, vectors: number) => [number, number];
}

function buildCheck(): FunctionBuilder {
  // check(first, vectors) -> (insideByDot, disagreements) over outputs first .. first + 4*vectors - 1
  const f = new FunctionBuilder([ValType.i32, ValType.i32], [ValType.i32, ValType.i32]);
  const [first, vectors] = [0, 1];
  const L = declareStepLocals(f);
  const [outputs, four, dot, inside, disagree] = [0, 1, 2, 3, 4].map(() => f.local(ValType.v128));
  f.get(first).simd(SimdOp.i32x4Splat).v128I32x4([0, 1, 2, 3]).simd(SimdOp.i32x4Add).set(outputs);
  f.i32(4).simd(SimdOp.i32x4Splat).set(four);
  f.i32(0).simd(SimdOp.i32x4Splat).tee(inside).set(disagree);
  f.loop();
  f.get(outputs).set(L.r);
  emitInsideMask(f, L, 'dot');
  f.tee(dot).get(inside).simd(SimdOp.i32x4Add).set(inside); // inside counts downwards (mask = -1)
  f.get(outputs).set(L.r);
  emitInsideMask(f, L, 'mul');
  f.get(dot).simd(SimdOp.v128Xor).get(disagree).simd(SimdOp.i32x4Sub).set(disagree);
  f.get(outputs).get(four).simd(SimdOp.i32x4Add).set(outputs);
  f.get(vectors).i32(1).op(Op.i32Sub).tee(vectors).brIf(0);
  f.end();
  f.i32(0);
  emitHorizontalSum(f, inside);
  f.op(Op.i32Sub);
  emitHorizontalSum(f, disagree);
  return f;
}

/** Result of {@link checkInsideTestsExhaustively}. */
export interface InsideCheckResult {
  /** Cells the "dot" test calls inside (must equal midpointLatticeCount(16)). */
  readonly insideCells: number;
  /** Cells on which "dot" and "mul" disagree (must be 0). */
  readonly disagreements: number;
}

/** Runs both inside tests over all 2^32 outputs, in 256 calls of 2^24 outputs. */
export function checkInsideTestsExhaustively(): InsideCheckResult {
  const { check } = instantiateSync<CheckExports>(encodeModule([{ name: 'check', fn: buildCheck() }], 1));
  const piece = 2 ** 24;
  let insideCells = 0;
  let disagreements = 0;
  for (let first = 0; first < 2 ** 32; first += piece) {
    const [inside, disagree] = check(first | 0, piece / 4);
    insideCells += inside >>> 0;
    disagreements += disagree >>> 0;
  }
  return { insideCells, disagreements };
}
