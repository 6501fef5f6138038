/**
 * Loads the native π kernel (native/src, a Node-API addon built at `npm ci`) and wraps it into
 * the kernel contract of `kernel/index.ts`: `countInside(seed, chunkIndex, points,
 * shouldStop?)` with the same validation (`KERNEL_INVALID_INPUT`), pieces of 2^24 points with
 * `shouldStop` polled between them (`KERNEL_ABORTED`), and bit-identical counts
 * (docs/exactness.md, "Native kernel"); and `countChunks`, a run of consecutive chunks in one
 * call into the addon (native/src/chunks.c) for the pool threads, each chunk counted exactly so.
 *
 *   loadNativeKernel()   the fastest native kernel this CPU runs, or undefined (use WebAssembly)
 *   probeNativeKernel()  the same decision with its reason, for the start-up log; never throws
 *
 * The addon and the CPU check are loaded once per thread; the decision is recomputed per call
 * (it reads `PIGRID_KERNEL`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appRoot } from '../shared/paths.js';
import { kernelError, KernelErrorCode, validateChunkInput } from '../kernel/kernel-errors.js';
import { STREAM_LANES, STREAM_VERSION } from '../kernel/stream-spec.js';
import type { CountInside } from '../kernel/stream-spec.js';
import { chooseKernel, type CpuFeatures, type KernelDecision, type NativeAvailability, type NativeIsa } from './kernel-dispatch.js';

/** Samples per call into the addon: 2^24 (~4 ms with AVX2, ~2 ms with AVX-512), as for WebAssembly. */
export const NATIVE_PIECE_POINTS = 1 << 24;
const PIECE_STEPS = NATIVE_PIECE_POINTS / STREAM_LANES;
/** Words of the generator state the addon keeps between pieces (pigrid_state in kernel.h). */
const STATE_WORDS = 64;

/**
 * The loops compiled into the addon. `avx2-w16` is the AVX-512 loop's 16-lanes-per-vector shape
 * compiled for AVX2, for the tests only (slow: the compiler splits every operation).
 */
export type NativeLoop = NativeIsa | 'avx2-w16';

/** The addon's exports (native/src/addon.c). */
interface NativeAddon {
  readonly streamVersion: string;
  cpuFeatures(): CpuFeatures;
  compiledLoops(): string[];
  init(state: Uint32Array, seed: bigint, chunkIndex: number): void;
  run(loop: NativeLoop, state: Uint32Array, steps: number): number;
  tail(state: Uint32Array, lanes: number): number;
  checkCells(loop: NativeLoop, first: number, count: number): [number, number];
  /** Absent from an addon built before it (the kernel then counts chunk by chunk). */
  countChunks?(
    loop: NativeLoop,
    state: Uint32Array,
    seed: bigint,
    firstChunk: number,
    count: number,
    points: number,
    pieceSteps: number,
    cells: Int32Array | null,
    firstSlot: number,
    threadId: number,
    inside: Float64Array,
    elapsedMs: Float64Array,
  ): void;
}

/** The pool's task control of a run's chunks ({@link CountChunks}): chunk k of the call has slot `firstSlot + k`. */
export interface ChunkSlots {
  /** The control buffer's cells (kernel/pool/task-control.ts: two Int32 per slot, state and thread id). */
  readonly cells: Int32Array;
  readonly firstSlot: number;
  /** The claiming thread's id, stored beside each claimed slot. */
  readonly threadId: number;
}

/** {@link CountChunks}' count of a chunk withdrawn before it started (native/src/kernel.h PIGRID_CHUNK_WITHDRAWN). */
export const CHUNK_WITHDRAWN = -1;
/** {@link CountChunks}' count of a chunk asked to stop while it ran (PIGRID_CHUNK_STOPPED). */
export const CHUNK_STOPPED = -2;

/**
 * Counts chunks firstChunk .. firstChunk + count - 1 of `seed`, `points` each, in one call into the addon
 * (native/src/chunks.c): inside[k] is chunk k's count, exactly what `countInside(seed, firstChunk + k, points)`
 * returns, or {@link CHUNK_WITHDRAWN} / {@link CHUNK_STOPPED}; elapsedMs[k] its kernel time. With `slots`, each
 * chunk is claimed in the pool's task control before it runs, skipped if withdrawn, stopped between pieces of 2^24
 * points when asked to, and marked DONE after, as pi-task.ts does for a chunk counted alone. The caller validates:
 * seed 0..2^64-1, firstChunk + count - 1 <= 2^32 - 1, points 1..MAX_CHUNK_POINTS, both arrays at least `count` long.
 */
export type CountChunks = (
  seed: bigint,
  firstChunk: number,
  count: number,
  points: number,
  slots: ChunkSlots | undefined,
  inside: Float64Array,
  elapsedMs: Float64Array,
) => void;

