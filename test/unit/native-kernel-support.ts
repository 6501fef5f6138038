/**
 * Shared by the native-kernel tests: which loops this machine runs, why the others are skipped,
 * and whether the addon must exist here (so a broken build fails a test instead of skipping).
 */
import { readFileSync } from 'node:fs';
import { nativeAvailability, runnableNativeLoops, type NativeLoop } from '../../native/native-kernel.js';

export const ALL_LOOPS: readonly NativeLoop[] = ['avx2', 'avx2-w16', 'avx512'];
export const availability = nativeAvailability();
export const runnable: readonly NativeLoop[] = runnableNativeLoops();

/** CPU flags from /proc/cpuinfo (Linux), independent of the addon; empty elsewhere. */
function procCpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

/** True where `npm ci` must have produced a working addon: x86-64 Linux with AVX2, build not skipped on purpose. */
export const nativeExpectedHere = process.arch === 'x64' && procCpuFlags().has('avx2') && process.env.PIGRID_NATIVE_BUILD !== 'skip';

/** Why `loop` does not run here, or undefined when it does. */
export function skipReason(loop: NativeLoop): string | undefined {
  if (!availability.available) return `the native addon is unavailable: ${availability.problem}`;
  if (runnable.includes(loop)) return undefined;
  const f = availability.features;
  return `this CPU lacks ${loop === 'avx512' ? `AVX-512 (avx512f ${f.avx512f}, avx512bw ${f.avx512bw})` : 'AVX2'}; the ${loop} loop is compiled in but cannot run here`;
}

/** Prints, once per test file, why each skipped loop is skipped. */
export function announceSkips(file: string): void {
  for (const loop of ALL_LOOPS) {
    const reason = skipReason(loop);
    if (reason) console.warn(`[${file}] SKIPPING the ${loop} loop: ${reason}`);
  }
}

/** A small deterministic generator for the randomized cases (mulberry32). */
export function randomSource(seed: number): { u32(): number; below(n: number): number; u64(): bigint } {
  let s = seed >>> 0;
  const u32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { u32, below: (n) => Math.floor((u32() / 2 ** 32) * n), u64: () => (BigInt(u32()) << 32n) | BigInt(u32()) };
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 2 ** 32 - 1;

/** A seed from one of the interesting regions: small, random, near 2^63, near 2^64. */
function pickSeed(r: ReturnType<typeof randomSource>): bigint {
  switch (r.below(4)) {
    case 0:
      return BigInt(r.below(1000));
    case 1:
      return r.u64();
    case 2:
      return (1n << 63n) + BigInt(r.below(2000)) - 1000n;
    default:
      return U64_MAX - BigInt(r.below(1000));
  }
}

/** A chunk index: small, random, or near 2^32. */
function pickChunk(r: ReturnType<typeof randomSource>): number {
  switch (r.below(3)) {
    case 0:
      return r.below(1000);
    case 1:
      return r.u32();
    default:
      return U32_MAX - r.below(1000);
  }
}

export interface Case {
  readonly seed: bigint;
  readonly chunk: number;
  readonly points: number;
}

/** Randomized keys with every tail length 0..15 equally often; `steps` bounds floor(points / 16). */
export function randomCases(rngSeed: number, count: number, maxSteps: number): Case[] {
  const r = randomSource(rngSeed);
  return Array.from({ length: count }, (_, i) => {
    const tail = i % 16;
    const steps = r.below(maxSteps + 1);
    return { seed: pickSeed(r), chunk: pickChunk(r), points: Math.max(1, steps * 16 + tail) };
  });
}

/** Keys at the ends of the seed and chunk ranges. */
export const EDGE_KEYS: ReadonlyArray<readonly [bigint, number]> = [
  [0n, 0],
  [U64_MAX, U32_MAX],
  [U64_MAX - 1n, U32_MAX - 1],
  [1n << 63n, 2 ** 31],
  [(1n << 63n) - 1n, 2 ** 31 - 1],
  [0x9e3779b97f4a7c15n, 65_536],
];
/** Whole steps before the tail in the tail tests. */
export const TAIL_STEPS = [0, 1, 2, 63, 1000];
