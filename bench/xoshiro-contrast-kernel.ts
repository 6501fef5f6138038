/**
 * CONTRAST ONLY — not pigrid's stream. The same WebAssembly SIMD128 kernel shape with
 * xoshiro128++ lanes instead of sfc32, kept so the benchmark can show why sfc32 was chosen:
 * xoshiro128++ needs 14 vector instructions per 4 outputs (three rotations, each a shift-shift-or
 * in SIMD128) against sfc32's ~10, which caps the kernel near 2.0 G samples/s on this machine.
 * Counts are exact integers but of a different random stream; only whole 16-sample steps are
 * counted (no tail).
 */
import { encodeModule, FunctionBuilder, Op, SimdOp, ValType } from '../kernel/wasm/wasm-assembler.js';
import { declareStepLocals, emitHorizontalSum, emitInsideMask, type StepLocals } from '../kernel/wasm/wasm-kernel-module.js';
import { mix64 } from '../kernel/reference.js';
import { instantiateSync, type WasmMemory } from '../kernel/wasm/wasm-runtime.js';
import { GAMMA, STREAM_LANES } from '../kernel/stream-spec.js';

const VECTORS = STREAM_LANES / 4;
type XoshiroState = [number, number, number, number];

function emitXoshiroStep(f: FunctionBuilder, [s0, s1, s2, s3]: XoshiroState, L: StepLocals, t: number): void {
  const xorInto = (dst: number, src: number): void => {
    f.get(dst).get(src).simd(SimdOp.v128Xor).set(dst);
  };
  // r = rotl(s0 + s3, 7) + s0
  f.get(s0)
    .get(s3)
    .simd(SimdOp.i32x4Add)
    .tee(L.r)
    .i32(7)
    .simd(SimdOp.i32x4Shl)
    .get(L.r)
    .i32(25)
    .simd(SimdOp.i32x4ShrU)
    .simd(SimdOp.v128Or)
    .get(s0)
    .simd(SimdOp.i32x4Add)
    .set(L.r);
  f.get(s1).i32(9).simd(SimdOp.i32x4Shl).set(t);
  xorInto(s2, s0);
  xorInto(s3, s1);
  xorInto(s1, s2);
  xorInto(s0, s3);
  xorInto(s2, t);
  f.get(s3).i32(11).simd(SimdOp.i32x4Shl).get(s3).i32(21).simd(SimdOp.i32x4ShrU).simd(SimdOp.v128Or).set(s3);
}

function buildRun(): FunctionBuilder {
  const f = new FunctionBuilder([ValType.i32], [ValType.i32]);
  const steps = 0;
  const acc = f.local(ValType.v128);
  const t = f.local(ValType.v128);
  const L = declareStepLocals(f);
  const states = Array.from({ length: VECTORS }, (_, vector) => {
    const s = [0, 1, 2, 3].map(() => f.local(ValType.v128)) as XoshiroState;
    s.forEach((local, k) =>
      f
        .i32(0)
        .v128Load(vector * 64 + k * 16)
        .set(local),
    );
    return s;
  });
  f.i32(0).simd(SimdOp.i32x4Splat).set(acc);
  f.loop();
  for (const s of states) {
    emitXoshiroStep(f, s, L, t);
    f.get(acc);
    emitInsideMask(f, L, 'dot');
    f.simd(SimdOp.i32x4Sub).set(acc);
  }
  f.get(steps).i32(1).op(Op.i32Sub).tee(steps).brIf(0).end();
  states.forEach((s, vector) =>
    s.forEach((local, k) =>
      f
        .i32(0)
        .get(local)
        .v128Store(vector * 64 + k * 16),
    ),
  );
  emitHorizontalSum(f, acc);
  return f;
}

/**
 * A counter over xoshiro128++ lanes seeded from splitmix64 of (seed, chunkIndex, lane).
 * Counts floor(points / 16) * 16 samples. For the benchmark only.
 */
export function createXoshiroContrastKernel(): (seed: bigint, chunkIndex: number, points: number) => number {
  const { run, memory } = instantiateSync<{ run: (steps: number) => number; memory: WasmMemory }>(
    encodeModule([{ name: 'run', fn: buildRun() }], 1),
  );
  const words = new Uint32Array(memory.buffer, 0, STREAM_LANES * 4);
  return (seed, chunkIndex, points) => {
    for (let lane = 0; lane < STREAM_LANES; lane++) {
      const id = BigInt(chunkIndex * STREAM_LANES + lane);
      const z0 = mix64(seed + GAMMA);
      const [z1, z2] = [mix64(z0 + (2n * id + 1n) * GAMMA), mix64(z0 + (2n * id + 2n) * GAMMA)];
      const base = (lane >> 2) * 16 + (lane & 3);
      [z1, z1 >> 32n, z2, z2 >> 32n].forEach((w, k) => {
        words[base + k * 4] = Number(w & 0xffffffffn);
      });
      if (words[base] === 0 && words[base + 4] === 0 && words[base + 8] === 0 && words[base + 12] === 0) words[base] = 1;
    }
    let steps = Math.floor(points / STREAM_LANES);
    let inside = 0;
    while (steps > 0) {
      const piece = Math.min(steps, 1 << 20);
      inside += run(piece) >>> 0;
      steps -= piece;
    }
    return inside;
  };
}
