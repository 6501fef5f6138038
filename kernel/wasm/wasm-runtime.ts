/**
 * The few WebAssembly JS-API calls the kernel makes, typed locally: the project compiles with
 * `lib: ["ES2022"]`, which has no `WebAssembly` declarations (they live in the DOM lib).
 */

interface WebAssemblyApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** An exported linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

function api(): WebAssemblyApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** True when the engine has WebAssembly and accepts `bytes` (false instead of throwing). */
export function validateModule(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return api()?.validate(bytes) ?? false;
  } catch {
    return false;
  }
}

/**
 * Compiles and instantiates a module with no imports, synchronously (fine in Node for small
 * modules), and returns its exports typed as `T`.
 */
export function instantiateSync<T>(bytes: Uint8Array<ArrayBuffer>): T {
  const wasm = api();
  if (!wasm) throw new Error('WebAssembly is not available in this JavaScript engine');
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as unknown as T;
}
