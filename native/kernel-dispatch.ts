/**
 * Which π kernel a process runs: a pure function of the CPU's features, what the native addon
 * offers, and the `PIGRID_KERNEL` setting. No I/O, so every case is a table row in
 * `test/unit/native-kernel-dispatch.test.ts`.
 *
 * | PIGRID_KERNEL      | decision                                                               |
 * |--------------------|------------------------------------------------------------------------|
 * | unset, `auto`      | native AVX-512 if the CPU has AVX-512F+BW, else native AVX2 if it has   |
 * |                    | AVX2, else WebAssembly (also when the addon is missing or unloadable)   |
 * | `wasm`             | WebAssembly (`kernel/index.ts`, itself falling back to plain JS) |
 * | `avx2`, `avx512`   | that native loop, or **refused** when the addon or the CPU cannot run it |
 * | anything else      | refused                                                                |
 *
 * A refusal is a configuration error, not a fallback: whoever forced an instruction set wants
 * to know that the machine cannot run it. Nothing here runs an instruction: the CPU features
 * come from the addon's `__builtin_cpu_supports` (which also checks that the OS saves the
 * AVX-512 registers).
 */

/** The native loops that production code can choose. */
export type NativeIsa = 'avx512' | 'avx2';

/** Accepted values of `PIGRID_KERNEL`. */
export const KERNEL_REQUESTS = ['auto', 'wasm', 'avx2', 'avx512'] as const;
/** One of {@link KERNEL_REQUESTS}. */
export type KernelRequest = (typeof KERNEL_REQUESTS)[number];

/** The CPU features the dispatch looks at. */
export interface CpuFeatures {
  readonly avx2: boolean;
  readonly avx512f: boolean;
  readonly avx512bw: boolean;
}

/** What the native addon offers on this machine: its loops and the CPU's features, or why it cannot be used. */
export type NativeAvailability =
  | { readonly available: true; readonly features: CpuFeatures; readonly compiledLoops: readonly string[] }
  | { readonly available: false; readonly problem: string };

/** The outcome: a native loop, the WebAssembly kernel, or a refusal; always with a reason for the log. */
export type KernelDecision =
  | { readonly kernel: 'native'; readonly isa: NativeIsa; readonly reason: string }
  | { readonly kernel: 'wasm'; readonly reason: string }
  | { readonly kernel: 'refused'; readonly reason: string };

/** Whether the CPU (and the addon's build) can run a native loop; undefined when it can, else why not. */
export function nativeIsaProblem(isa: NativeIsa, native: NativeAvailability): string | undefined {
  if (!native.available) return `the native addon is unavailable: ${native.problem}`;
  if (!native.compiledLoops.includes(isa)) return `the native addon was built without the ${isa} loop`;
  const { avx2, avx512f, avx512bw } = native.features;
  if (isa === 'avx2' && !avx2) return 'this CPU has no AVX2';
  if (isa === 'avx512' && !(avx512f && avx512bw)) {
    const missing = [avx512f ? '' : 'AVX-512F', avx512bw ? '' : 'AVX-512BW'].filter(Boolean).join(' and ');
    return `this CPU (or its operating system) has no ${missing}`;
  }
  return undefined;
}

/**
 * Decides the kernel. `request` is `PIGRID_KERNEL` as given (undefined or empty = `auto`;
 * surrounding blanks and case are ignored).
 */
export function chooseKernel(request: string | undefined, native: NativeAvailability): KernelDecision {
  const wanted = (request ?? '').trim().toLowerCase() || 'auto';
  if (!(KERNEL_REQUESTS as readonly string[]).includes(wanted)) {
    return { kernel: 'refused', reason: `PIGRID_KERNEL must be one of ${KERNEL_REQUESTS.join(', ')} (got "${request}")` };
  }
  if (wanted === 'wasm') return { kernel: 'wasm', reason: 'PIGRID_KERNEL=wasm' };
  if (wanted === 'avx2' || wanted === 'avx512') {
    const problem = nativeIsaProblem(wanted, native);
    return problem
      ? { kernel: 'refused', reason: `PIGRID_KERNEL=${wanted}, but ${problem}` }
      : { kernel: 'native', isa: wanted, reason: `PIGRID_KERNEL=${wanted}` };
  }
  const avx512 = nativeIsaProblem('avx512', native);
  if (!avx512) return { kernel: 'native', isa: 'avx512', reason: 'auto: the CPU has AVX-512F and AVX-512BW' };
  const avx2 = nativeIsaProblem('avx2', native);
  if (!avx2) return { kernel: 'native', isa: 'avx2', reason: `auto: the CPU has AVX2 (no AVX-512: ${avx512})` };
  return { kernel: 'wasm', reason: `auto: ${native.available ? avx2 : avx512}` };
}
