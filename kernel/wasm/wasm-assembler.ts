/**
 * A tiny WebAssembly binary assembler: just the sections and opcodes the π kernel needs.
 *
 * It exists so the kernel can be hand-built at module load with no toolchain and nothing
 * downloaded. Opcode numbers follow the WebAssembly 2.0 binary format (SIMD128 opcodes are
 * the 0xFD-prefixed final numbering). `WebAssembly.validate` checks the output in the tests
 * (`kernel-wasm-module.test.ts`).
 */

/** Value types as encoded in the binary format. */
export const ValType = { i32: 0x7f, i64: 0x7e, v128: 0x7b } as const;
/** One of the value types the assembler knows. */
export type ValTypeCode = (typeof ValType)[keyof typeof ValType];

/** Plain (single-byte) opcodes used by the kernel. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Mul: 0x7e,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD128 opcodes (emitted after the 0xFD prefix as unsigned LEB128). */
export const SimdOp = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i32x4Splat: 0x11,
  i32x4ExtractLane: 0x1b,
  i32x4LtS: 0x39,
  i32x4LeU: 0x3e,
  i32x4GeU: 0x40,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128AnyTrue: 0x53,
  i32x4AllTrue: 0xa3,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i32x4MinS: 0xb6,
  i32x4MinU: 0xb7,
  i32x4DotI16x8S: 0xba,
} as const;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: ${n}`);
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 64-bit two's-complement value (pass unsigned constants as bigint). */
export function sleb(value: bigint | number): number[] {
  let n = BigInt.asIntN(64, BigInt(value));
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/**
 * Builds one function body. Methods append instructions and return `this` so that code reads
 * in stack order. Locals are declared up front with {@link FunctionBuilder.local}.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValTypeCode[] = [];

  /** @param params parameter types; parameters are locals 0..params.length-1. */
  constructor(
    readonly params: readonly ValTypeCode[],
    readonly results: readonly ValTypeCode[],
  ) {}

  /** Declares a local and returns its index. */
  local(type: ValTypeCode): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Appends raw opcode bytes. */
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.op(Op.localGet, ...uleb(index));
  }
  set(index: number): this {
    return this.op(Op.localSet, ...uleb(index));
  }
  tee(index: number): this {
    return this.op(Op.localTee, ...uleb(index));
  }
  i32(value: number): this {
    return this.op(Op.i32Const, ...sleb(value | 0));
  }
  i64(value: bigint): this {
    return this.op(Op.i64Const, ...sleb(value));
  }

  /** A SIMD instruction with optional immediate bytes. */
  simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...immediates);
  }

  /** `v128.load`/`v128.store` with 16-byte alignment hint and a constant offset. */
  v128Load(offset: number): this {
    return this.simd(SimdOp.v128Load, 4, ...uleb(offset));
  }
  v128Store(offset: number): this {
    return this.simd(SimdOp.v128Store, 4, ...uleb(offset));
  }

  /** `v128.const` from four 32-bit lanes (lane 0 first). */
  v128I32x4(lanes: readonly [number, number, number, number]): this {
    const bytes: number[] = [];
    for (const lane of lanes) for (let k = 0; k < 4; k++) bytes.push((lane >>> (8 * k)) & 0xff);
    return this.simd(SimdOp.v128Const, ...bytes);
  }

  /** `i32.load`/`i32.store` with 4-byte alignment hint and a constant offset. */
  i32Load(offset: number): this {
    return this.op(Op.i32Load, 2, ...uleb(offset));
  }
  i32Store(offset: number): this {
    return this.op(Op.i32Store, 2, ...uleb(offset));
  }

  /** Structured control: `block`/`loop`/`if` with an empty block type. */
  block(): this {
    return this.op(Op.block, 0x40);
  }
  loop(): this {
    return this.op(Op.loop, 0x40);
  }
  if(): this {
    return this.op(Op.if, 0x40);
  }
  end(): this {
    return this.op(Op.end);
  }
  br(depth: number): this {
    return this.op(Op.br, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(Op.brIf, ...uleb(depth));
  }

  /** The encoded body: local declarations (run-length grouped) then code then `end`. */
  encodeBody(): number[] {
    const groups: Array<[number, ValTypeCode]> = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body = [...uleb(groups.length)];
    for (const [count, type] of groups) body.push(...uleb(count), type);
    body.push(...this.code, Op.end);
    return [...uleb(body.length), ...body];
  }
}

/** An exported function of a module under construction. */
export interface ExportedFunction {
  readonly name: string;
  readonly fn: FunctionBuilder;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function nameBytes(name: string): number[] {
  const utf8 = [...new TextEncoder().encode(name)];
  return [...uleb(utf8.length), ...utf8];
}

/**
 * Encodes a module with one memory (exported as `memory`) and the given exported functions.
 * @param memoryPages initial (and maximum) memory size in 64 KiB pages.
 */
export function encodeModule(functions: readonly ExportedFunction[], memoryPages: number): Uint8Array<ArrayBuffer> {
  const typeKeys: string[] = [];
  const types: number[][] = [];
  const typeIndexOf = functions.map(({ fn }) => {
    const sig = [0x60, ...uleb(fn.params.length), ...fn.params, ...uleb(fn.results.length), ...fn.results];
    const key = sig.join(',');
    let index = typeKeys.indexOf(key);
    if (index < 0) {
      index = typeKeys.push(key) - 1;
      types.push(sig);
    }
    return index;
  });
  const exports = [...functions.map(({ name }, i) => [...nameBytes(name), 0x00, ...uleb(i)]), [...nameBytes('memory'), 0x02, ...uleb(0)]];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(3, vector(typeIndexOf.map((t) => uleb(t)))),
    ...section(5, vector([[0x01, ...uleb(memoryPages), ...uleb(memoryPages)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map(({ fn }) => fn.encodeBody()))),
  ];
  return new Uint8Array(bytes);
}
