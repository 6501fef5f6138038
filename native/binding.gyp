# node-gyp build of the native kernel (native/scripts/build-addon.mjs runs it at `npm ci`).
# The translation units are compiled for the baseline target of the architecture: no -mavx2,
# no -march=native. Only the functions in kernels.c carry target("avx2") / target("avx512f,
# avx512bw") attributes, and they run only after the CPU check, so the .node file loads and
# runs correctly on every x86-64 CPU, and it is built once for all of them.
{
  "targets": [
    {
      "target_name": "pigrid_native_kernel",
      "sources": ["src/addon.c", "src/stream.c", "src/kernels.c", "src/chunks.c"],
      "cflags": ["-std=c11", "-O3", "-Wall", "-Wextra", "-Wno-psabi", "-fno-strict-aliasing", "-fvisibility=hidden"],
      "cflags!": ["-O2", "-O0"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c11", "-O3", "-Wno-psabi"] }
    }
  ]
}
