/**
 * Generates the WebAssembly SIMD128 π kernel as bytes, with the assembler in
 * `wasm-assembler.ts`. The module implements the stream of `stream-spec.ts`:
 *
 * - `init(seed: i64, chunkIndex: i32)` derives the 16 lane states into memory. Lane L's word
 *   k (a, b, c) sits at byte (L >> 2) * 48 + k * 16 + (L & 3) * 4, so lanes 4j..4j+3 of word k
 *   form one v128 ("vector j"); the shared counter (value of the last output drawn) is a v128
 *   at byte 192.
 * - `run(steps: i32) -> i32` advances all 16 lanes by `steps` outputs, stores the state back
 *   and returns how many of the 16 * steps samples were inside (steps < 2^28).
 * - `tail(lanes: i32) -> i32` draws one more output on every lane and counts only lanes
 *   0..lanes-1 (the partial last step of a chunk).
 *
 * Inside test ("dot", the default). Read the output t's halves as signed 16-bit x = u - 32768,
 * y = v - 32768 (see `stream-spec.ts`). With D = x + y and Q = x(x+1) + y(y+1):
 *   u(u+1) + v(v+1) <= 2^32 - 1  <=>  Q + 2^16 D <= 2^31 - 2^16 - 1
 *                                <=>  Q/2 + 2^15 D < 2^30 - 2^15     (Q and 2^16 D are even)
 * and when D >= 2^15 the point is outside whatever Q is, so D may be clamped to 2^15 - 1, which
 * keeps H = Q/2 + 2^15 min(D, 2^15 - 1) inside i32. `i32x4.dot_i16x8_s` gives x^2 + y^2 and
 * x + y in one instruction each: 9 vector instructions per 4 samples. Q is computed modulo 2^32
 * (x^2 + y^2 = 2^31 wraps) but its true value is below 2^31, so the wrap cancels.
 * The "mul" test computes a = u(u+1), b = v(v+1) with i32x4.mul and checks a + b >=u a (no
 * carry); it is kept for comparison and as a second exact formulation in the tests.
 */
import { encodeModule, FunctionBuilder, Op, SimdOp, ValType } from './wasm-assembler.js';
import { GAMMA, MIX_M1, MIX_M2, SFC_COUNTER_START, STREAM_LANES } from '../stream-spec.js';

const VECTORS = STREAM_LANES / 4;
const WORDS = 3;
const VECTOR_BYTES = WORDS * 16;
const COUNTER_OFFSET = VECTORS * VECTOR_BYTES;

/** How the generated code is shaped; every shape computes the same counts. */
export interface WasmKernelShape {
  /**
   * How many of the 4 state vectors one loop iteration advances together (1, 2 or 4).
   * @default 4
   */
  readonly interleave?: 1 | 2 | 4;
  /** The inside test formulation (see the file comment). @default 'dot' */
  readonly insideTest?: 'dot' | 'mul';
}

/** Locals of one state vector: sfc32 words a, b, c. */
type VectorState = [number, number, number];

/** Locals shared by the step code (exported for the other generated modules). */
export interface StepLocals {
  readonly r: number;
  readonly d: number;
  readonly counter: number;
  readonly ones: number;
  readonly ones16: number;
  readonly dMax: number;
  readonly threshold: number;
  readonly flip: number;
}

/** Declares and initialises the {@link StepLocals} of function `f`. */
export function declareStepLocals(f: FunctionBuilder): StepLocals {
  const v = (): number => f.local(ValType.v128);
  const L = { r: v(), d: v(), counter: v(), ones: v(), ones16: v(), dMax: v(), threshold: v(), flip: v() };
  const splat = (value: number, local: number): void => {
    f.i32(value).simd(SimdOp.i32x4Splat).set(local);
  };
  splat(1, L.ones);
  splat(0x00010001, L.ones16);
  splat(0x7fff, L.dMax);
  splat((1 << 30) - (1 << 15), L.threshold);
  splat(0x80008000 | 0, L.flip);
  return L;
}

function loadState(f: FunctionBuilder, vector: number): VectorState {
  const s = [0, 1, 2].map(() => f.local(ValType.v128)) as VectorState;
  s.forEach((local, k) =>
    f
      .i32(0)
      .v128Load(vector * VECTOR_BYTES + k * 16)
      .set(local),
  );
  return s;
}

function storeState(f: FunctionBuilder, vector: number, s: VectorState): void {
  s.forEach((local, k) =>
    f
      .i32(0)
      .get(local)
      .v128Store(vector * VECTOR_BYTES + k * 16),
  );
}