/** A native kernel, ready to count. */
export interface NativeKernel {
  /** e.g. `native-avx2-sfc32x16-mid16`, for the log and Hello.kernel. */
  readonly name: string;
  readonly isa: NativeIsa;
  /** Same contract as `countInside` of `kernel/index.ts`. Not re-entrant (one per thread). */
  readonly countInside: CountInside;
  /** A run of chunks in one call; undefined with an addon built before it. Shares countInside's state. */
  readonly countChunks: CountChunks | undefined;
}

/** Result of {@link probeNativeKernel}. */
export type NativeKernelProbe =
  | { readonly kernel: NativeKernel; readonly decision: KernelDecision & { kernel: 'native' } }
  | { readonly kernel: undefined; readonly decision: KernelDecision & { kernel: 'wasm' | 'refused' } };

/** Options of {@link probeNativeKernel}; for tests. */
export interface NativeKernelOptions {
  /** Where `PIGRID_KERNEL` is read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The addon file. @default <app root>/native/addon/pigrid_native_kernel.node */
  readonly addonPath?: string;
}

/** The installed addon's path (what `npm ci` / `npm run build:native` produce). */
export function defaultAddonPath(): string {
  return join(appRoot(), 'native', 'addon', 'pigrid_native_kernel.node');
}

const loaded = new Map<string, { addon: NativeAddon } | { problem: string }>();

/** Why the build left no addon, from the status file build-addon.mjs writes. */
function buildProblem(addonPath: string): string {
  const statusFile = join(addonPath, '..', 'build-status.json');
  try {
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { built?: boolean; reason?: string };
    if (status.built === false && status.reason) return `it was not built at install: ${status.reason}`;
  } catch {
    // no status: the install script never ran here (e.g. npm ci --ignore-scripts)
  }
  return `${addonPath} does not exist (run "npm run build:native")`;
}

function loadAddon(addonPath: string): { addon: NativeAddon } | { problem: string } {
  if (process.arch !== 'x64') return { problem: `it is built for x86-64 only and this is ${process.platform}/${process.arch}` };
  if (!existsSync(addonPath)) return { problem: buildProblem(addonPath) };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch (error) {
    return { problem: `loading ${addonPath} failed: ${(error as Error).message}` };
  }
  if (addon.streamVersion !== STREAM_VERSION) {
    return {
      problem: `${addonPath} computes stream ${addon.streamVersion}, not ${STREAM_VERSION} (a stale build: run "npm run build:native")`,
    };
  }
  return { addon };
}

function addonAt(addonPath: string): { addon: NativeAddon } | { problem: string } {
  let result = loaded.get(addonPath);
  if (!result) loaded.set(addonPath, (result = loadAddon(addonPath)));
  return result;
}

function availability(addonPath: string): NativeAvailability {
  const result = addonAt(addonPath);
  if ('problem' in result) return { available: false, problem: result.problem };
  return { available: true, features: result.addon.cpuFeatures(), compiledLoops: result.addon.compiledLoops() };
}

/** A chunk counter running one native loop, with its own generator state. */
function createCounter(addon: NativeAddon, loop: NativeLoop, state = new Uint32Array(STATE_WORDS)): CountInside {
  return (seed, chunkIndex, points, shouldStop) => {
    validateChunkInput(seed, chunkIndex, points);
    addon.init(state, seed, chunkIndex);
    let steps = Math.floor(points / STREAM_LANES);
    let inside = 0;
    while (steps > 0) {
      const piece = Math.min(steps, PIECE_STEPS);
      inside += addon.run(loop, state, piece);
      steps -= piece;
      if (steps > 0 && shouldStop?.()) {
        throw kernelError(KernelErrorCode.ABORTED, `chunk ${chunkIndex} aborted by the caller`);
      }
    }
    const rest = points % STREAM_LANES;
    if (rest > 0) inside += addon.tail(state, rest);
    return inside;
  };
}

/** A run counter on one native loop ({@link CountChunks}), or undefined when the addon predates it. */
function createChunksCounter(
  addon: NativeAddon,
  loop: NativeLoop,
  state = new Uint32Array(STATE_WORDS),
  pieceSteps = PIECE_STEPS,
): CountChunks | undefined {
  if (typeof addon.countChunks !== 'function') return undefined;
  return (seed, firstChunk, count, points, slots, inside, elapsedMs) =>
    addon.countChunks!(
      loop,
      state,
      seed,
      firstChunk,
      count,
      points,
      pieceSteps,
      slots?.cells ?? null,
      slots?.firstSlot ?? 0,
      slots?.threadId ?? 0,
      inside,
      elapsedMs,
    );
}

