import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_POINTS } from '../../kernel/index.js';
import { countInsideReference } from '../../kernel/reference.js';
import { createWasmKernel, PIECE_POINTS } from '../../kernel/wasm/wasm-kernel.js';
import {
  createNativeCountInside,
  defaultAddonPath,
  loadNativeKernel,
  NATIVE_PIECE_POINTS,
  probeNativeKernel,
} from '../../native/native-kernel.js';
import {
  ALL_LOOPS,
  announceSkips,
  availability,
  EDGE_KEYS,
  nativeExpectedHere,
  randomCases,
  runnable,
  skipReason,
  TAIL_STEPS,
} from './native-kernel-support.js';
import { INVALID_KERNEL_INPUTS } from '../support/kernel-inputs.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 2 ** 32 - 1;
const wasm = createWasmKernel();

announceSkips('native-kernel.test.ts');

// Computed once and shared by every loop: the BigInt reference is the slow side (~14 M samples/s).
const REFERENCE_CASES = randomCases(0x5eed_0001, 640, 200).map((c) => ({
  ...c,
  expected: countInsideReference(c.seed, c.chunk, c.points),
}));
describe('the native addon on this machine', () => {
  it('is built and loadable wherever npm ci can build it (x86-64 with AVX2)', () => {
    if (!nativeExpectedHere) {
      console.warn(
        `[native-kernel.test.ts] not required here (${process.arch}, AVX2 or PIGRID_NATIVE_BUILD=skip): ${availability.available ? 'available anyway' : availability.problem}`,
      );
      return;
    }
    expect(availability.available ? 'available' : availability.problem).toBe('available');
    expect(runnable).toContain('avx2');
  });

  it('compiles every loop, AVX-512 included, whatever this CPU runs', () => {
    if (!availability.available) return;
    expect([...availability.compiledLoops].sort()).toEqual([...ALL_LOOPS].sort());
  });
});

for (const loop of ALL_LOOPS) {
  describe.skipIf(skipReason(loop) !== undefined)(`the native ${loop} loop counts exactly what the reference counts`, () => {
    const count = (): ReturnType<typeof createNativeCountInside> => createNativeCountInside(loop);

    it('pins the known counts of docs/exactness.md', () => {
      const k = count();
      expect(k(0n, 0, 10_000_000)).toBe(7_854_494);
      expect(k(1n, 0, 10_000_000)).toBe(7_850_826);
      expect(k(U64_MAX, U32_MAX, 10_000_000)).toBe(7_853_754);
    });

    it('every tail length 0..15, at seeds near 0, 2^63 and 2^64 and chunk indices near 2^31 and 2^32', () => {
      const k = count();
      for (const [seed, chunk] of EDGE_KEYS) {
        for (const steps of TAIL_STEPS) {
          for (let tail = 0; tail < 16; tail++) {
            const points = steps * 16 + tail;
            if (points === 0) continue;
            expect(k(seed, chunk, points), `${seed}/${chunk}/${points}`).toBe(countInsideReference(seed, chunk, points));
          }
        }
      }
    });

    it(`640 random keys (all tails, points up to 3,215) agree with the BigInt reference`, () => {
      const k = count();
      for (const c of REFERENCE_CASES) expect(k(c.seed, c.chunk, c.points), `${c.seed}/${c.chunk}/${c.points}`).toBe(c.expected);
    });

    it('160 random keys with up to 2.6 M points agree with the WebAssembly kernel', () => {
      const k = count();
      for (const c of randomCases(0x5eed_0002 + loop.length, 160, loop === 'avx2-w16' ? 40_000 : 160_000)) {
        expect(k(c.seed, c.chunk, c.points), `${c.seed}/${c.chunk}/${c.points}`).toBe(wasm(c.seed, c.chunk, c.points));
      }
    });

    it('agrees with the WebAssembly kernel across piece boundaries', () => {
      expect(NATIVE_PIECE_POINTS).toBe(PIECE_POINTS);
      const k = count();
      for (const points of [
        PIECE_POINTS - 16,
        PIECE_POINTS - 1,
        PIECE_POINTS,
        PIECE_POINTS + 1,
        PIECE_POINTS + 15,
        2 * PIECE_POINTS + 16,
      ]) {
        expect(k(U64_MAX - 5n, U32_MAX - 3, points), String(points)).toBe(wasm(U64_MAX - 5n, U32_MAX - 3, points));
      }
    });

    it('depends only on the key: repeated and interleaved calls, and separate counters, agree', () => {
      const k = count();
      const first = k(2024n, 17, 5_000_003);
      k(1n, 0, 1_000_003);
      expect(k(2024n, 17, 5_000_003)).toBe(first);
      expect(count()(2024n, 17, 5_000_003)).toBe(first);
      expect(first).toBe(wasm(2024n, 17, 5_000_003));
    });
  });
}

const production = probeNativeKernel({ env: {} }).kernel;