/** One sfc32 step on 4 lanes with the (already advanced) counter; leaves the output in `L.r`. */
function emitSfc32Step(f: FunctionBuilder, [a, b, c]: VectorState, L: StepLocals): void {
  f.get(a).get(b).simd(SimdOp.i32x4Add).get(L.counter).simd(SimdOp.i32x4Add).set(L.r);
  f.get(b).get(b).i32(9).simd(SimdOp.i32x4ShrU).simd(SimdOp.v128Xor).set(a);
  f.get(c).get(c).i32(3).simd(SimdOp.i32x4Shl).simd(SimdOp.i32x4Add).set(b);
  f.get(c).i32(21).simd(SimdOp.i32x4Shl).get(c).i32(11).simd(SimdOp.i32x4ShrU).simd(SimdOp.v128Or).get(L.r).simd(SimdOp.i32x4Add).set(c);
}

function emitCounterAdvance(f: FunctionBuilder, L: StepLocals): void {
  f.get(L.counter).get(L.ones).simd(SimdOp.i32x4Add).set(L.counter);
}

/** Pushes the inside mask (all-ones lanes = inside) of the outputs in `L.r`; may clobber `L.r`. */
export function emitInsideMask(f: FunctionBuilder, L: StepLocals, test: 'dot' | 'mul'): void {
  if (test === 'dot') {
    f.get(L.r).get(L.ones16).simd(SimdOp.i32x4DotI16x8S).set(L.d); // D = x + y
    f.get(L.r)
      .get(L.r)
      .simd(SimdOp.i32x4DotI16x8S)
      .get(L.d)
      .simd(SimdOp.i32x4Add) // Q
      .i32(1)
      .simd(SimdOp.i32x4ShrU)
      .get(L.d)
      .get(L.dMax)
      .simd(SimdOp.i32x4MinS)
      .i32(15)
      .simd(SimdOp.i32x4Shl)
      .simd(SimdOp.i32x4Add) // H
      .get(L.threshold)
      .simd(SimdOp.i32x4LtS);
    return;
  }
  // u = (r ^ 0x80008000) >>> 16, v = (r ^ 0x80008000) & 0xffff; a = u(u+1) in d, b = v(v+1) in r.
  f.get(L.r).get(L.flip).simd(SimdOp.v128Xor).set(L.r);
  f.get(L.r).i32(16).simd(SimdOp.i32x4ShrU).tee(L.d).get(L.d).get(L.ones).simd(SimdOp.i32x4Add).simd(SimdOp.i32x4Mul).set(L.d);
  f.get(L.r)
    .i32(16)
    .simd(SimdOp.i32x4Shl)
    .i32(16)
    .simd(SimdOp.i32x4ShrU)
    .tee(L.r)
    .get(L.r)
    .get(L.ones)
    .simd(SimdOp.i32x4Add)
    .simd(SimdOp.i32x4Mul)
    .set(L.r);
  f.get(L.d).get(L.r).simd(SimdOp.i32x4Add).get(L.d).simd(SimdOp.i32x4GeU);
}

/** Pushes the horizontal sum of the four i32 lanes of `local`. */
export function emitHorizontalSum(f: FunctionBuilder, local: number): void {
  f.get(local).simd(SimdOp.i32x4ExtractLane, 0);
  for (let lane = 1; lane < 4; lane++) f.get(local).simd(SimdOp.i32x4ExtractLane, lane).op(Op.i32Add);
}

/** Replaces the i64 on top of the stack by splitmix64's finalizer of it, also left in local `z`. */
export function emitMix64(f: FunctionBuilder, z: number): void {
  f.tee(z)
    .get(z)
    .i64(30n)
    .op(Op.i64ShrU)
    .op(Op.i64Xor)
    .i64(MIX_M1)
    .op(Op.i64Mul)
    .tee(z)
    .get(z)
    .i64(27n)
    .op(Op.i64ShrU)
    .op(Op.i64Xor)
    .i64(MIX_M2)
    .op(Op.i64Mul)
    .tee(z)
    .get(z)
    .i64(31n)
    .op(Op.i64ShrU)
    .op(Op.i64Xor)
    .tee(z);
}