/** The kernel decision for this machine and `PIGRID_KERNEL`, with the kernel when it is native. Never throws. */
export function probeNativeKernel(options: NativeKernelOptions = {}): NativeKernelProbe {
  const addonPath = options.addonPath ?? defaultAddonPath();
  const decision = chooseKernel((options.env ?? process.env).PIGRID_KERNEL, availability(addonPath));
  if (decision.kernel !== 'native') return { kernel: undefined, decision };
  const { addon } = addonAt(addonPath) as { addon: NativeAddon };
  // One generator state per thread, shared by both entry points (neither is re-entrant).
  const state = new Uint32Array(STATE_WORDS);
  const kernel = {
    name: `native-${decision.isa}-${STREAM_VERSION.split('/')[0]}`,
    isa: decision.isa,
    countInside: createCounter(addon, decision.isa, state),
    countChunks: createChunksCounter(addon, decision.isa, state),
  };
  return { kernel, decision };
}

/**
 * The fastest native kernel this CPU runs (AVX-512, else AVX2), or undefined when the WebAssembly
 * kernel should run instead (no addon, another architecture, a CPU without AVX2, PIGRID_KERNEL=wasm);
 * `probeNativeKernel().decision.reason` says which.
 * @throws Error with code `KERNEL_ERROR` when PIGRID_KERNEL forces a native loop this machine
 *   cannot run, or has an unknown value: a configuration error to stop on, not to fall back from.
 */
export function loadNativeKernel(options: NativeKernelOptions = {}): NativeKernel | undefined {
  const probe = probeNativeKernel(options);
  if (probe.decision.kernel === 'refused') throw kernelError(KernelErrorCode.ERROR, probe.decision.reason);
  return probe.kernel;
}

// ---- for tests and the benchmark ----------------------------------------------------------

/** The native loops this CPU can run (empty without the addon); includes the test-only `avx2-w16`. */
export function runnableNativeLoops(addonPath = defaultAddonPath()): NativeLoop[] {
  const result = addonAt(addonPath);
  if ('problem' in result) return [];
  const f = result.addon.cpuFeatures();
  const compiled = result.addon.compiledLoops();
  const can: Record<NativeLoop, boolean> = { avx2: f.avx2, 'avx2-w16': f.avx2, avx512: f.avx512f && f.avx512bw };
  return (compiled as NativeLoop[]).filter((loop) => can[loop]);
}

/** The addon's CPU features and loops, or why it is unavailable. */
export function nativeAvailability(addonPath = defaultAddonPath()): NativeAvailability {
  return availability(addonPath);
}

/** A counter on a given loop (which must be runnable here). */
export function createNativeCountInside(loop: NativeLoop, addonPath = defaultAddonPath()): CountInside {
  const result = addonAt(addonPath);
  if ('problem' in result) throw kernelError(KernelErrorCode.ERROR, `the native addon is unavailable: ${result.problem}`);
  return createCounter(result.addon, loop);
}

/**
 * A run counter on a given loop (which must be runnable here); `pieceSteps` (outputs per lane per call of the loop,
 * 2^20 by default) lets tests cross piece boundaries with small chunks.
 */
export function createNativeCountChunks(loop: NativeLoop, pieceSteps = PIECE_STEPS, addonPath = defaultAddonPath()): CountChunks {
  const result = addonAt(addonPath);
  if ('problem' in result) throw kernelError(KernelErrorCode.ERROR, `the native addon is unavailable: ${result.problem}`);
  const counter = createChunksCounter(result.addon, loop, undefined, pieceSteps);
  if (!counter) throw kernelError(KernelErrorCode.ERROR, 'the native addon predates countChunks (run "npm run build:native")');
  return counter;
}

/** Result of {@link checkNativeInsideTest}. */
export interface NativeCellCheck {
  /** Cells the loop's count calls inside. */
  readonly insideCells: number;
  /** Cells on which the loop's inside mask and the independent "mul" form disagree. */
  readonly disagreements: number;
}

/**
 * Evaluates `loop`'s inside test (the same inlined code the loop counts with) on the outputs
 * first .. first + count - 1 (count a multiple of 16, up to 2^32 in total) against the "mul"
 * form, in calls of at most 2^28 outputs.
 */
export function checkNativeInsideTest(loop: NativeLoop, first = 0, count = 2 ** 32, addonPath = defaultAddonPath()): NativeCellCheck {
  const result = addonAt(addonPath);
  if ('problem' in result) throw kernelError(KernelErrorCode.ERROR, `the native addon is unavailable: ${result.problem}`);
  let insideCells = 0;
  let disagreements = 0;
  for (let done = 0; done < count;) {
    const piece = Math.min(count - done, 2 ** 28);
    const [inside, disagree] = result.addon.checkCells(loop, (first + done) % 2 ** 32, piece);
    insideCells += inside;
    disagreements += disagree;
    done += piece;
  }
  return { insideCells, disagreements };
}
