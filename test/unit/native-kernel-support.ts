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
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
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
