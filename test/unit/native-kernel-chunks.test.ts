import { describe, expect, it } from 'vitest';
import { CHUNK_WITHDRAWN, chunkLoop, countInside } from '../../kernel/index.js';
import { countInsideReference } from '../../kernel/reference.js';
import { SlotState, TaskControl } from '../../kernel/pool/task-control.js';
import { createNativeCountChunks, createNativeCountInside } from '../../native/native-kernel.js';
import { ALL_LOOPS, announceSkips, EDGE_KEYS, nativeExpectedHere, randomSource, skipReason } from './native-kernel-support.js';

const U32_MAX = 2 ** 32 - 1;

announceSkips('native-kernel-chunks.test.ts');

/** Runs `count` chunks through a run counter; returns their counts. */
function runCounts(
  loop: (typeof ALL_LOOPS)[number],
  seed: bigint,
  first: number,
  count: number,
  points: number,
  pieceSteps?: number,
): number[] {
  const inside = new Float64Array(count);
  const elapsed = new Float64Array(count);
  createNativeCountChunks(loop, pieceSteps)(seed, first, count, points, undefined, inside, elapsed);
  return [...inside];
}

describe('the kernel offers the native run loop wherever the native kernel runs', () => {
  it('is there on an x86-64 machine with AVX2 (unless PIGRID_KERNEL picks another kernel)', () => {
    if (!nativeExpectedHere || process.env.PIGRID_KERNEL === 'wasm') return;
    expect(chunkLoop()).toBeTypeOf('function');
  });
});

for (const loop of ALL_LOOPS) {
  describe.skipIf(skipReason(loop) !== undefined)(`the native ${loop} run loop counts each chunk as a call of its own`, () => {
    const single = (): ReturnType<typeof createNativeCountInside> => createNativeCountInside(loop);

    it('every tail length at the edge keys, across piece boundaries (pieces of 3 steps), against the reference', () => {
      for (const [seed, chunk] of EDGE_KEYS) {
        const first = Math.min(chunk, U32_MAX - 3);
        for (let points = 1; points <= 16 * 7 + 15; points += 5) {
          const expected = [0, 1, 2, 3].map((k) => countInsideReference(seed, first + k, points));
          expect(runCounts(loop, seed, first, 4, points, 3), `${seed}/${first}/${points}`).toEqual(expected);
        }
      }
    });

    it('random runs (up to 40 chunks of up to 300,000 points, pieces of 1 to 5,000 steps) agree with countInside', () => {
      const r = randomSource(0x5eed_c4a1);
      const k = single();
      for (let i = 0; i < 60; i++) {
        const seed = r.u64();
        const count = 1 + r.below(40);
        const first = r.below(2) === 0 ? r.below(1000) : U32_MAX - count + 1;
        const points = 1 + r.below(300_000);
        const expected = Array.from({ length: count }, (_, j) => k(seed, first + j, points));
        expect(runCounts(loop, seed, first, count, points, 1 + r.below(5000)), `${seed}/${first}/${count}/${points}`).toEqual(expected);
      }
    });

    it('claims each chunk in the task control, skips a withdrawn one, and marks the rest DONE with the thread id', () => {
      const control = new TaskControl(2, 8);
      const first = control.acquire(5)!;
      const cells = new Int32Array(control.buffer);
      expect(control.withdraw(first + 2)).toBe(true);
      const inside = new Float64Array(5);
      const elapsed = new Float64Array(5);
      createNativeCountChunks(loop)(9n, 100, 5, 50_000, { cells, firstSlot: first, threadId: 77 }, inside, elapsed);
      const k = single();
      expect([...inside]).toEqual([k(9n, 100, 50_000), k(9n, 101, 50_000), CHUNK_WITHDRAWN, k(9n, 103, 50_000), k(9n, 104, 50_000)]);
      expect([0, 1, 2, 3, 4].map((i) => control.state(first + i))).toEqual([
        SlotState.DONE,
        SlotState.DONE,
        SlotState.WITHDRAWN,
        SlotState.DONE,
        SlotState.DONE,
      ]);
      expect([0, 1, 2, 3, 4].map((i) => control.thread(first + i))).toEqual([77, 77, -1, 77, 77]);
      expect(elapsed[2]).toBe(0);
      expect(elapsed[0]).toBeGreaterThan(0);
    });

    it('refuses a run past chunk index 2^32 - 1 and arrays shorter than the run, before counting anything', () => {
      const run = createNativeCountChunks(loop);
      expect(() => run(1n, U32_MAX, 2, 10, undefined, new Float64Array(2), new Float64Array(2))).toThrow(
        expect.objectContaining({ code: 'KERNEL_INVALID_INPUT' }),
      );
      expect(() => run(1n, 0, 3, 10, undefined, new Float64Array(2), new Float64Array(3))).toThrow(
        expect.objectContaining({ code: 'KERNEL_INVALID_INPUT' }),
      );
    });
  });
}

describe('the process kernel and its run loop agree', () => {
  it('chunkLoop() counts what countInside counts', () => {
    const run = chunkLoop();
    if (!run) return;
    const inside = new Float64Array(6);
    run(12345n, 7, 6, 1_000_003, undefined, inside, new Float64Array(6));
    expect([...inside]).toEqual([7, 8, 9, 10, 11, 12].map((c) => countInside(12345n, c, 1_000_003)));
  });
});
