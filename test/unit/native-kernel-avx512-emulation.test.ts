import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkNativeInsideTest } from '../../native/native-kernel.js';
import { countInsideReference } from '../../kernel/reference.js';
import { createWasmKernel } from '../../kernel/wasm/wasm-kernel.js';
import { EDGE_KEYS, randomCases, skipReason, TAIL_STEPS, type Case } from './native-kernel-support.js';

/*
 * The AVX-512 loop's source on a CPU without AVX-512: native-emulation/avx512-emulated.c compiles
 * kernel-body.h with native/src/isa-avx512.h (the file the real build uses) and the four AVX-512
 * intrinsics emulated in portable C. On an AVX-512 CPU the real loop runs in native-kernel.test.ts
 * as well; this file runs everywhere a C compiler is.
 */
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'pigrid-avx512-emulated-'));
const binary = join(scratch, 'avx512-emulated');
const cc = spawnSync(
  process.env.CC || 'cc',
  [
    '-O2',
    '-std=c11',
    '-Wall',
    '-Wextra',
    '-Wno-psabi',
    '-Wno-unused-function',
    `-I${here('../../native/src')}`,
    '-o',
    binary,
    here('./native-emulation/avx512-emulated.c'),
    here('../../native/src/stream.c'),
  ],
  { encoding: 'utf8' },
);
const compileProblem =
  cc.status === 0 ? undefined : `cc failed: ${(cc.stderr || String(cc.error)).trim().split('\n').slice(0, 3).join(' | ')}`;
if (compileProblem) console.warn(`[native-kernel-avx512-emulation.test.ts] SKIPPING: ${compileProblem}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function emulatedCounts(cases: readonly Case[]): number[] {
  const run = spawnSync(binary, ['counts'], {
    input: cases.map((c) => `${c.seed} ${c.chunk} ${c.points}\n`).join(''),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim().split('\n').map(Number);
}

describe.skipIf(compileProblem !== undefined)('the AVX-512 loop, with its intrinsics emulated, counts exactly', () => {
  const wasm = createWasmKernel();
  const U64_MAX = (1n << 64n) - 1n;

  it('pins the known counts of docs/exactness.md', () => {
    expect(
      emulatedCounts([
        { seed: 0n, chunk: 0, points: 10_000_000 },
        { seed: 1n, chunk: 0, points: 10_000_000 },
        { seed: U64_MAX, chunk: 2 ** 32 - 1, points: 10_000_000 },
      ]),
    ).toEqual([7_854_494, 7_850_826, 7_853_754]);
  });

  it('every tail length 0..15 at the ends of the seed and chunk ranges, and 640 random keys, match the reference', () => {
    const cases: Case[] = [...randomCases(0x5eed_0001, 640, 200)];
    for (const [seed, chunk] of EDGE_KEYS) {
      for (const steps of TAIL_STEPS)
        for (let tail = 0; tail < 16; tail++) if (steps * 16 + tail > 0) cases.push({ seed, chunk, points: steps * 16 + tail });
    }
    const got = emulatedCounts(cases);
    cases.forEach((c, i) => expect(got[i], `${c.seed}/${c.chunk}/${c.points}`).toBe(countInsideReference(c.seed, c.chunk, c.points)));
  });

  it('60 random keys with up to 1 M points match the WebAssembly kernel', () => {
    const cases = randomCases(0x5eed_0003, 60, 65_536);
    const got = emulatedCounts(cases);
    cases.forEach((c, i) => expect(got[i], `${c.seed}/${c.chunk}/${c.points}`).toBe(wasm(c.seed, c.chunk, c.points)));
  });

  it('its inside test agrees with the "mul" form, and with the avx2 loop, on 2^27 cells spread over the grid', () => {
    for (let block = 0; block < 16; block++) {
      const first = block * 2 ** 28 + (block === 15 ? 2 ** 28 - 2 ** 23 : 0);
      const run = spawnSync(binary, ['cells', String(first), String(2 ** 23)], { encoding: 'utf8' });
      const [inside, disagreements] = run.stdout.trim().split(' ').map(Number);
      expect(disagreements, `block at ${first}`).toBe(0);
      if (skipReason('avx2') === undefined)
        expect(inside, `block at ${first}`).toBe(checkNativeInsideTest('avx2', first, 2 ** 23).insideCells);
    }
  });
});
