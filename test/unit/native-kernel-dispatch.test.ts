import { describe, expect, it } from 'vitest';
import { chooseKernel, type CpuFeatures, type NativeAvailability } from '../../native/kernel-dispatch.js';

const ALL_LOOPS = ['avx2', 'avx2-w16', 'avx512'];
const cpu = (flags: string): CpuFeatures => ({
  avx2: flags.includes('avx2'),
  avx512f: flags.includes('avx512f'),
  avx512bw: flags.includes('avx512bw'),
});
const addon = (flags: string, compiledLoops = ALL_LOOPS): NativeAvailability => ({ available: true, features: cpu(flags), compiledLoops });
const missing: NativeAvailability = { available: false, problem: 'native/addon/pigrid_native_kernel.node does not exist' };

const AVX512 = addon('avx2 avx512f avx512bw');
const AVX2 = addon('avx2');
const NONE = addon('');
const AVX512F_ONLY = addon('avx2 avx512f'); // e.g. Xeon Phi: no BW, so no 512-bit pmaddwd

describe('kernel dispatch: PIGRID_KERNEL x CPU features x addon -> kernel', () => {
  it.each([
    // request, native, expected kernel, expected isa
    [undefined, AVX512, 'native', 'avx512'],
    ['', AVX512, 'native', 'avx512'],
    ['auto', AVX512, 'native', 'avx512'],
    [' AUTO ', AVX512, 'native', 'avx512'],
    ['auto', AVX2, 'native', 'avx2'],
    ['auto', AVX512F_ONLY, 'native', 'avx2'],
    ['auto', NONE, 'wasm', undefined],
    ['auto', missing, 'wasm', undefined],
    ['auto', addon('avx2 avx512f avx512bw', ['avx2']), 'native', 'avx2'],
    ['auto', addon('avx2 avx512f avx512bw', []), 'wasm', undefined],
    ['wasm', AVX512, 'wasm', undefined],
    ['wasm', missing, 'wasm', undefined],
    ['avx2', AVX512, 'native', 'avx2'],
    ['avx2', AVX2, 'native', 'avx2'],
    ['avx512', AVX512, 'native', 'avx512'],
    ['avx2', NONE, 'refused', undefined],
    ['avx2', missing, 'refused', undefined],
    ['avx512', AVX2, 'refused', undefined],
    ['avx512', AVX512F_ONLY, 'refused', undefined],
    ['avx512', missing, 'refused', undefined],
    ['avx2-w16', AVX512, 'refused', undefined], // test-only loop: never chosen by configuration
    ['native', AVX512, 'refused', undefined],
    ['sse2', AVX512, 'refused', undefined],
  ] as const)('PIGRID_KERNEL=%j on %o -> %s %s', (request, native, kernel, isa) => {
    const decision = chooseKernel(request, native);
    expect(decision.kernel).toBe(kernel);
    expect(decision.kernel === 'native' ? decision.isa : undefined).toBe(isa);
    expect(decision.reason.length).toBeGreaterThan(5);
  });

  it('a refusal names the setting and what is missing', () => {
    expect(chooseKernel('avx512', AVX2).reason).toBe(
      'PIGRID_KERNEL=avx512, but this CPU (or its operating system) has no AVX-512F and AVX-512BW',
    );
    expect(chooseKernel('avx512', AVX512F_ONLY).reason).toMatch(/no AVX-512BW$/);
    expect(chooseKernel('avx2', NONE).reason).toBe('PIGRID_KERNEL=avx2, but this CPU has no AVX2');
    expect(chooseKernel('avx2', missing).reason).toMatch(/the native addon is unavailable: .*does not exist/);
    expect(chooseKernel('turbo', AVX512).reason).toBe('PIGRID_KERNEL must be one of auto, wasm, avx2, avx512 (got "turbo")');
  });

  it('explains a fallback to WebAssembly', () => {
    expect(chooseKernel(undefined, missing).reason).toMatch(/^auto: the native addon is unavailable: /);
    expect(chooseKernel(undefined, NONE).reason).toBe('auto: this CPU has no AVX2');
    expect(chooseKernel(undefined, AVX2).reason).toMatch(/^auto: the CPU has AVX2 \(no AVX-512: /);
  });
});