describe.skipIf(!production)('the production native kernel (auto dispatch)', () => {
  it('is the fastest loop this CPU runs, and names it', () => {
    const expected = runnable.includes('avx512') ? 'avx512' : 'avx2';
    expect(production!.isa).toBe(expected);
    expect(production!.name).toBe(`native-${expected}-sfc32x16-mid16`);
    expect(loadNativeKernel({ env: { PIGRID_KERNEL: 'auto' } })?.isa).toBe(expected);
  });

  it('a maximal chunk (2^32 - 1 points) at the top of every range matches the pinned WebAssembly count', () => {
    // countInside(U64_MAX, 2^32 - 1, MAX_CHUNK_POINTS) as the WebAssembly kernel computes it (~5 s there).
    expect(production!.countInside(U64_MAX, U32_MAX, MAX_CHUNK_POINTS)).toBe(3_373_296_510);
  });

  it('polls shouldStop between pieces and aborts with KERNEL_ABORTED; the kernel is reusable after', () => {
    const k = production!.countInside;
    let polls = 0;
    const points = 3 * NATIVE_PIECE_POINTS + 7;
    expect(
      k(5n, 2, points, () => {
        polls++;
        return false;
      }),
    ).toBe(wasm(5n, 2, points));
    expect(polls).toBe(2);
    expect(() => k(5n, 2, points, () => true)).toThrow(expect.objectContaining({ code: 'KERNEL_ABORTED' }));
    expect(k(5n, 2, 1000)).toBe(countInsideReference(5n, 2, 1000));
  });

  it('rejects out-of-range input with a RangeError KERNEL_INVALID_INPUT naming every field', () => {
    const k = production!.countInside as (s: unknown, c: unknown, p: unknown) => number;
    for (const [seed, chunk, points] of INVALID_KERNEL_INPUTS) {
      expect(() => k(seed, chunk, points), `${String(seed)}/${String(chunk)}/${String(points)}`).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'KERNEL_INVALID_INPUT' }),
      );
    }
    expect(() => k(-1n, -1, 0)).toThrow(/seed.*chunkIndex.*points/);
  });

  it('the addon itself rejects bad arguments with coded errors instead of touching memory', () => {
    const addon = createRequire(import.meta.url)(defaultAddonPath()) as Record<string, (...a: unknown[]) => unknown>;
    const state = new Uint32Array(64);
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => addon.run('avx2', new Uint32Array(48), 1))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.run('avx2', new Int32Array(64), 1))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.run('avx2', state, 2 ** 28 + 1))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.run('avx2', state, -1))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.run('sse9', state, 1))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.run('avx2', state))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.init(state, -1n, 0))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.init(state, 1n << 64n, 0))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.tail(state, 16))).toBe('KERNEL_INVALID_INPUT');
    expect(code(() => addon.checkCells('avx2', 0, 17))).toBe('KERNEL_INVALID_INPUT');
  });

  it('refuses, with a reason and without running it, a loop this CPU lacks', (ctx) => {
    const lacking = (['avx512', 'avx2'] as const).find((isa) => !runnable.includes(isa));
    if (!lacking) {
      ctx.skip(); // this CPU runs every loop
      return;
    }
    const probe = probeNativeKernel({ env: { PIGRID_KERNEL: lacking } });
    expect(probe.kernel).toBeUndefined();
    expect(probe.decision).toEqual({
      kernel: 'refused',
      reason: expect.stringMatching(new RegExp(`^PIGRID_KERNEL=${lacking}, but this CPU`)),
    });
    expect(() => loadNativeKernel({ env: { PIGRID_KERNEL: lacking } })).toThrow(expect.objectContaining({ code: 'KERNEL_ERROR' }));
    // The addon's own guard: calling the loop anyway is an exception, not an illegal instruction.
    const addon = createRequire(import.meta.url)(defaultAddonPath()) as { run(l: string, s: Uint32Array, n: number): number };
    expect(() => addon.run(lacking, new Uint32Array(64), 1)).toThrow(expect.objectContaining({ code: 'KERNEL_ERROR' }));
  });

  it('PIGRID_KERNEL=wasm, a missing addon and an unknown value give no native kernel, each with its reason', () => {
    expect(probeNativeKernel({ env: { PIGRID_KERNEL: 'wasm' } })).toEqual({
      kernel: undefined,
      decision: { kernel: 'wasm', reason: 'PIGRID_KERNEL=wasm' },
    });
    const gone = probeNativeKernel({ env: {}, addonPath: '/nonexistent/pigrid_native_kernel.node' });
    expect(gone.decision).toEqual({
      kernel: 'wasm',
      reason: expect.stringMatching(/^auto: the native addon is unavailable: .*does not exist/),
    });
    expect(() => loadNativeKernel({ env: { PIGRID_KERNEL: 'fast' } })).toThrow(/PIGRID_KERNEL must be one of auto, wasm, avx2, avx512/);
  });

  it('loads in worker threads (a context-aware addon) and counts the same there', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData.path);
      const s = new Uint32Array(64);
      a.init(s, 99n, 7);
      parentPort.postMessage(a.run(workerData.isa, s, 62500) + a.tail(s, 5));`;
    const inThread = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { path: defaultAddonPath(), isa: production!.isa } });
        w.once('message', (n: number) => {
          resolve(n);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const counts = await Promise.all([inThread(), inThread()]);
    expect(counts).toEqual([wasm(99n, 7, 1_000_005), wasm(99n, 7, 1_000_005)]);
  });
});
