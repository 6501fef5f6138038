import { describe, expect, it } from 'vitest';
import { encodeModule, FunctionBuilder, sleb, uleb, ValType } from '../../kernel/wasm/wasm-assembler.js';
import { buildWasmKernelModule } from '../../kernel/wasm/wasm-kernel-module.js';
import { instantiateSync, validateModule } from '../../kernel/wasm/wasm-runtime.js';

describe('the in-repo WebAssembly assembler', () => {
  it('encodes LEB128 like the binary format specification', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624_485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123_456)).toEqual([0xc0, 0xbb, 0x78]);
    // An unsigned 64-bit constant is emitted as its two's-complement value.
    expect(sleb(0xffffffffffffffffn)).toEqual([0x7f]);
    expect(() => uleb(-1)).toThrow(RangeError);
  });

  it('builds a module that runs', () => {
    const add = new FunctionBuilder([ValType.i32, ValType.i32], [ValType.i32]);
    add.get(0).get(1).op(0x6a);
    const { add: run } = instantiateSync<{ add: (a: number, b: number) => number }>(encodeModule([{ name: 'add', fn: add }], 1));
    expect(run(40, 2)).toBe(42);
  });

  it('produces valid kernel modules for every shape', () => {
    for (const interleave of [1, 2, 4] as const) {
      for (const insideTest of ['dot', 'mul'] as const) {
        expect(validateModule(buildWasmKernelModule({ interleave, insideTest }))).toBe(true);
      }
    }
    expect(validateModule(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]))).toBe(false);
  });
});