function buildInit(): FunctionBuilder {
  const f = new FunctionBuilder([ValType.i64, ValType.i32], []);
  const [seed, chunk] = [0, 1];
  const lane = f.local(ValType.i32);
  const addr = f.local(ValType.i32);
  const [z, z0, k1] = [0, 1, 2].map(() => f.local(ValType.i64));
  f.get(seed).i64(GAMMA).op(Op.i64Add);
  emitMix64(f, z);
  f.set(z0);
  f.i32(0).set(lane).loop();
  {
    // k1 = z0 + (2 id + 1) * GAMMA with id = chunk * 16 + lane; z1 = mix(k1), z2 = mix(k1 + GAMMA)
    f.get(z0)
      .get(chunk)
      .op(Op.i64ExtendI32U)
      .i64(BigInt(STREAM_LANES))
      .op(Op.i64Mul)
      .get(lane)
      .op(Op.i64ExtendI32U)
      .op(Op.i64Add)
      .i64(2n)
      .op(Op.i64Mul)
      .i64(1n)
      .op(Op.i64Add)
      .i64(GAMMA)
      .op(Op.i64Mul)
      .op(Op.i64Add)
      .set(k1);
    f.get(lane)
      .i32(2)
      .op(Op.i32ShrU)
      .i32(VECTOR_BYTES)
      .op(Op.i32Mul)
      .get(lane)
      .i32(3)
      .op(Op.i32And)
      .i32(2)
      .op(Op.i32Shl)
      .op(Op.i32Add)
      .set(addr);
    f.get(addr).get(k1);
    emitMix64(f, z);
    f.op(Op.i32WrapI64).i32Store(0); // a = lo32(z1)
    f.get(addr).get(z).i64(32n).op(Op.i64ShrU).op(Op.i32WrapI64).i32Store(16); // b = hi32(z1)
    f.get(addr).get(k1).i64(GAMMA).op(Op.i64Add);
    emitMix64(f, z);
    f.op(Op.i32WrapI64).i32Store(32); // c = lo32(z2)
    f.get(lane).i32(1).op(Op.i32Add).tee(lane).i32(STREAM_LANES).op(Op.i32LtU).brIf(0);
  }
  f.end();
  // Memory holds the counter value of the last output drawn; run/tail advance it before use.
  f.i32(0)
    .i32(SFC_COUNTER_START - 1)
    .simd(SimdOp.i32x4Splat)
    .v128Store(COUNTER_OFFSET);
  return f;
}

function buildRun(interleave: number, test: 'dot' | 'mul'): FunctionBuilder {
  const f = new FunctionBuilder([ValType.i32], [ValType.i32]);
  const steps = 0;
  const i = f.local(ValType.i32);
  const total = f.local(ValType.i32);
  const acc = f.local(ValType.v128);
  const L = declareStepLocals(f);
  // The loops below are do-while loops (measurably faster than a guarded while), so 0 steps
  // must return before entering them.
  f.get(steps).op(Op.i32Eqz).if().i32(0).op(Op.return).end();
  for (let first = 0; first < VECTORS; first += interleave) {
    const group = Array.from({ length: interleave }, (_, k) => first + k);
    const states = group.map((vector) => loadState(f, vector));
    f.i32(0).v128Load(COUNTER_OFFSET).set(L.counter);
    f.i32(0).simd(SimdOp.i32x4Splat).set(acc);
    f.get(steps).set(i).loop();
    emitCounterAdvance(f, L);
    for (const s of states) {
      emitSfc32Step(f, s, L);
      f.get(acc);
      emitInsideMask(f, L, test);
      f.simd(SimdOp.i32x4Sub).set(acc);
    }
    f.get(i).i32(1).op(Op.i32Sub).tee(i).brIf(0).end();
    group.forEach((vector, k) => storeState(f, vector, states[k]));
    f.get(total);
    emitHorizontalSum(f, acc);
    f.op(Op.i32Add).set(total);
  }
  // Every group advanced the same counter from the same start; store it once.
  f.i32(0).get(L.counter).v128Store(COUNTER_OFFSET);
  f.get(total);
  return f;
}

function buildTail(test: 'dot' | 'mul'): FunctionBuilder {
  const f = new FunctionBuilder([ValType.i32], [ValType.i32]);
  const lanes = 0;
  const acc = f.local(ValType.v128);
  const L = declareStepLocals(f);
  f.i32(0).v128Load(COUNTER_OFFSET).set(L.counter);
  emitCounterAdvance(f, L);
  f.i32(0).simd(SimdOp.i32x4Splat).set(acc);
  for (let vector = 0; vector < VECTORS; vector++) {
    const s = loadState(f, vector);
    emitSfc32Step(f, s, L);
    f.get(acc);
    emitInsideMask(f, L, test);
    const base = vector * 4;
    f.v128I32x4([base, base + 1, base + 2, base + 3])
      .get(lanes)
      .simd(SimdOp.i32x4Splat)
      .simd(SimdOp.i32x4LtS)
      .simd(SimdOp.v128And);
    f.simd(SimdOp.i32x4Sub).set(acc);
  }
  emitHorizontalSum(f, acc);
  return f;
}

/** The kernel module's binary, generated from `shape`. */
export function buildWasmKernelModule(shape: WasmKernelShape = {}): Uint8Array<ArrayBuffer> {
  const interleave = shape.interleave ?? 4;
  const test = shape.insideTest ?? 'dot';
  return encodeModule(
    [
      { name: 'init', fn: buildInit() },
      { name: 'run', fn: buildRun(interleave, test) },
      { name: 'tail', fn: buildTail(test) },
    ],
    1,
  );
}
